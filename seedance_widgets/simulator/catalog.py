"""The models the simulator serves: the contract's bundled model objects plus its own extras."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from importlib.abc import Traversable
from typing import Any

from seedance_widgets.contract.schema import DEFAULT_MODEL, ModelSpec

__all__ = ["Catalog"]


class Catalog:
    """Raw model objects by id, default model first, and their parsed request schemas."""

    def __init__(self, models: Iterable[dict[str, Any]]):
        ordered = sorted(models, key=lambda m: m["id"] != DEFAULT_MODEL)
        self._models = {m["id"]: m for m in ordered}
        self._specs = {mid: ModelSpec.from_model_object(m) for mid, m in self._models.items()}

    @classmethod
    @cache
    def bundled(cls) -> Catalog:
        """`contract/models/*.json` (schema under `json_request_schema`) and
        `simulator/catalog/*.json` (schema under `request_schema`)."""
        folders = (
            resources.files("seedance_widgets.contract") / "models",
            resources.files(__package__) / "catalog",
        )
        return cls(_read_json(entry) for folder in folders for entry in _json_files(folder))

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


def _json_files(folder: Traversable) -> list[Traversable]:
    return sorted((e for e in folder.iterdir() if e.name.endswith(".json")), key=lambda e: e.name)


def _read_json(entry: Traversable) -> dict[str, Any]:
    return json.loads(entry.read_text("utf-8"))
