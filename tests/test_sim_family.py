"""Every Seedance variant through the simulator's HTTP API: served, rendered to its model's
rules from its input media, and failed at run time for bad media, as the service does."""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import pytest
from media import picture, tone_wav
from PIL import Image, ImageOps

from seedance_widgets._contract import (
    ModelSpec,
    bundled_model,
)
from seedance_widgets._contract.schema import bundled_model_ids
from seedance_widgets.simulator import SimulatorConfig, SimulatorServer
from seedance_widgets.simulator.render import SIZES, frame_size, reference_boxes, render_video

FAST_I2V = "bytedance-seedance-2-0-fast-image-to-video"
MINI_R2V = "bytedance-seedance-2-0-mini-reference-to-video"
PRO_T2V = "bytedance-seedance-2-0-text-to-video"
T2V_25 = "bytedance-seedance-2-5-text-to-video"
I2V_25 = "bytedance-seedance-2-5-image-to-video"
TERMINAL = ("succeeded", "failed", "cancelled")
# Mean absolute difference (0-255 per channel) between a decoded frame and the picture it
# should show. H.264 at x264's default quality with 4:2:0 chroma costs about 1-2 on these
# smooth test pictures (measured: 1.2 and 0.4); an unrelated picture differs by 30 or more.
SAME_PICTURE = 8.0
DIFFERENT_PICTURE = 25.0


@pytest.fixture
def client(sim_base_url: str, api_key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim_base_url, headers={"Authorization": f"Bearer {api_key}"},
                      timeout=60, trust_env=False) as http:
        yield http


def encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def upload(client: httpx.Client, path: str, data: bytes) -> str:
    """Put `data` at `path` in the test repository; its URL."""
    created = client.post("/repos", json={"namespace": "tester", "name": "inputs",
                                          "description": "test inputs"})
    assert created.status_code in (201, 409)
    answer = client.put(f"/repos/tester/inputs/file/main/{path}",
                        files={"file": (Path(path).name, data)})
    assert answer.status_code == 200, answer.text
    return f"{client.base_url}repos/tester/inputs/file/main/{path}"


def run(client: httpx.Client, body: dict[str, Any], timeout: float = 90) -> dict[str, Any]:
    """Enqueue one job and poll it to its end: its final record."""
    answer = client.post("/ai/queue", json=body)
    assert answer.status_code == 200, answer.text
    generation_id = answer.json()["generations"][0]["generation_id"]
    deadline = time.monotonic() + timeout
    while (record := client.get(f"/ai/queue/{generation_id}").json())["status"] not in TERMINAL:
        assert time.monotonic() < deadline, record
        time.sleep(0.05)
    return record


def result(client: httpx.Client, record: dict[str, Any], tmp_path: Path) -> Path:
    assert record["status"] == "succeeded", record
    response = client.get(record["result_url"])
    assert response.status_code == 200
    path = tmp_path / Path(record["result_url"]).name
    path.write_bytes(response.content)
    return path


def decoded(path: Path, *, keep: int | None = None) -> tuple[list[np.ndarray], int, float]:
    """(the first `keep` frames, or all, as RGB; the frame count; the duration in seconds)."""
    kept, count = [], 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        seconds = float(stream.duration * stream.time_base)
        for frame in container.decode(stream):
            if keep is None or count < keep:
                kept.append(frame.to_ndarray(format="rgb24").astype(np.int16))
            count += 1
    return kept, count, seconds


def mad(frame: np.ndarray, image: Image.Image) -> float:
    return float(np.abs(frame - np.asarray(image, dtype=np.int16)).mean())


# --- models -----------------------------------------------------------------------------------


def test_every_variant_is_served_and_parses(client: httpx.Client) -> None:
    listed = {m["id"] for m in client.get("/ai/models").json()["data"]}
    assert listed == set(bundled_model_ids()) and len(listed) == 12
    for model_id in sorted(listed):
        served = ModelSpec.from_model_object(client.get(f"/ai/models/{model_id}").json())
        bundled = bundled_model(model_id)
        assert served.fields == bundled.fields and served.pricing == bundled.pricing
        assert served.max_references == bundled.max_references


def test_each_server_serves_its_own_copy_of_the_catalog() -> None:
    """What one server is made to serve (a test editing a price) never reaches another."""
    from seedance_widgets.simulator.catalog import Catalog

    edited, other = Catalog.bundled(), Catalog.bundled()
    edited.get(bundled_model_ids()[0])["pricing"]["cost_per_second"] = 99.0
    assert other.get(bundled_model_ids()[0])["pricing"]["cost_per_second"] != 99.0

# --- rendering by model -----------------------------------------------------------------------


def test_image_to_video_starts_on_the_image_and_ends_on_the_tail(client, tmp_path) -> None:
    first, tail = picture((640, 480), 0), picture((480, 640), 120)
    body = {"model": FAST_I2V, "prompt": "the disc rolls away", "resolution": "480p",
            "duration": 4, "aspect_ratio": "adaptive",
            "input_image": upload(client, "i2v/first.png", encoded(first)),
            "tail_image_url": upload(client, "i2v/tail.jpg", encoded(tail, "JPEG"))}
    frames, count, _ = decoded(result(client, run(client, body), tmp_path))
    assert count == 96
    width, height = SIZES["480p"]["4:3"]  # adaptive follows the 640x480 first frame
    assert frames[0].shape == (height, width, 3)
    # Letterboxed: scaled to fit whole, centred on black (the portrait tail gets side bars).
    want_first = ImageOps.pad(first, (width, height), color=(0, 0, 0))
    want_tail = ImageOps.pad(tail, (width, height), color=(0, 0, 0))
    assert mad(frames[0], want_first) < SAME_PICTURE
    assert mad(frames[-1], want_tail) < SAME_PICTURE
    assert mad(frames[-1], want_first) > DIFFERENT_PICTURE  # the threshold tells them apart
    assert mad(frames[48], want_first) > 5  # and in between, it moves
    assert frames[-1][:, : width // 8].mean() < 10  # the side bars are black


def test_25_image_to_video_follows_the_image_without_an_aspect_ratio(client, tmp_path) -> None:
    first = picture((400, 720), 60)  # portrait: the nearest aspect is 9:16
    body = {"model": I2V_25, "prompt": "portrait", "resolution": "480p", "duration": 4,
            "generate_audio": False, "input_image": upload(client, "i2v/portrait.webp",
                                                            encoded(first, "WEBP"))}
    frames, _, _ = decoded(result(client, run(client, body), tmp_path), keep=1)
    width, height = SIZES["480p"]["9:16"]
    assert frames[0].shape == (height, width, 3)
    assert mad(frames[0], ImageOps.pad(first, (width, height), color=(0, 0, 0))) < SAME_PICTURE


def test_reference_to_video_with_two_images_and_audio(client, tmp_path) -> None:
    images = [picture((320, 240), 30), picture((240, 320), 200)]
    body = {"model": MINI_R2V, "prompt": "@Image1 dances with @Image2 to @Audio1",
            "resolution": "480p", "duration": 4, "aspect_ratio": "16:9",
            "input_images": [upload(client, f"r2v/{i}.png", encoded(im))
                             for i, im in enumerate(images)],
            "input_audios": [upload(client, "r2v/tune.wav", tone_wav())]}
    record = run(client, body)
    frames, _, _ = decoded(result(client, record, tmp_path), keep=30)
    width, height = SIZES["480p"]["16:9"]
    boxes = reference_boxes([im.size for im in images] + [(1, 1)], width, height)
    assert len(boxes) == 3
    for image, (left, top, box_w, box_h) in zip(images, boxes, strict=False):
        thumb = np.asarray(ImageOps.pad(image, (box_w, box_h), color=(0, 0, 0)), np.int16)
        below_label = slice(box_h // 3, box_h)  # the label sits in the top-left corner
        shown = frames[29][top : top + box_h, left : left + box_w][below_label]
        assert np.abs(shown - thumb[below_label]).mean() < SAME_PICTURE * 2  # small: sharper
    assert record["input_audios"] == body["input_audios"]


def test_pro_text_to_video_renders_1080p(client, tmp_path) -> None:
    body = {"model": PRO_T2V, "prompt": "sharp", "resolution": "1080p", "duration": 4,
            "aspect_ratio": "9:16"}
    frames, count, _ = decoded(result(client, run(client, body), tmp_path), keep=1)
    assert frames[0].shape == (1920, 1080, 3) and count == 96


def test_4k_sizes_are_720p_tripled_and_render(tmp_path) -> None:
    assert frame_size("4k", "16:9") == (3840, 2160)
    assert frame_size("1080p", "21:9") == (2206, 946)
    assert all(w % 2 == 0 and h % 2 == 0 for sizes in SIZES.values() for w, h in sizes.values())
    path = tmp_path / "4k.mp4"
    render_video(path, prompt="4k", width=3840, height=2160, seconds=0.25, audio=False,
                 watermark=False)  # six frames: the API's shortest (4 s) would take long
    frames, count, _ = decoded(path, keep=1)
    assert frames[0].shape == (2160, 3840, 3) and count == 6


def test_25_renders_30_seconds_as_quicktime_mov(client, tmp_path) -> None:
    body = {"model": T2V_25, "prompt": "a long take", "resolution": "480p", "duration": 30,
            "aspect_ratio": "1:1", "output_format": "mov"}
    record = run(client, body, timeout=120)
    assert record["result_url"].endswith("/video.mov")
    response = client.get(record["result_url"])
    assert response.headers["content-type"] == "video/quicktime"
    assert response.content[4:12] == b"ftypqt  "  # a QuickTime file, not an MP4
    path = tmp_path / "long.mov"
    path.write_bytes(response.content)
    _, count, seconds = decoded(path, keep=0)
    assert count == 30 * 24 and seconds == pytest.approx(30, abs=0.05)
    with av.open(str(path)) as container:
        assert "mov" in container.format.name.split(",")
        assert [s.codec_context.name for s in container.streams.audio] == ["aac"]  # 2.5: on


def test_25_auto_duration_renders_five_seconds(client, tmp_path) -> None:
    body = {"model": T2V_25, "prompt": "auto", "resolution": "480p", "aspect_ratio": "16:9",
            "generate_audio": False}
    record = run(client, body)
    assert record["result_url"].endswith("/video.mp4")
    _, count, _ = decoded(result(client, record, tmp_path), keep=0)
    assert count == 5 * 24


# --- failing at run time ----------------------------------------------------------------------


def failure(client: httpx.Client, body: dict[str, Any]) -> str:
    """Accepted at once (only model and count are checked), then failed: the message."""
    record = run(client, {"prompt": "p", "resolution": "480p", "duration": 4, **body})
    assert record["status"] == "failed", record
    assert record["result_url"] is None
    return record["error_message"]


def test_bad_media_fail_at_run_time(client) -> None:
    good = upload(client, "fail/good.png", encoded(picture((64, 48), 9)))
    text = upload(client, "fail/notes.png", b"these are not pixels")
    gif = upload(client, "fail/anim.gif", encoded(picture((64, 48), 9), "GIF"))
    missing = good.replace("good.png", "gone.png")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/a.png"
    cases = [
        ({"model": FAST_I2V}, "input_image: None is required"),
        ({"model": FAST_I2V, "input_image": missing}, f"could not fetch {missing} (HTTP 404)"),
        ({"model": FAST_I2V, "input_image": closed}, "could not fetch"),
        ({"model": FAST_I2V, "input_image": text}, f"input_image: {text} is not an image"),
        ({"model": FAST_I2V, "input_image": gif}, "is a GIF image; allowed: JPEG, PNG, WebP"),
        ({"model": FAST_I2V, "input_image": good, "tail_image_url": text},
         "tail_image_url: "),
        ({"model": MINI_R2V, "input_images": [good] * 10}, "input_images: "),
        ({"model": MINI_R2V, "input_face_images": [good] * 7, "input_images": [good] * 9},
         "makes 16 references in all"),
        ({"model": MINI_R2V, "input_images": [good], "input_audios": [good]},
         "input_audios: "),
        ({"model": MINI_R2V, "input_videos": [good]}, "is not a video (MP4, MOV)"),
        ({"model": MINI_R2V, "input_images": ["ftp://example.com/a.png"]},
         "is not an http(s) URL"),
    ]
    for body, expected in cases:
        assert expected in failure(client, body), body


class _Images(BaseHTTPRequestHandler):
    """Another host's files: `/slow...` never answers in time, anything else is a PNG."""

    png = encoded(picture((96, 54), 77))

    def do_GET(self) -> None:
        if self.path.startswith("/slow"):
            time.sleep(3)
        with contextlib.suppress(ConnectionError):  # the slow one's reader is gone by now
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(self.png)))
            self.end_headers()
            self.wfile.write(self.png)

    def log_message(self, *_: Any) -> None:
        pass


def test_other_hosts_are_fetched_with_a_short_timeout(tmp_path) -> None:
    images = ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    threading.Thread(target=images.serve_forever, daemon=True).start()
    config = SimulatorConfig(queue_seconds=0.05, process_seconds=0.1, fetch_timeout=0.5)
    try:
        with SimulatorServer(config) as sim, httpx.Client(
                base_url=sim.base_url, headers={"Authorization": "Bearer k"}, timeout=30,
                trust_env=False) as http:
            origin = f"http://127.0.0.1:{images.server_address[1]}"
            fetched = run(http, {"model": FAST_I2V, "prompt": "p", "resolution": "480p",
                                 "duration": 4, "input_image": f"{origin}/a.png"})
            frames, _, _ = decoded(result(http, fetched, tmp_path), keep=1)
            assert frames[0].shape == (496, 864, 3)  # 16:9, the requested default
            started = time.monotonic()
            slow = failure(http, {"model": FAST_I2V, "input_image": f"{origin}/slow.png"})
            assert "could not fetch" in slow and "Timeout" in slow
            assert time.monotonic() - started < 2.5
    finally:
        images.shutdown()
