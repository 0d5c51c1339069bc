"""The contract: what a request is and what the service answers (errors: `..errors`)."""

from .request import VideoRequest
from .schema import DEFAULT_MODEL, FieldSpec, ModelSpec, bundled_model
from .status import CompletionEvent, Generation, Status

__all__ = [
    "DEFAULT_MODEL",
    "CompletionEvent",
    "FieldSpec",
    "Generation",
    "ModelSpec",
    "Status",
    "VideoRequest",
    "bundled_model",
]
