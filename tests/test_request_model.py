"""The request model refuses bad input at construction, naming the field and allowed values."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedance_widgets._contract import (
    DEFAULT_MODEL,
    ModelSpec,
    VideoRequest,
    bundled_model,
)
from seedance_widgets.errors import InvalidRequestError

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


# --- the whole Seedance family ----------------------------------------------------------------

FAMILY = [f"bytedance-seedance-{version}-{kind}"
          for version in ("2-0-fast", "2-0-mini", "2-0", "2-5")
          for kind in ("text-to-video", "image-to-video", "reference-to-video")]
IMAGE = "https://example.com/in/first.png"


def minimal(model: str) -> dict:
    """The least a request to `model` needs."""
    return {"prompt": "a fox", **({"input_image": IMAGE} if "image-to" in model else {})}


@pytest.mark.parametrize("model", FAMILY)
def test_every_variant_is_bundled_and_builds_a_request(model):
    spec = bundled_model(model)
    assert spec is not None and spec.id == model and spec.pricing["cost_per_second"] > 0
    request = VideoRequest(model=model, **minimal(model))
    assert request.model == model
    assert VideoRequest.from_json(request.to_json()) == request
    assert spec.fields[0].name == "prompt" and spec.field("prompt").required
    assert [f.name for f in spec.fields if f.basic][:1] == ["prompt"]
    json.dumps([f.to_json() for f in spec.fields])  # plain JSON for the widget


def test_bundled_ids_are_the_family():
    from seedance_widgets._contract.schema import bundled_model_ids

    assert sorted(FAMILY) == list(bundled_model_ids())


def test_field_specs_describe_every_kind_of_control():
    i2v = bundled_model("bytedance-seedance-2-5-image-to-video")
    first = i2v.field("input_image").to_json()
    assert (first["type"], first["format"], first["media"], first["required"]) == (
        "string", "uri", "image", True)
    assert i2v.field("tail_image_url").media == "image"
    assert i2v.field("input_image_has_face").to_json()["type"] == "boolean"
    duration = i2v.field("duration").to_json()
    assert duration["type"] == ["integer", "string"] and duration["default"] == "auto"
    assert duration["enum"] == ["auto", 4, 5, 6, 8, 10, 12, 15, 20, 25, 30]
    assert i2v.field("aspect_ratio") is None  # the 2.5 image-to-video page has none
    r2v = bundled_model("bytedance-seedance-2-0-reference-to-video")
    images = r2v.field("input_images").to_json()
    assert (images["type"], images["max_items"], images["media"]) == ("array", 9, "image")
    assert images["items"]["format"] == "uri" and images["items"]["media"] == "image"
    assert {f.name: (f.media, f.max_items) for f in r2v.reference_fields} == {
        "input_face_images": ("image", None), "input_images": ("image", 9),
        "input_face_videos": ("video", None), "input_videos": ("video", 3),
        "input_audios": ("audio", 3)}
    assert r2v.max_references == 15
    assert bundled_model("bytedance-seedance-2-5-reference-to-video").max_references is None
    assert SPEC.field("resolution").to_json()["media"] is None


I2V = "bytedance-seedance-2-0-fast-image-to-video"
R2V = "bytedance-seedance-2-0-mini-reference-to-video"


@pytest.mark.parametrize(("params", "field", "text"), [
    ({"model": I2V}, "input_image", "is required. Allowed: an http(s) URL of an image"),
    ({"model": I2V, "input_image": "first.png"}, "input_image", "is not an http(s) URL"),
    ({"model": I2V, "input_image": "ftp://host/a.png"}, "input_image", "an http(s) URL"),
    ({"model": I2V, "input_image": "https://"}, "input_image", "is not an http(s) URL"),
    ({"model": I2V, "input_image": "https://h/a b.png"}, "input_image", "not an http(s) URL"),
    ({"model": I2V, "input_image": ["https://h/a.png"]}, "input_image", "is not a string"),
    ({"model": I2V, "input_image": IMAGE, "tail_image_url": "data:image/png;base64,AA"},
     "tail_image_url", "is not an http(s) URL"),
    ({"model": I2V, "input_image": IMAGE, "input_image_has_face": "yes"},
     "input_image_has_face", "true or false"),
    ({"model": R2V, "input_images": IMAGE}, "input_images", "is not a list"),
    ({"model": R2V, "input_images": [IMAGE, "nope"]}, "input_images",
     "'nope' (item 2) is not an http(s) URL"),
    ({"model": R2V, "input_images": [IMAGE] * 10}, "input_images",
     "has 10 items. Allowed: a list of at most 9 image URLs"),
    ({"model": R2V, "input_audios": [IMAGE] * 4}, "input_audios", "at most 3 audio URLs"),
    ({"model": R2V, "input_face_images": [IMAGE] * 7, "input_images": [IMAGE] * 9},
     "input_images", "makes 16 references in all. Allowed: at most 15 references in all"),
    ({"model": R2V, "input_images": [IMAGE] * 9, "input_face_videos": [IMAGE] * 4,
      "input_audios": [IMAGE] * 3}, "input_audios", "makes 16 references in all"),
    ({"model": "bytedance-seedance-2-5-text-to-video", "duration": 7}, "duration",
     "Allowed: auto, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30"),
    ({"model": "bytedance-seedance-2-5-text-to-video", "duration": "5"}, "duration",
     "is not allowed"),
    ({"model": "bytedance-seedance-2-5-text-to-video", "output_format": "webm"},
     "output_format", "Allowed: mp4, mov"),
    ({"model": "bytedance-seedance-2-0-fast-text-to-video", "resolution": "4k"}, "resolution",
     "Allowed: 480p, 720p"),
])
def test_family_fields_refuse_bad_values_before_sending(params, field, text):
    with pytest.raises(InvalidRequestError) as info:
        VideoRequest(prompt="a fox", **params)
    assert info.value.field == field
    assert text in str(info.value)


def test_family_fields_accept_what_their_pages_allow():
    at_limit = VideoRequest(model=R2V, prompt="@Image1 meets @Audio1",
                            input_face_images=[IMAGE] * 3, input_images=[IMAGE] * 6,
                            input_videos=(IMAGE,) * 3, input_audios=[IMAGE] * 3)
    assert at_limit.input_videos == (IMAGE,) * 3  # kept immutable
    assert at_limit.to_json()["input_videos"] == [IMAGE] * 3  # sent as a JSON array
    assert at_limit == at_limit.replace()
    wide = VideoRequest(model="bytedance-seedance-2-5-reference-to-video", prompt="x",
                        input_images=[IMAGE] * 30, input_videos=[IMAGE] * 10)
    assert len(wide.input_images) == 30  # 2.5: 30 images, no 15-reference cap
    long = VideoRequest(model="bytedance-seedance-2-5-text-to-video", prompt="x", duration=30,
                        output_format="mov")
    assert (long.duration, long.generate_audio, long.output_format) == (30, True, "mov")
    assert VideoRequest(model="bytedance-seedance-2-5-text-to-video", prompt="x").duration == \
        "auto"
    pro = VideoRequest(model="bytedance-seedance-2-0-text-to-video", prompt="x",
                       resolution="4k")
    assert pro.resolution == "4k"
    tail = VideoRequest(model=I2V, prompt="x", input_image=IMAGE,
                        tail_image_url="http://127.0.0.1:8000/api/repos/a/b/file/main/t.png",
                        input_image_has_face=True)
    assert tail.tail_image_url.startswith("http://127.0.0.1")


def test_an_unknown_model_lists_the_bundled_ones():
    with pytest.raises(InvalidRequestError) as info:
        VideoRequest(model="bytedance-seedance-9", prompt="x")
    assert all(model in info.value.allowed for model in FAMILY)
