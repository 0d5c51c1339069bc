"""Where to send requests and with which key; the key is wrapped so it never prints."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..contract.errors import InvalidRequestError

__all__ = ["DEFAULT_BASE_URL", "ApiKey", "Settings"]

DEFAULT_BASE_URL = "https://hub.oxen.ai/api"


class ApiKey:
    """An API key that shows as `ApiKey(****)` in every repr, str, log line and traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        """The key itself, for the Authorization header only."""
        return self._value

    def __repr__(self) -> str:
        return "ApiKey(****)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApiKey) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("an API key is not picklable")


_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")  # printable ASCII without spaces


def _header_safe(key: str | ApiKey | None) -> ApiKey | None:
    if key is None:
        return None
    raw = key.reveal() if isinstance(key, ApiKey) else key
    text = raw.strip() if isinstance(raw, str) else ""
    if not isinstance(raw, str) or (text and not _HEADER_SAFE.fullmatch(text)):
        raise InvalidRequestError(
            "api_key", "****", "the key from your oxen.ai profile (printable ASCII)",
            reason="contains characters an HTTP header cannot carry")
    return ApiKey(text) if text else None


@dataclass(frozen=True)
class Settings:
    """Base URL and key, from arguments first, then OXEN_BASE_URL / OXEN_API_KEY."""

    base_url: str = DEFAULT_BASE_URL
    api_key: ApiKey | None = None

    @classmethod
    def resolve(cls, api_key: str | ApiKey | None = None, base_url: str | None = None) -> Settings:
        """Surrounding whitespace (a pasted newline) is dropped from the key and an empty key
        is no key; a key no header can carry is refused here, before an HTTP library could
        quote it back in an error message."""
        key = api_key if api_key is not None else os.environ.get("OXEN_API_KEY") or None
        url = base_url or os.environ.get("OXEN_BASE_URL") or DEFAULT_BASE_URL
        return cls(base_url=url.rstrip("/"), api_key=_header_safe(key))

    @property
    def origin(self) -> tuple[str, str]:
        """Scheme and host:port of the API; the key is only ever sent there."""
        parts = urlsplit(self.base_url)
        return parts.scheme, parts.netloc

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key.reveal()}"} if self.api_key else {}

    def is_same_origin(self, url: str) -> bool:
        parts = urlsplit(url)
        return (parts.scheme, parts.netloc) == self.origin
