"""The models the simulator serves: the contract's bundled model objects, the whole family."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

from seedance_widgets._contract.schema import DEFAULT_MODEL, ModelSpec, bundled_model_ids

__all__ = ["Catalog"]

# Served with its schema under `request_schema`, the spelling some vendor pages use, so
# clients meet both spellings (the bundled files all say `json_request_schema`).
_REQUEST_SCHEMA_SPELLING = frozenset({"bytedance-seedance-2-0-text-to-video"})


class Catalog:
    """Raw model objects by id, default model first, and their parsed request schemas."""

    def __init__(self, models: Iterable[dict[str, Any]]):
        ordered = sorted(models, key=lambda m: (m["id"] != DEFAULT_MODEL, m["id"]))
        self._models = {m["id"]: m for m in ordered}
        self._specs = {mid: ModelSpec.from_model_object(m) for mid, m in self._models.items()}

    @classmethod
    def bundled(cls) -> Catalog:
        """Every model object in `contract/models/`, a copy of its own for each server (a
        test that edits what one server serves leaves every other server as bundled)."""
        return cls(copy.deepcopy(_bundled_objects()))

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._models

    def objects(self) -> list[dict[str, Any]]:
        """Every model object, as `GET /ai/models` lists them."""
        return list(self._models.values())

    def get(self, model_id: str) -> dict[str, Any] | None:
        """The model object for `model_id`, or None."""
        return self._models.get(model_id)

    def spec(self, model_id: str) -> ModelSpec:
        """The parsed request schema of a model in the catalog."""
        return self._specs[model_id]


@cache
def _bundled_objects() -> tuple[dict[str, Any], ...]:
    """The bundled model objects as served, read once per process."""
    folder = resources.files("seedance_widgets._contract") / "models"
    return tuple(_served(json.loads((folder / f"{mid}.json").read_text("utf-8")))
                 for mid in bundled_model_ids())


def _served(model: dict[str, Any]) -> dict[str, Any]:
    """The object as the simulator serves it (see `_REQUEST_SCHEMA_SPELLING`)."""
    if model["id"] in _REQUEST_SCHEMA_SPELLING:
        model["request_schema"] = model.pop("json_request_schema")
    return model
