"""Surfaces: the Studio widget."""

from .studio import Studio

__all__ = ["Studio"]
