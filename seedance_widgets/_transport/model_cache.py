"""Model objects the service answered, kept beside the ledger with the time they came.

`GET /ai/models/{id}` wins over the bundled copy whenever it answers; kept here, a model
object serves later sessions without a request for `MODEL_TTL` seconds (so a re-run notebook
makes none), and for as long as the service cannot be reached after that. One JSON file per
backend and model: `<folder>/models/<backend>/<model id>.json`, written whole or not at all.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

__all__ = ["MODEL_TTL", "CachedModel", "ModelCache"]

log = logging.getLogger(__name__)

MODEL_TTL = 24 * 3600.0


class CachedModel:
    """A model object and when the service sent it."""

    __slots__ = ("fetched_at", "object")

    def __init__(self, obj: dict[str, Any], fetched_at: float):
        self.object = obj
        self.fetched_at = fetched_at

    def fresh(self, ttl: float, now: float | None = None) -> bool:
        return 0 <= (now or time.time()) - self.fetched_at < ttl


class ModelCache:
    """The model objects of one backend (`base_url`) under `folder/models/`."""

    def __init__(self, folder: Path | str, base_url: str, *, ttl: float = MODEL_TTL):
        backend = hashlib.sha256(base_url.encode("utf-8")).hexdigest()[:16]
        self.folder = Path(folder) / "models" / backend
        self.base_url = base_url
        self.ttl = ttl

    def __repr__(self) -> str:
        return f"ModelCache({str(self.folder)!r})"

    def _path(self, model_id: str) -> Path:
        return self.folder / f"{quote(model_id, safe='')}.json"

    def get(self, model_id: str) -> CachedModel | None:
        """The kept object (fresh or not), or None; an unreadable file counts as none."""
        try:
            data = json.loads(self._path(model_id).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        obj, at = data.get("object") if isinstance(data, dict) else None, data.get("fetched_at")
        if not isinstance(obj, dict) or not isinstance(at, int | float):
            return None
        return CachedModel(obj, float(at))

    def fresh(self, model_id: str) -> dict[str, Any] | None:
        """The kept object if it came less than `ttl` seconds ago."""
        kept = self.get(model_id)
        return kept.object if kept is not None and kept.fresh(self.ttl) else None

    def put(self, model_id: str, obj: dict[str, Any]) -> None:
        """Keep `obj` as the service's answer now. A folder that cannot be written only
        costs a request next time."""
        text = json.dumps({"fetched_at": time.time(), "base_url": self.base_url,
                           "object": obj}, ensure_ascii=False)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=self.folder, suffix=".part",
                                             delete=False, encoding="utf-8") as out:
                out.write(text)
            os.replace(out.name, self._path(model_id))
        except OSError as exc:
            log.warning("could not keep model %s in %s: %s", model_id, self.folder, exc)
