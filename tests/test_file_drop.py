"""Files from the browser in chunks (the kernel side of the upload protocol), through the
Studio's message handler, as the front end sends them."""

from __future__ import annotations

import asyncio
import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from seedance_widgets import Studio

FAST_I2V = "bytedance-seedance-2-0-fast-image-to-video"
FAST_R2V = "bytedance-seedance-2-0-fast-reference-to-video"
CHUNK = 1024 * 1024  # what the front end sends


class Wire:
    """The front end's side: messages to the kernel, and what the kernel answers."""

    def __init__(self, studio: Studio):
        self.studio = studio
        self.answers: list[dict] = []
        studio.send = lambda content, buffers=None: self.answers.append(content)

    def send(self, content: dict, buffers: list[bytes] | None = None) -> None:
        self.studio._handle_message(self.studio, content, buffers or [])

    def upload(self, field: str, name: str, data: bytes, upload_id: str = "u1") -> dict:
        """Send `data` as the front end does: start, then a chunk per acknowledgement."""
        self.send({"type": "upload_start", "upload_id": upload_id, "field": field,
                   "name": name, "size": len(data)})
        while True:
            last = self.answers[-1]
            assert last["upload_id"] == upload_id
            if last["type"] != "upload_ack":
                return last
            offset = last["received"]
            self.send({"type": "upload_chunk", "upload_id": upload_id, "offset": offset},
                      [memoryview(data[offset:offset + CHUNK])])


def big_png() -> bytes:
    """An uncompressed 2400x1600 PNG: 11.5 MB, over what Tornado takes in one message."""
    out = io.BytesIO()
    Image.new("RGB", (2400, 1600), (30, 140, 220)).save(out, "PNG", compress_level=0)
    return out.getvalue()


@pytest.fixture
async def studio(simulator, api_key, tmp_path):
    widget = Studio(FAST_I2V, api_key=api_key, base_url=simulator.base_url,
                    output_dir=tmp_path / "v", ledger=tmp_path / "ledger",
                    assets_repo="tester/drops")
    yield widget
    widget.close()
    await asyncio.sleep(0.05)


async def test_a_file_over_10_mb_arrives_in_chunks_and_fills_the_field(studio, simulator,
                                                                      tmp_path):
    data = big_png()
    assert len(data) > 10 * 2**20
    wire = Wire(studio)
    simulator.reset_stats()
    done = wire.upload("input_image", "sunset.png", data)
    assert done["type"] == "upload_done", done
    acks = [a for a in wire.answers if a["type"] == "upload_ack"]
    assert len(acks) == -(-len(data) // CHUNK)  # one per chunk before the last, plus start
    path = Path(done["path"])
    assert path == tmp_path / "ledger" / "inputs" / f"{hashlib.sha256(data).hexdigest()}.png"
    assert path.read_bytes() == data and done["field"] == "input_image"
    assert studio.params["input_image"] == str(path)
    assert not list(path.parent.glob(".upload-*"))  # no part file left
    assert simulator.stats() == {}  # kept in the kernel until Generate
    # The form's value previews (a thumbnail made by the kernel).
    wire.send({"type": "preview", "value": str(path)})
    for _ in range(200):
        previews = [a for a in wire.answers if a["type"] == "preview"]
        if previews:
            break
        await asyncio.sleep(0.02)
    assert previews[0]["width"] == 2400 and previews[0]["medium"] == "image"


async def test_references_are_appended_and_their_limit_holds(simulator, api_key, tmp_path):
    widget = Studio(FAST_R2V, api_key=api_key, base_url=simulator.base_url,
                    ledger=tmp_path / "ledger", assets_repo="tester/drops")
    try:
        wire = Wire(widget)
        for i in range(9):
            out = io.BytesIO()
            Image.new("RGB", (8, 8), (i, 0, 0)).save(out, "PNG")
            assert wire.upload("input_images", f"{i}.png", out.getvalue(), f"u{i}")["type"] \
                == "upload_done"
        assert len(widget.params["input_images"]) == 9
        out = io.BytesIO()
        Image.new("RGB", (8, 8), (99, 0, 0)).save(out, "PNG")
        refused = wire.upload("input_images", "ten.png", out.getvalue(), "u10")
        assert refused["type"] == "upload_error" and "has 10 items" in refused["error"]
        assert len(widget.params["input_images"]) == 9
    finally:
        widget.close()


async def test_bad_uploads_end_with_an_error_naming_the_field(studio, tmp_path):
    wire = Wire(studio)
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, "GIF")
    answer = wire.upload("input_image", "anim.gif", gif.getvalue())
    assert answer["type"] == "upload_error"
    assert answer["error"].startswith("input_image: 'anim.gif' is a GIF file")
    wire.send({"type": "upload_start", "upload_id": "big", "field": "input_image",
               "name": "huge.png", "size": 31_000_000})
    assert wire.answers[-1] == {"type": "upload_error", "upload_id": "big", "error":
                                "input_image: 'huge.png' is 31.0 MB. Allowed: a JPEG, PNG or "
                                "WebP file of at most 30 MB"}
    wire.send({"type": "upload_start", "upload_id": "x", "field": "prompt", "name": "a.png",
               "size": 10})
    assert "a media field" in wire.answers[-1]["error"]
    wire.send({"type": "upload_start", "upload_id": "o", "field": "input_image",
               "name": "a.png", "size": 100})
    wire.send({"type": "upload_chunk", "upload_id": "o", "offset": 50}, [b"x" * 50])
    assert wire.answers[-1]["type"] == "upload_error" and "out of order" in \
        wire.answers[-1]["error"]
    wire.send({"type": "upload_chunk", "upload_id": "never", "offset": 0}, [b"x"])
    assert wire.answers[-1]["type"] == "upload_error"
    assert not list((tmp_path / "ledger" / "inputs").glob(".upload-*"))
    assert "input_image" not in studio.params


async def test_previews_of_a_repository_url_and_of_audio(studio, simulator, api_key, tmp_path):
    """A URL is fetched by the kernel (with the key: the API's own file route needs it); an
    audio file previews as its length, without a thumbnail."""
    import wave

    import httpx
    import numpy as np

    image = io.BytesIO()
    Image.new("RGB", (64, 48), (1, 2, 3)).save(image, "PNG")
    with httpx.Client(base_url=simulator.base_url, trust_env=False,
                      headers={"Authorization": f"Bearer {api_key}"}) as http:
        http.post("/repos", json={"namespace": "tester", "name": "previews"})
        assert http.put("/repos/tester/previews/file/main/p.png",
                        files={"file": ("p.png", image.getvalue())}).status_code == 200
    url = f"{simulator.base_url}/repos/tester/previews/file/main/p.png"
    sound = tmp_path / "tune.wav"
    with wave.open(str(sound), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(np.zeros(12000, "<i2").tobytes())
    replies: list[tuple[dict, list | None]] = []
    studio.send = lambda content, buffers=None: replies.append((content, buffers))
    for value in (url, str(sound), "missing.png"):
        studio._handle_message(studio, {"type": "preview", "value": value}, [])
    for _ in range(300):
        if len(replies) == 3:
            break
        await asyncio.sleep(0.02)
    answers = {content["value"]: (content, buffers) for content, buffers in replies}
    assert answers[url][0]["width"] == 64 and answers[url][1][0][:2] == b"\xff\xd8"
    assert answers[str(sound)][0]["medium"] == "audio" and answers[str(sound)][1] is None
    assert answers[str(sound)][0]["seconds"] == pytest.approx(1.5, abs=0.05)
    assert "error" in answers["missing.png"][0]
