"""A model's request schema and pricing, read from the model object the service returns.

The default model's object ships with the package so everything works offline; any other
model's object comes from `GET /ai/models/{id}` (see the transport client).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from .errors import ProtocolError

DEFAULT_MODEL = "bytedance-seedance-2-0-fast-text-to-video"

__all__ = ["DEFAULT_MODEL", "FieldSpec", "ModelSpec", "bundled_model", "bundled_model_ids"]


@dataclass(frozen=True)
class FieldSpec:
    """One request parameter as the schema describes it."""

    name: str
    type: str
    default: Any = None
    enum: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    description: str = ""
    required: bool = False
    basic: bool = False

    def to_json(self) -> dict[str, Any]:
        """The spec as plain JSON, for the widget's control builder."""
        return {
            "name": self.name,
            "type": self.type,
            "default": self.default,
            "enum": list(self.enum) if self.enum is not None else None,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "description": self.description,
            "required": self.required,
            "basic": self.basic,
        }


@dataclass(frozen=True)
class ModelSpec:
    """What the toolkit needs from a model object: its id, schema, field order and pricing."""

    id: str
    display_name: str
    request_schema: dict[str, Any]
    pricing: dict[str, Any] = field(default_factory=dict)
    fields: tuple[FieldSpec, ...] = ()

    @classmethod
    def from_model_object(cls, obj: Any) -> ModelSpec:
        """Parse a model object; the schema is `json_request_schema` or `request_schema`."""
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            raise ProtocolError("model object without an `id`")
        schema = obj.get("json_request_schema") or obj.get("request_schema")
        if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
            raise ProtocolError(f"model {obj['id']} has no request schema with `properties`")
        pricing = obj.get("pricing") if isinstance(obj.get("pricing"), dict) else {}
        return cls(
            id=obj["id"],
            display_name=str(obj.get("display_name") or obj["id"]),
            request_schema=schema,
            pricing=pricing,
            fields=_fields_in_order(schema),
        )

    def field(self, name: str) -> FieldSpec | None:
        """The spec of one parameter, or None if the model has no such parameter."""
        return next((f for f in self.fields if f.name == name), None)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def defaults(self) -> dict[str, Any]:
        """Default values of every parameter that has one."""
        return {f.name: f.default for f in self.fields if f.default is not None}


def _fields_in_order(schema: dict[str, Any]) -> tuple[FieldSpec, ...]:
    properties: dict[str, Any] = schema["properties"]
    required = set(schema.get("required") or ())
    basic = set(schema.get("basic") or required)
    names = sorted(
        properties,
        key=lambda n: (properties[n].get("x-order", len(properties)), list(properties).index(n)),
    )
    specs = []
    for name in names:
        prop = properties[name]
        enum = prop.get("enum")
        specs.append(
            FieldSpec(
                name=name,
                type=str(prop.get("type", "string")),
                default=prop.get("default"),
                enum=tuple(enum) if isinstance(enum, list) else None,
                minimum=prop.get("minimum"),
                maximum=prop.get("maximum"),
                description=str(prop.get("description", "")),
                required=name in required,
                basic=name in basic,
            )
        )
    return tuple(specs)


def bundled_model_ids() -> tuple[str, ...]:
    """Ids of the model objects shipped inside the package."""
    folder = resources.files(__package__) / "models"
    return tuple(sorted(p.name.removesuffix(".json") for p in folder.iterdir()
                        if p.name.endswith(".json")))


@cache
def bundled_model(model_id: str = DEFAULT_MODEL) -> ModelSpec | None:
    """The shipped model object for `model_id`, or None when it must be fetched."""
    if model_id not in bundled_model_ids():
        return None
    text = (resources.files(__package__) / "models" / f"{model_id}.json").read_text("utf-8")
    return ModelSpec.from_model_object(json.loads(text))
