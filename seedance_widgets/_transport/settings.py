"""Where to send requests and with which key; the key is wrapped so it never prints.

The key reaches the wire only through `auth.BearerAuth`, on requests for the API's origin.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..errors import InvalidRequestError

if TYPE_CHECKING:
    from .auth import BearerAuth

__all__ = ["BUDGET_VARIABLE", "DEFAULT_BASE_URL", "SIMULATOR_TOKEN", "ApiKey", "Settings",
           "assets_repo_setting", "environment_budget"]

# A spend cap in US dollars for the ledger namespace (Studio(budget=...) and --budget win).
BUDGET_VARIABLE = "SEEDANCE_BUDGET"

DEFAULT_BASE_URL = "https://hub.oxen.ai/api"
# The placeholder key sent to the embedded simulator (which takes any bearer token).
SIMULATOR_TOKEN = "simulator-token"
MIN_SCRUBBED = 8


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

    def cleaned(self) -> ApiKey | None:
        """Without surrounding whitespace (a pasted newline); None when nothing is left."""
        text = self._value.strip() if isinstance(self._value, str) else self._value
        return ApiKey(text) if text else None

    def header_safe(self) -> bool:
        """Whether an HTTP header can carry it (printable ASCII, no spaces)."""
        return isinstance(self._value, str) and _HEADER_SAFE.fullmatch(self._value) is not None

    @classmethod
    def wrap(cls, key: str | ApiKey | None) -> ApiKey | None:
        """`key` as an `ApiKey` (None stays None), so a caller's local never holds it bare."""
        return key if key is None or isinstance(key, ApiKey) else cls(key)


_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")  # printable ASCII without spaces


def _header_safe(key: ApiKey | None) -> ApiKey | None:
    """`key` without surrounding whitespace (an empty key is no key); one no HTTP header can
    carry is refused. Only wrapped keys are held here, so a traceback shows none."""
    if key is None:
        return None
    cleaned = key.cleaned()
    if cleaned is not None and not cleaned.header_safe():
        raise InvalidRequestError(
            "api_key", "****", "the key from your oxen.ai profile (printable ASCII)",
            reason="contains characters an HTTP header cannot carry")
    return cleaned


@dataclass(frozen=True)
class Settings:
    """Base URL and key, from arguments first, then OXEN_BASE_URL / OXEN_API_KEY (the only
    place the environment is read). `configured` says whether either was given at all: if
    not, the embedded simulator is the backend."""

    base_url: str = DEFAULT_BASE_URL
    api_key: ApiKey | None = None
    configured: bool = field(default=True, compare=False)

    @classmethod
    def resolve(cls, api_key: str | ApiKey | None = None, base_url: str | None = None) -> Settings:
        """Surrounding whitespace (a pasted newline) is dropped from the key and an empty key
        is no key; a key no header can carry is refused here, before an HTTP library could
        quote it back in an error message."""
        key = ApiKey.wrap(api_key if api_key is not None
                          else os.environ.get("OXEN_API_KEY") or None)
        url = base_url or os.environ.get("OXEN_BASE_URL") or None
        cleaned = _header_safe(key)
        return cls(base_url=(url or DEFAULT_BASE_URL).rstrip("/"), api_key=cleaned,
                   configured=cleaned is not None or url is not None)

    @property
    def origin(self) -> tuple[str, str]:
        """Scheme and host:port of the API; the key is only ever sent there."""
        parts = urlsplit(self.base_url)
        return parts.scheme, parts.netloc

    @cached_property
    def auth(self) -> BearerAuth:
        """The `httpx.Auth` that adds the key to requests for the API's own origin."""
        from .auth import BearerAuth

        return BearerAuth(self)

    def is_same_origin(self, url: str) -> bool:
        parts = urlsplit(url)
        return (parts.scheme, parts.netloc) == self.origin

    def scrub(self, value: Any) -> Any:
        """`value` (bytes, text, or JSON made of dicts, lists and text) with every occurrence
        of the key replaced by `***`: for anything the server sends back, which may echo it.

        A "key" shorter than `MIN_SCRUBBED` characters is no real key (a placeholder such as
        the simulator's token is longer); replacing it would mangle ordinary text and URLs.
        """
        if self.api_key is None or len(self.api_key.reveal()) < MIN_SCRUBBED:
            return value
        secret = self.api_key.reveal()
        if isinstance(value, bytes):
            raw = secret.encode("utf-8")
            return value.replace(raw, b"***") if raw in value else value
        if isinstance(value, str):
            return value.replace(secret, "***") if secret in value else value
        if isinstance(value, dict):
            return {self.scrub(k): self.scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.scrub(item) for item in value]
        return value


def environment_budget() -> str | None:
    """The budget set in the environment (`SEEDANCE_BUDGET`), unparsed; None when unset."""
    return os.environ.get(BUDGET_VARIABLE) or None
def assets_repo_setting(given: str | None = None) -> str | None:
    """Where local input files are uploaded (`namespace/repo`): `given`, else
    OXEN_ASSETS_REPO, else None."""
    return given or os.environ.get("OXEN_ASSETS_REPO") or None
