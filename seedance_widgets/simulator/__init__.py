"""An Oxen-compatible simulator: the real HTTP API on loopback, with rendered placeholder MP4s."""

from .config import SimulatorConfig
from .server import SimulatorServer

__all__ = ["SimulatorConfig", "SimulatorServer"]
