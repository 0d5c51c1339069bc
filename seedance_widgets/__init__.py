"""seedance-widgets: a Jupyter studio for Seedance 2.0 Fast text-to-video on Oxen.ai.

Public names are imported lazily so `import seedance_widgets` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "VideoRequest": "seedance_widgets.contract.request",
    "ModelSpec": "seedance_widgets.contract.schema",
    "DEFAULT_MODEL": "seedance_widgets.contract.schema",
    "Status": "seedance_widgets.contract.status",
    "Generation": "seedance_widgets.contract.status",
    "SeedanceError": "seedance_widgets.contract.errors",
    "InvalidRequestError": "seedance_widgets.contract.errors",
    "APIError": "seedance_widgets.contract.errors",
    "GenerationFailed": "seedance_widgets.contract.errors",
    "GenerationCancelled": "seedance_widgets.contract.errors",
    "AsyncOxenClient": "seedance_widgets.transport.client",
    "OxenClient": "seedance_widgets.jobs.blocking",
    "Controller": "seedance_widgets.jobs.controller",
    "FollowPolicy": "seedance_widgets.jobs.follower",
    "Job": "seedance_widgets.jobs.job",
    "Studio": "seedance_widgets.widget.studio",
    "to_code": "seedance_widgets.export",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'seedance_widgets' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
