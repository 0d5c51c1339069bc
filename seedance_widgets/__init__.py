"""seedance-widgets: a Jupyter studio for ByteDance Seedance video generation on Oxen.ai.

The public surface is this module and `seedance_widgets.errors`; everything in a
`_`-prefixed module is internal. Names are imported lazily, so `import seedance_widgets`
stays cheap, and declared under `TYPE_CHECKING` so editors and type checkers see them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import errors
from .errors import (
    APIError,
    AuthenticationError,
    BudgetExceeded,
    DownloadError,
    EnqueueUnconfirmed,
    GenerationCancelled,
    GenerationFailed,
    InvalidRequestError,
    LedgerError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    SeedanceError,
    ServerError,
)

if TYPE_CHECKING:
    from ._contract.request import VideoRequest
    from ._contract.states import (
        Cancelled,
        Failed,
        JobState,
        LocalError,
        Processing,
        Queued,
        Submitting,
        Succeeded,
        Unconfirmed,
    )
    from ._contract.status import Generation, Status
    from ._jobs.job import Job
    from ._jobs.sweep import Sweep
    from ._transport.blocking import OxenClient
    from ._transport.client import AsyncOxenClient
    from ._widget.studio import Studio

__version__ = "0.1.0"

_LAZY = {
    "Studio": "._widget.studio",
    "AsyncOxenClient": "._transport.client",
    "OxenClient": "._transport.blocking",
    "VideoRequest": "._contract.request",
    "Generation": "._contract.status",
    "Status": "._contract.status",
    "Job": "._jobs.job",
    "Sweep": "._jobs.sweep",
    **{name: "._contract.states" for name in (
        "JobState", "Submitting", "Unconfirmed", "Queued", "Processing", "Succeeded",
        "Failed", "Cancelled", "LocalError")},
}

__all__ = [
    "APIError",
    "AsyncOxenClient",
    "AuthenticationError",
    "BudgetExceeded",
    "Cancelled",
    "DownloadError",
    "EnqueueUnconfirmed",
    "Failed",
    "Generation",
    "GenerationCancelled",
    "GenerationFailed",
    "InvalidRequestError",
    "Job",
    "JobState",
    "LedgerError",
    "LocalError",
    "NetworkError",
    "NotFoundError",
    "OxenClient",
    "Processing",
    "ProtocolError",
    "Queued",
    "RateLimitError",
    "SeedanceError",
    "ServerError",
    "Status",
    "Studio",
    "Submitting",
    "Succeeded",
    "Sweep",
    "Unconfirmed",
    "VideoRequest",
    "__version__",
    "errors",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'seedance_widgets' has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)


def __dir__() -> list[str]:
    return sorted(__all__)
