"""Image-to-video in a real JupyterLab: pick the model, drop a PNG, check the first frame.

The kernel talks to this test's simulator (OXEN_* in the server's environment), so its
request counters tell what the kernel sent: one upload and one enqueue for the first job,
and nothing at all when the inserted code runs the same request again.

The dropped PNG is stored uncompressed at 2400x1600 (11.5 MB): over the ~10 MB Tornado
accepts in one websocket message, so it only arrives because the front end sends it in
chunks.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import _stop, start_server
from PIL import Image, ImageDraw, ImageOps
from test_studio_browser import (
    STATUS_RECORDER,
    cell_index,
    cell_source,
    cells,
    dismiss_popups,
    generate_call_kwargs,
    run_cell,
    wait_kernel_idle,
    wait_succeeded,
)

from seedance_widgets.simulator.render import frame_size

pytestmark = pytest.mark.browser

FAST_I2V = "bytedance-seedance-2-0-fast-image-to-video"
NOTEBOOK = "quickstart.ipynb"
PROMPT = "The sunset drifts slowly to the left"
UPLOAD = "PUT /api/repos/{namespace}/{repo}/file/{branch}/{path:path}"
PROBE = "HEAD /api/repos/{namespace}/{repo}/file/{branch}/{path:path}"
ENQUEUE = "POST /api/ai/queue"
CREATE_REPO = "POST /api/repos"
# Mean absolute difference (0-255 per channel) between the first frame the browser shows and
# the image letterboxed to the frame. H.264 at x264's default quality with 4:2:0 chroma
# costs about 1-2 on smooth pictures (tests/test_sim_family.py measures 1.2), and the
# browser's YUV → RGB conversion a little more; a different picture is 25 or more away.
SAME_PICTURE = 10.0
DIFFERENT_PICTURE = 25.0

# Seek to the start, draw the frame the browser shows at its own size, hand it back as PNG.
FIRST_FRAME = """
async (v) => {
  v.pause();
  if (v.currentTime !== 0) {
    await new Promise((done) => { v.addEventListener("seeked", done, {once: true});
                                  v.currentTime = 0; });
  }
  const canvas = document.createElement("canvas");
  canvas.width = v.videoWidth;
  canvas.height = v.videoHeight;
  canvas.getContext("2d").drawImage(v, 0, 0);
  return canvas.toDataURL("image/png");
}
"""

# Drop the file the Jupyter server serves at `url` onto `zone`, as a person would.
DROP = """
async ([zone, url, name]) => {
  const blob = await (await fetch(url)).blob();
  const data = new DataTransfer();
  data.items.add(new File([blob], name, {type: "image/png"}));
  for (const type of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, {dataTransfer: data, bubbles: true,
                                            cancelable: true}));
  }
  return blob.size;
}
"""


def still(size: tuple[int, int] = (2400, 1600), hue: int = 0) -> Image.Image:
    """A smooth picture: a vertical ramp, a sun and a sea."""
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    width, height = size
    for y in range(height):
        ramp = y * 255 // height
        draw.line([(0, y), (width, y)], fill=((255 - ramp + hue) % 256, 110, (ramp + hue) % 256))
    draw.ellipse((width * 2 // 5, height // 5, width * 3 // 5, height // 2), fill=(255, 210, 80))
    draw.rectangle((0, height * 2 // 3, width, height), fill=(20, 60, 110))
    return image


@pytest.fixture
def lab_on_simulator(tmp_path: Path, simulator: Any, api_key: str):
    env = {"OXEN_API_KEY": api_key, "OXEN_BASE_URL": simulator.base_url,
           "OXEN_ASSETS_REPO": "tester/browser-assets"}
    server, proc = start_server("lab", tmp_path, env)
    try:
        yield server
    finally:
        _stop(proc)


def test_image_to_video_from_a_dropped_png(lab_on_simulator: Any, simulator: Any, page: Any,
                                           shots: Any) -> None:
    server = lab_on_simulator
    image = still()
    png = server.root / "sunset.png"
    image.save(png, compress_level=0)
    assert png.stat().st_size > 10 * 2**20

    page.goto(server.url(f"/lab/tree/{NOTEBOOK}"), wait_until="domcontentloaded")
    page.locator(".jp-Notebook .jp-CodeCell").first.wait_for(timeout=60_000)
    dismiss_popups(page)
    wait_kernel_idle(server, page)
    first_code = page.locator(".jp-Notebook .jp-CodeCell").first
    n_cells_before = cells(page).count()
    run_cell(page, first_code)
    studio = first_code.locator(".sdw-studio")
    studio.locator('[data-testid="prompt"]').wait_for(timeout=60_000)
    page.evaluate(STATUS_RECORDER)
    dismiss_popups(page)

    # Pick the fast image-to-video model: the form grows a first-frame control.
    studio.locator('[data-testid="model-picker"]').select_option(FAST_I2V)
    first_frame = studio.locator('[data-testid="field-input_image"]')
    first_frame.wait_for(timeout=15_000)
    assert studio.locator('[data-testid="field-tail_image_url"]').is_visible()
    assert first_frame.locator('[data-testid="media-face"]').get_attribute(
        "aria-checked") == "false"
    studio.locator('[data-testid="prompt"]').fill(PROMPT)
    for name, value in {"resolution": "480p", "duration": "4", "aspect_ratio": "16:9"}.items():
        studio.locator(f'[data-testid="field-{name}"] [data-value="{value}"]').click()
    shots("model-picked")

    # Drop the PNG into the first-frame control; its thumbnail appears once it is in.
    simulator.reset_stats()
    zone = first_frame.locator('[data-testid="media-drop"]')
    zone.scroll_into_view_if_needed()
    sent = page.evaluate(DROP, [zone.element_handle(), server.url("/files/sunset.png"),
                                "sunset.png"])
    assert sent == png.stat().st_size
    first_frame.locator('[data-testid="media-thumb"]').wait_for(timeout=60_000)
    info = first_frame.locator('[data-testid="media-info"]').inner_text()
    assert "2400×1600" in info, info
    assert simulator.stats() == {}, "a dropped file is kept in the kernel until Generate"
    shots("png-dropped")

    studio.locator('[data-testid="generate"]').click()
    card = studio.locator('[data-testid="job"]').first
    card.wait_for(timeout=15_000)
    job_id = card.get_attribute("data-job-id")
    wait_succeeded(page, card, job_id)
    params = json.loads(card.get_attribute("data-params") or "{}")
    assert params["input_image"].endswith(".png") and "/seedance-inputs/" in params["input_image"]
    counts = simulator.stats()
    assert counts.get(UPLOAD) == 1 and counts.get(ENQUEUE) == 1, counts

    # Played (only then do its bytes travel), the video's first frame is the dropped image,
    # letterboxed to the frame.
    card.locator('[data-testid="job-play"]').click()
    video = card.locator('[data-testid="job-video"]')
    video.wait_for(state="attached", timeout=30_000)
    page.wait_for_function("v => v.readyState >= 2 && v.videoWidth > 0",
                           arg=video.element_handle(), timeout=30_000)
    data_url = video.evaluate(FIRST_FRAME)
    frame = Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))).convert("RGB")
    size = frame_size("480p", "16:9")
    assert frame.size == size
    shown = np.asarray(frame, dtype=np.int16)
    expected = np.asarray(ImageOps.pad(image, size, color=(0, 0, 0)), dtype=np.int16)
    other = np.asarray(ImageOps.pad(still(hue=128), size, color=(0, 0, 0)), dtype=np.int16)
    difference = float(np.abs(shown - expected).mean())
    assert difference < SAME_PICTURE, difference
    assert float(np.abs(shown - other).mean()) > DIFFERENT_PICTURE  # the threshold tells
    card.scroll_into_view_if_needed()
    shots("first-frame")

    # Insert the toolkit code and run it: the same take, from the cache, sending nothing.
    widget_index = cell_index(page, ".sdw-studio")
    studio.locator('[data-testid="export-flavour-toolkit"]').click()
    studio.locator('[data-testid="insert-code"]').click()
    page.wait_for_function(
        "n => document.querySelectorAll('.jp-Notebook .jp-Cell').length === n",
        arg=n_cells_before + 1, timeout=15_000)
    new_cell = cells(page).nth(widget_index + 1)
    page.wait_for_function(
        "el => (el.querySelector('.cm-content') || {}).textContent?.includes('generate(')",
        arg=new_cell.element_handle(), timeout=15_000)
    source = cell_source(new_cell)
    kwargs = generate_call_kwargs(source)
    assert kwargs["input_image"].startswith(".seedance/inputs/"), source
    assert kwargs["prompt"] == PROMPT and kwargs["take"] == 1 and FAST_I2V in source
    before = simulator.stats()
    run_cell(page, new_cell)
    card2 = new_cell.locator('[data-testid="job"]').first
    card2.wait_for(timeout=60_000)
    job2 = card2.get_attribute("data-job-id")
    wait_succeeded(page, card2, job2)
    assert json.loads(card2.get_attribute("data-params") or "{}") == params
    assert "cached" in card2.inner_text()
    wait_kernel_idle(server, page)
    after = simulator.stats()
    for route in (UPLOAD, PROBE, CREATE_REPO, ENQUEUE):
        assert after.get(route, 0) == before.get(route, 0), (route, before, after)
    card2.scroll_into_view_if_needed()
    shots("same-take-from-cache")
    console = "\n".join(page.console_log)
    assert "[seedance-studio]" not in console, console
