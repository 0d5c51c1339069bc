"""A model's request schema and pricing, read from the model object the service returns.

The Seedance family's model objects ship with the package (`models/<id>.json`), so everything
works offline; any other model's object comes from `GET /ai/models/{id}` (see the transport
client).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any, Literal, cast

from ..errors import ProtocolError

DEFAULT_MODEL = "bytedance-seedance-2-0-fast-text-to-video"

__all__ = ["DEFAULT_MODEL", "FieldSpec", "Media", "ModelSpec", "bundled_model",
           "bundled_model_ids"]

Media = Literal["image", "video", "audio"]
_MEDIA: tuple[Media, ...] = ("image", "video", "audio")


@dataclass(frozen=True)
class FieldSpec:
    """One request parameter as the schema describes it.

    `type` is a JSON type, or a tuple of them (2.5's `duration` is `("integer", "string")`:
    `"auto"` or a number of seconds). A URL field has `format="uri"`; an array describes its
    elements in `items` (a `FieldSpec` named `<name>[]`) and its length limit in `max_items`.
    `media` says what a URL field (or an array of them) points at: "image", "video" or
    "audio", read from the field's name, else its description. `face` names the field that
    says a media input shows a real face (`input_image` → the flag `input_image_has_face`;
    `input_images` → the list `input_face_images`), and `face_of` is set on that companion,
    which the form shows beside its media field rather than on its own.
    """

    name: str
    type: str | tuple[str, ...]
    default: Any = None
    enum: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    description: str = ""
    required: bool = False
    basic: bool = False
    format: str | None = None
    items: FieldSpec | None = None
    max_items: int | None = None
    media: Media | None = None
    face: str | None = None
    face_of: str | None = None

    @property
    def types(self) -> tuple[str, ...]:
        """Every JSON type the value may have."""
        return self.type if isinstance(self.type, tuple) else (self.type,)

    @property
    def is_uri(self) -> bool:
        """A URL, or a list of URLs."""
        return self.format == "uri" or (self.items is not None and self.items.is_uri)

    def to_json(self) -> dict[str, Any]:
        """The spec as plain JSON, for the widget's control builder."""
        return {
            "name": self.name,
            "type": list(self.type) if isinstance(self.type, tuple) else self.type,
            "default": self.default,
            "enum": list(self.enum) if self.enum is not None else None,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "description": self.description,
            "required": self.required,
            "basic": self.basic,
            "format": self.format,
            "items": self.items.to_json() if self.items is not None else None,
            "max_items": self.max_items,
            "media": self.media,
            "face": self.face,
            "face_of": self.face_of,
        }


@dataclass(frozen=True)
class ModelSpec:
    """What the toolkit needs from a model object: its id, schema, field order and pricing."""

    id: str
    display_name: str
    request_schema: dict[str, Any]
    pricing: dict[str, Any] = field(default_factory=dict)
    fields: tuple[FieldSpec, ...] = ()
    max_references: int | None = None  # reference media in all (`x-max-references`)

    @classmethod
    def from_model_object(cls, obj: Any) -> ModelSpec:
        """Parse a model object; the schema is `json_request_schema` or `request_schema`."""
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            raise ProtocolError("model object without an `id`")
        schema = obj.get("json_request_schema") or obj.get("request_schema")
        if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
            raise ProtocolError(f"model {obj['id']} has no request schema with `properties`")
        pricing: dict[str, Any] = obj["pricing"] if isinstance(obj.get("pricing"), dict) else {}
        return cls(
            id=obj["id"],
            display_name=str(obj.get("display_name") or obj["id"]),
            request_schema=schema,
            pricing=pricing,
            fields=_fields_in_order(schema),
            max_references=_int_or_none(schema.get("x-max-references")),
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

    @property
    def reference_fields(self) -> tuple[FieldSpec, ...]:
        """The lists of reference media URLs (reference-to-video models), in schema order."""
        return tuple(f for f in self.fields if f.items is not None and f.media is not None)

    @property
    def media_fields(self) -> tuple[FieldSpec, ...]:
        """Every field holding media URLs (one, or a list), in schema order."""
        return tuple(f for f in self.fields if f.media is not None)

    @property
    def kind(self) -> str:
        """`reference-to-video`, `image-to-video` or `text-to-video`, from the inputs the
        schema takes (a model of another kind reads as what its inputs make it)."""
        if self.reference_fields:
            return "reference-to-video"
        if any(f.media == "image" for f in self.media_fields):
            return "image-to-video"
        return "text-to-video"


def _fields_in_order(schema: dict[str, Any]) -> tuple[FieldSpec, ...]:
    properties: dict[str, Any] = schema["properties"]
    required = set(schema.get("required") or ())
    basic = set(schema.get("basic") or required)
    names = sorted(
        properties,
        key=lambda n: (properties[n].get("x-order", len(properties)), list(properties).index(n)),
    )
    fields = [_field(name, properties[name], required=name in required, basic=name in basic)
              for name in names]
    return tuple(_paired(fields))


def _paired(fields: list[FieldSpec]) -> list[FieldSpec]:
    """Each media field with its face companion, found by name: the flag `<name>_has_face`
    (a boolean), or for a list `input_<media>s` the list `input_face_<media>s`."""
    by_name = {f.name: f for f in fields}
    companions: dict[str, str] = {}
    for f in fields:
        if f.media is None:
            continue
        flag = by_name.get(f"{f.name}_has_face")
        face_list = by_name.get(f.name.replace("input_", "input_face_", 1)) \
            if f.items is not None and f.name.startswith("input_") else None
        if flag is not None and "boolean" in flag.types:
            companions[f.name] = flag.name
        elif face_list is not None and face_list.items is not None:
            companions[f.name] = face_list.name
    owners = {companion: owner for owner, companion in companions.items()}
    return [replace(f, face=companions.get(f.name), face_of=owners.get(f.name))
            for f in fields]


def _field(name: str, prop: Any, *, required: bool = False, basic: bool = False,
           media: Media | None = None) -> FieldSpec:
    """One property of the schema (an array's `items` become a `FieldSpec` of their own)."""
    prop = prop if isinstance(prop, dict) else {}
    raw_type = prop.get("type", "string")
    description = str(prop.get("description", ""))
    enum = prop.get("enum")
    format_ = prop.get("format") if isinstance(prop.get("format"), str) else None
    items = prop.get("items") if isinstance(prop.get("items"), dict) else None
    if format_ == "uri" or (items is not None and items.get("format") == "uri"):
        media = media or _media_of(name, description)
    return FieldSpec(
        name=name,
        type=tuple(map(str, raw_type)) if isinstance(raw_type, list) else str(raw_type),
        default=prop.get("default"),
        enum=tuple(enum) if isinstance(enum, list) else None,
        minimum=prop.get("minimum"),
        maximum=prop.get("maximum"),
        description=description,
        required=required,
        basic=basic,
        format=format_,
        items=_field(f"{name}[]", items, media=media) if items is not None else None,
        max_items=_int_or_none(prop.get("maxItems")),
        media=media,
    )


def _media_of(name: str, description: str) -> Media | None:
    """The medium a URL field points at: the first one its name, else its description, names
    (`tail_image_url`: image; `input_audios`: audio)."""
    for text in (name, description):
        for word in re.findall(r"[a-z]+", text.lower()):
            medium = word.removesuffix("s")
            if medium in _MEDIA:
                return cast(Media, medium)
    return None


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@cache
def bundled_model_ids() -> tuple[str, ...]:
    """Ids of the model objects shipped inside the package (the Seedance family), sorted."""
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
