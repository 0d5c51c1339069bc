"""The request model refuses bad input at construction, naming the field and allowed values."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedance_widgets.contract import (
    DEFAULT_MODEL,
    InvalidRequestError,
    ModelSpec,
    VideoRequest,
    bundled_model,
)

SPEC = bundled_model()
ALLOWED = {
    "resolution": ["480p", "720p"],
    "duration": [-1, *range(4, 16)],
    "aspect_ratio": ["adaptive", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16"],
    "generate_audio": [True, False],
    "watermark": [True, False],
}


def test_defaults_match_the_vendor_page():
    request = VideoRequest("a lone ox")
    assert request.to_json() == {
        "model": DEFAULT_MODEL,
        "prompt": "a lone ox",
        "resolution": "720p",
        "duration": -1,
        "aspect_ratio": "16:9",
        "generate_audio": False,
        "watermark": False,
    }


def test_schema_field_order_and_basic_list():
    assert SPEC.field_names == ("prompt", "resolution", "duration", "aspect_ratio",
                                "generate_audio", "watermark")
    assert [f.name for f in SPEC.fields if f.basic] == ["prompt", "resolution", "duration",
                                                        "aspect_ratio"]
    for name, values in ALLOWED.items():
        field = SPEC.field(name)
        assert field is not None
        if field.enum is not None:
            assert list(field.enum) == values


@pytest.mark.parametrize(("field", "bad", "allowed_text"), [
    ("resolution", "1080p", "480p, 720p"),
    ("resolution", 720, "480p, 720p"),
    ("duration", 3, "-1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15"),
    ("duration", 16, "-1, 4, 5"),
    ("duration", 5.0, "-1, 4, 5"),
    ("duration", True, "-1, 4, 5"),
    ("duration", "5", "-1, 4, 5"),
    ("aspect_ratio", "2:1", "adaptive, 21:9, 16:9, 4:3, 1:1, 3:4, 9:16"),
    ("aspect_ratio", "auto", "adaptive, 21:9"),
    ("generate_audio", "yes", "true or false"),
    ("generate_audio", 1, "true or false"),
    ("watermark", "false", "true or false"),
    ("prompt", "", "non-empty text"),
    ("prompt", "   \n", "non-empty text"),
    ("prompt", 42, "a string"),
    ("prompt", "nul\x00byte", "without control characters"),
    ("prompt", "lone \ud800 surrogate", "without control characters"),
])
def test_each_field_refuses_bad_values(field, bad, allowed_text):
    params = {"prompt": "ok", field: bad}
    with pytest.raises(InvalidRequestError) as info:
        VideoRequest(**params)
    message = str(info.value)
    assert message.startswith(f"{field}: ")
    assert allowed_text in message
    assert info.value.field == field


def test_unknown_field_lists_the_model_fields():
    with pytest.raises(InvalidRequestError) as info:
        VideoRequest("ok", seed=3)
    assert "seed" in str(info.value)
    assert "prompt, resolution, duration, aspect_ratio, generate_audio, watermark" in str(
        info.value)


def test_missing_prompt_is_required():
    with pytest.raises(InvalidRequestError, match="prompt: None is required"):
        VideoRequest()


def test_unbundled_model_needs_a_spec():
    with pytest.raises(InvalidRequestError, match="model: 'some-other-model'"):
        VideoRequest("ok", model="some-other-model")


def test_other_schema_allows_its_own_values():
    obj = json.loads(json.dumps({
        "id": "bytedance-seedance-2-0-text-to-video",
        "request_schema": {**SPEC.request_schema, "properties": {
            **SPEC.request_schema["properties"],
            "resolution": {"type": "string", "enum": ["480p", "720p", "1080p"],
                           "default": "1080p"},
        }},
    }))
    spec = ModelSpec.from_model_object(obj)
    request = VideoRequest("ok", spec=spec, resolution="1080p")
    assert request.model == "bytedance-seedance-2-0-text-to-video"
    assert VideoRequest("ok", spec=spec).resolution == "1080p"
    with pytest.raises(InvalidRequestError, match="480p, 720p, 1080p"):
        VideoRequest("ok", spec=spec, resolution="4k")


def test_canonical_json_and_fingerprint_are_stable():
    a = VideoRequest("fox", duration=5, resolution="480p")
    b = VideoRequest.from_json({"resolution": "480p", "prompt": "fox", "duration": 5,
                                "model": DEFAULT_MODEL})
    assert a == b and hash(a) == hash(b)
    assert a.fingerprint() == b.fingerprint()
    assert a.fingerprint() != a.replace(duration=6).fingerprint()
    assert a.replace(duration=6).duration == 6


values = st.one_of(st.none(), st.booleans(), st.integers(-50, 50), st.floats(allow_nan=True),
                   st.text(max_size=20), st.lists(st.integers(), max_size=2),
                   st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(sorted(ALLOWED)), value=values)
def test_any_value_is_accepted_only_if_allowed(field, value):
    allowed = ALLOWED[field]
    ok = value is None or (type(value) is type(allowed[0]) and value in allowed)
    if ok:
        request = VideoRequest("ok", **{field: value})
        assert field in request.params
    else:
        with pytest.raises(InvalidRequestError) as info:
            VideoRequest("ok", **{field: value})
        assert str(info.value).startswith(f"{field}: ")
        assert "Allowed: " in str(info.value)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_prompt_is_accepted_or_clearly_refused(prompt):
    try:
        request = VideoRequest(prompt)
    except InvalidRequestError as exc:
        assert exc.field == "prompt"
    else:
        assert request.prompt == prompt
        json.dumps(request.to_json()).encode("utf-8")


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=12), values, max_size=4))
def test_unknown_fields_are_refused(extra):
    unknown = {k: v for k, v in extra.items() if k not in SPEC.field_names}
    if not unknown or all(v is None for v in unknown.values()):
        return
    with pytest.raises(InvalidRequestError):
        VideoRequest("ok", **{k: v for k, v in unknown.items()})


def test_huge_prompts_are_refused_with_the_limit():
    VideoRequest("x" * 10_000)
    with pytest.raises(InvalidRequestError, match="at most 10,000 characters"):
        VideoRequest("x" * 10_001)
