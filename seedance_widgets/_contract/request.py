"""The validated, immutable generation request, checked against the model's JSON schema.

The queue only rejects bad parameters after the job has run (status `failed`), so every check
here happens at construction, before any request is sent or money is spent.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from ..errors import InvalidRequestError, allowed_list
from .schema import DEFAULT_MODEL, FieldSpec, ModelSpec, bundled_model, bundled_model_ids

__all__ = ["VideoRequest", "is_local_path", "keep_valid", "validate_params"]

# C0/C1 control characters other than tab, newline and carriage return, and lone surrogates
# (which cannot be encoded as UTF-8 and so could never be sent).
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

# A URI scheme (two characters or more, so that `C:\\still.png` is a path, not a URL).
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:")
# What a local file stands for while the form is checked: any valid URL would do.
_LOCAL_STAND_IN = "https://local.file.invalid/input"

# The vendor states no limit; past this a prompt is almost surely a paste gone wrong, and it
# would be paid for. A local guard, documented in docs/inferred.md.
MAX_TEXT_CHARS = 10_000

_JSON_TYPES = {"string": "a string", "integer": "an integer", "boolean": "true or false",
               "number": "a number", "array": "a list", "object": "an object", "null": "null"}
_IS_TYPE: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, Mapping),
    "null": lambda v: v is None,
}



class VideoRequest:
    """A generation request: the model id plus every parameter, defaults filled in.

    `VideoRequest("a red fox", resolution="480p")` validates against the bundled schema of the
    default model, `VideoRequest(model=..., prompt=..., input_image=...)` against any bundled
    Seedance model's; pass `spec=` (from `client.model_spec(id)`) for any other model. Invalid
    input raises `InvalidRequestError` naming the field, the bad value and the allowed values.
    Lists (reference URLs) are kept as tuples, and sent as JSON arrays.
    """

    __slots__ = ("_params", "spec")

    def __init__(
        self,
        prompt: str | None = None,
        *,
        resolution: str | None = None,
        duration: int | str | None = None,
        aspect_ratio: str | None = None,
        generate_audio: bool | None = None,
        watermark: bool | None = None,
        model: str | None = None,
        spec: ModelSpec | None = None,
        **extra: Any,
    ):
        spec = _resolve_spec(model, spec)
        given = {"prompt": prompt, "resolution": resolution, "duration": duration,
                 "aspect_ratio": aspect_ratio, "generate_audio": generate_audio,
                 "watermark": watermark, **extra}
        self.spec = spec
        self._params = MappingProxyType({
            k: tuple(v) if isinstance(v, list) else v
            for k, v in validate_params(spec, given).items()
        })

    @classmethod
    def from_json(cls, body: Mapping[str, Any], spec: ModelSpec | None = None) -> VideoRequest:
        """Rebuild a request from its JSON body (`{"model": ..., "prompt": ..., ...}`)."""
        if not isinstance(body, Mapping):
            raise InvalidRequestError("request", body, "a JSON object", reason="is not an object")
        params = dict(body)
        model = params.pop("model", None)
        if model is not None and not isinstance(model, str):
            raise InvalidRequestError("model", model, "a model id string")
        return cls(model=model, spec=spec, **params)

    @property
    def model(self) -> str:
        return self.spec.id

    @property
    def params(self) -> Mapping[str, Any]:
        """Every parameter, defaults included, in the schema's order."""
        return self._params

    def __getattr__(self, name: str) -> Any:
        try:
            return self._params[name]
        except KeyError:
            raise AttributeError(name) from None

    def replace(self, **changes: Any) -> VideoRequest:
        """A new validated request with some parameters changed."""
        return VideoRequest(spec=self.spec, **{**self._params, **changes})

    def to_json(self) -> dict[str, Any]:
        """The request body for `POST /ai/videos/generate` and `POST /ai/queue`."""
        return {"model": self.model,
                **{k: list(v) if isinstance(v, tuple) else v for k, v in self._params.items()}}

    def canonical_json(self) -> str:
        """Sorted, compact JSON: equal requests give equal text."""
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False)

    def fingerprint(self) -> str:
        """A stable SHA-256 of the canonical JSON, for cache keys."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VideoRequest) and other.canonical_json() == self.canonical_json()

    def __hash__(self) -> int:
        return hash(self.canonical_json())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.to_json().items())
        return f"VideoRequest({args})"


def _resolve_spec(model: str | None, spec: ModelSpec | None) -> ModelSpec:
    if spec is not None and not isinstance(spec, ModelSpec):
        raise InvalidRequestError("spec", spec, "a ModelSpec (from client.model_spec(model_id))")
    if spec is not None:
        if model is not None and model != spec.id:
            raise InvalidRequestError("model", model, spec.id,
                                      reason="does not match the schema given with spec=")
        return spec
    model = model or DEFAULT_MODEL
    if not isinstance(model, str):
        raise InvalidRequestError("model", model, "a model id string")
    bundled = bundled_model(model)
    if bundled is None:
        raise InvalidRequestError(
            "model", model,
            f"{allowed_list(bundled_model_ids())}, or any model whose spec you pass as spec=",
            reason="has no bundled schema (fetch it with client.model_spec(model_id))",
        )
    return bundled


def is_local_path(value: Any) -> bool:
    """Whether a media field's value names a local file rather than a URL: a string with no
    URI scheme (`still.png`, `/data/still.png`, `C:\\still.png`)."""
    return isinstance(value, str) and bool(value.strip()) and not _SCHEME.match(value)


def validate_params(spec: ModelSpec, given: Mapping[str, Any], *, require: bool = True,
                    local_files: bool = False) -> dict[str, Any]:
    """Check parameters against the schema and return them complete, in schema order.

    `None` means "use the default"; a tuple is taken as a list. Raises `InvalidRequestError`
    for the first problem, in the schema's field order, then for the reference limits across
    fields. `require=False` lets required fields be missing (a form being filled in);
    `local_files=True` lets a media field hold a local path where a URL belongs (checked,
    and replaced by its upload's URL, by the jobs layer before anything is sent).
    """
    names = spec.field_names
    provided = {k: list(v) if isinstance(v, tuple) else v
                for k, v in given.items() if v is not None}
    for name in provided:
        if not isinstance(name, str) or name not in names:
            raise InvalidRequestError(str(name), provided[name], allowed_list(names),
                                      reason=f"is not a parameter of {spec.id}")
    # A required field must be given: its schema default is only an example.
    params = {f.name: provided.get(f.name, None if f.required else f.default)
              for f in spec.fields}
    params = {k: v for k, v in params.items() if v is not None}
    for fs in spec.fields:
        if fs.name not in params:
            if fs.required and require:
                raise InvalidRequestError(fs.name, None, _allowed(fs), reason="is required")
            continue
        _check_field(spec, fs, params[fs.name], local_files)
    _check_references(spec, params)
    return params


def keep_valid(spec: ModelSpec, values: Mapping[str, Any],
               previous: ModelSpec | None = None) -> dict[str, Any]:
    """A form's `values` (those of the `previous` model) carried over to `spec`: its
    defaults, then every value it has a field for and still allows (local files included),
    one at a time in the order given; the prompt, whatever it is, stays. A value that only
    was the previous model's default gives way to the new model's default (2.5's audio is
    on unless it was turned off)."""
    kept: dict[str, Any] = {f.name: f.default for f in spec.fields if f.default is not None}
    for name, value in values.items():
        if name == "prompt" or spec.field(name) is None or value is None:
            continue
        was = previous.field(name) if previous is not None else None
        if was is not None and was.default is not None and value == was.default:
            continue
        trial = {**kept, name: value}
        try:
            validate_params(spec, {**trial, "prompt": "kept"}, require=False, local_files=True)
        except InvalidRequestError:
            continue
        kept = trial
    if "prompt" in values:
        kept["prompt"] = values["prompt"]
    return kept


def _check_field(spec: ModelSpec, fs: FieldSpec, value: Any, local_files: bool) -> None:
    _check_value(fs, value, local_files=local_files)
    if isinstance(value, list):
        if fs.max_items is not None and len(value) > fs.max_items:
            raise InvalidRequestError(fs.name, value, _allowed(fs),
                                      reason=f"has {len(value)} items")
        if fs.items is not None:
            for index, item in enumerate(value, 1):
                _check_value(fs.items, item, name=fs.name, where=f"(item {index}) ",
                             local_files=local_files)
    from fastjsonschema import JsonSchemaValueException

    if local_files and fs.media is not None:  # the schema's own check sees URLs only
        value = [_LOCAL_STAND_IN if is_local_path(v) else v for v in value] \
            if isinstance(value, list) else (_LOCAL_STAND_IN if is_local_path(value) else value)
    validate = _compiled(json.dumps(spec.request_schema["properties"][fs.name], sort_keys=True))
    try:
        validate(value)
    except JsonSchemaValueException as error:
        detail = error.message.replace("data", fs.name, 1)
        reason = "is not allowed" if error.rule == "enum" else f"is invalid ({detail})"
        raise InvalidRequestError(fs.name, value, _allowed(fs), reason=reason) from None


def _check_value(fs: FieldSpec, value: Any, *, name: str | None = None, where: str = "",
                 local_files: bool = False) -> None:
    """The checks of one value (a field's, or an array item's, reported under `name`): its
    JSON type, then text rules for a string and the http(s) rule for a URL."""
    name = name or fs.name
    # A type not listed here is left to the JSON schema validator.
    if not any(_IS_TYPE.get(t, lambda _: True)(value) for t in fs.types):
        kinds = " or ".join(_JSON_TYPES.get(t, t) for t in fs.types)
        raise InvalidRequestError(name, value, _allowed(fs), reason=f"{where}is not {kinds}")
    if not isinstance(value, str):
        return
    if fs.required and not value.strip():
        raise InvalidRequestError(name, value, "non-empty text", reason=f"{where}is empty")
    if len(value) > MAX_TEXT_CHARS:
        raise InvalidRequestError(name, value, f"at most {MAX_TEXT_CHARS:,} characters",
                                  reason=f"{where}is too long ({len(value):,} characters)")
    if _FORBIDDEN_CHARS.search(value):
        raise InvalidRequestError(name, value, "text without control characters",
                                  reason=f"{where}contains a control or invalid character")
    if fs.format == "uri" and not _is_http_url(value) \
            and not (local_files and is_local_path(value)):
        raise InvalidRequestError(name, value, _allowed(fs),
                                  reason=f"{where}is not an http(s) URL")


def _is_http_url(value: str) -> bool:
    """An absolute http or https URL with a host, and no whitespace."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(host) and not any(
        c.isspace() for c in value)


def _check_references(spec: ModelSpec, params: Mapping[str, Any]) -> None:
    """At most `spec.max_references` reference URLs across the model's reference lists."""
    if spec.max_references is None:
        return
    given = [f.name for f in spec.reference_fields if params.get(f.name)]
    count = sum(len(params[name]) for name in given)
    if count > spec.max_references:
        across = ", ".join(f.name for f in spec.reference_fields)
        raise InvalidRequestError(
            given[-1], params[given[-1]],
            f"at most {spec.max_references} references in all ({across})",
            reason=f"makes {count} references in all")


@lru_cache(maxsize=256)
def _compiled(schema_json: str) -> Callable[[Any], Any]:
    """One field's JSON schema compiled to a plain function (fastjsonschema), once.

    Imported on first use, so importing the package stays cheap.
    """
    import fastjsonschema

    return fastjsonschema.compile(json.loads(schema_json))


def _allowed(fs: FieldSpec) -> str:
    kinds = " or ".join(_JSON_TYPES.get(t, t) for t in fs.types)
    if fs.enum is not None:
        return allowed_list(fs.enum)
    if fs.items is not None and fs.items.format == "uri":
        limit = f"at most {fs.max_items} " if fs.max_items is not None else ""
        return f"a list of {limit}{fs.media or 'media'} URLs (http or https)"
    if fs.format == "uri":
        return f"an http(s) URL of {_a(fs.media or 'file')}"
    if fs.minimum is not None or fs.maximum is not None:
        return f"{kinds} from {fs.minimum} to {fs.maximum}"
    return kinds


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"
