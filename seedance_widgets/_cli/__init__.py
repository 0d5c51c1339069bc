"""Surfaces: the `seedance` command line."""
