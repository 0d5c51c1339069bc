"""The CLI's view of the Seedance family: flags → a model's parameters, and `seedance models`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from .._contract.media_formats import medium_of, medium_of_name, sniff
from .._contract.request import is_local_path
from .._contract.schema import FieldSpec, ModelSpec, bundled_model_ids
from ..errors import InvalidRequestError

__all__ = ["describe_models", "request_params"]

FIRST_FRAME, LAST_FRAME = "input_image", "tail_image_url"
_REFERENCE_KINDS = "a URL ending in .jpg, .png, .webp, .mp4, .mov, .wav, .mp3 or .m4a, or a " \
                   "local image, video or audio file"


def request_params(args: argparse.Namespace, spec: ModelSpec) -> dict[str, Any]:
    """The parameters `seedance generate`'s flags give for `spec` (None: its default)."""
    duration = args.duration
    if duration == "auto":  # 2.0 writes "the model decides" as -1, 2.5 as "auto"
        field = spec.field("duration")
        duration = -1 if field is not None and field.enum and -1 in field.enum else "auto"
    params: dict[str, Any] = {
        "prompt": args.prompt, "resolution": args.resolution, "duration": duration,
        "aspect_ratio": args.aspect_ratio, "generate_audio": args.audio,
        "watermark": args.watermark, "output_format": args.output_format,
        FIRST_FRAME: args.image, f"{FIRST_FRAME}_has_face": args.image_has_face,
        LAST_FRAME: args.last_image, f"{LAST_FRAME}_has_face": args.last_image_has_face,
    }
    for value in args.reference:
        _add_reference(params, spec, value, face=False, flag="--reference")
    for value in args.face_reference:
        _add_reference(params, spec, value, face=True, flag="--face-reference")
    return {k: v for k, v in params.items() if v is not None}


def _add_reference(params: dict[str, Any], spec: ModelSpec, value: str, *, face: bool,
                   flag: str) -> None:
    """Put one reference into the list its medium (and face flag) belongs to."""
    medium = _medium(value)
    if medium is None:
        raise InvalidRequestError(flag, value, _REFERENCE_KINDS,
                                  reason="is not an image, video or audio that can be told")
    lists = [f for f in spec.reference_fields if f.media == medium
             and (f.face_of is not None) == face]
    if not lists:
        kinds = ", ".join(f.name for f in spec.reference_fields) or "none"
        raise InvalidRequestError(flag, value, f"references this model takes ({kinds})",
                                  reason=f"is {'a face ' if face else 'an '}{medium} reference, "
                                         f"which {spec.id} does not take")
    params.setdefault(lists[0].name, []).append(value)


def _medium(value: str) -> str | None:
    if not is_local_path(value):
        return medium_of_name(value)
    try:
        with open(value, "rb") as handle:
            return medium_of(sniff(handle.read(16)))
    except OSError:
        return medium_of_name(value)  # refused, naming the file, when the request is built


def describe_models(spec_of: Callable[[str], ModelSpec]) -> str:
    """A table of the family: id, kind, resolutions, durations, inputs."""
    rows = [("model", "kind", "resolutions", "durations (s)", "inputs")]
    for model_id in bundled_model_ids():
        spec = spec_of(model_id)
        rows.append((spec.id, spec.kind, _choices(spec.field("resolution")),
                     _durations(spec.field("duration")), _inputs(spec)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join("  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)),
                                row[4]]).rstrip() for row in rows)


def _choices(fs: FieldSpec | None) -> str:
    return " ".join(map(str, fs.enum)) if fs is not None and fs.enum else "-"


def _durations(fs: FieldSpec | None) -> str:
    """`auto, 4-15` or `auto, 4, 5, 6, 8, ...`: runs of consecutive seconds shortened."""
    if fs is None or not fs.enum:
        return "-"
    seconds = sorted(v for v in fs.enum if isinstance(v, int) and v > 0)
    auto = ["auto"] if any(v in (-1, "auto") for v in fs.enum) else []
    if seconds and seconds == list(range(seconds[0], seconds[-1] + 1)) and len(seconds) > 2:
        return ", ".join([*auto, f"{seconds[0]}-{seconds[-1]}"])
    return ", ".join([*auto, *map(str, seconds)])


def _inputs(spec: ModelSpec) -> str:
    """The media a model takes: `first frame (required), last frame`, or reference counts."""
    parts = ["text"]
    names = {FIRST_FRAME: "first frame", LAST_FRAME: "last frame"}
    for fs in spec.media_fields:
        if fs.name in names:
            parts.append(names[fs.name] + (" (required)" if fs.required else ""))
        elif fs.items is not None and fs.face_of is None:
            limit = f" ≤{fs.max_items}" if fs.max_items is not None else ""
            faces = " (+ face ones)" if fs.face else ""
            parts.append(f"{fs.media}s{limit}{faces}")
    if spec.max_references is not None:
        parts.append(f"≤{spec.max_references} references in all")
    return ", ".join(parts)
