"""The contract: what a request is, what the service answers, and what can go wrong."""

from .errors import (
    APIError,
    AuthenticationError,
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
from .request import VideoRequest
from .schema import DEFAULT_MODEL, FieldSpec, ModelSpec, bundled_model
from .status import CompletionEvent, Generation, Status

__all__ = [
    "DEFAULT_MODEL",
    "APIError",
    "AuthenticationError",
    "CompletionEvent",
    "DownloadError",
    "EnqueueUnconfirmed",
    "FieldSpec",
    "Generation",
    "GenerationCancelled",
    "GenerationFailed",
    "InvalidRequestError",
    "LedgerError",
    "ModelSpec",
    "NetworkError",
    "NotFoundError",
    "ProtocolError",
    "RateLimitError",
    "SeedanceError",
    "ServerError",
    "Status",
    "VideoRequest",
    "bundled_model",
]
