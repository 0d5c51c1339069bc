"""The Studio widget end to end in a real JupyterLab 4 and Notebook 7, on the simulator.

Open notebooks/quickstart.ipynb, run only its first code cell (the widget), fill the form,
generate, watch the job card go through `processing` to `succeeded`, check the video really
plays (5 s, 496x864), insert the exported toolkit code below the widget's cell, run it, and
see a second job with the same parameters succeed.
"""

from __future__ import annotations

import ast
import json
import time
from typing import Any

import pytest

pytestmark = pytest.mark.browser

PROMPT = "A red paper kite over a windy beach at dawn, slow dolly shot"
CHOICES = {"resolution": "480p", "aspect_ratio": "9:16", "duration": "5"}
EXPECTED = {"prompt": PROMPT, "resolution": "480p", "aspect_ratio": "9:16", "duration": 5}
VIDEO_SIZE = (496, 864)
VIDEO_SECONDS = 5.0
JOB_TIMEOUT_MS = 60_000
NOTEBOOK = "quickstart.ipynb"

# Records every data-status a job card takes (MutationObserver with old values, so no
# transition is lost between two polls): window.__sdwSeen[job_id] = [status, ...].
STATUS_RECORDER = """
() => {
  if (window.__sdwSeen) return;
  const seen = (window.__sdwSeen = {});
  const push = (id, status) => {
    if (!id || !status) return;
    const list = (seen[id] = seen[id] || []);
    if (list[list.length - 1] !== status) list.push(status);
  };
  const scan = (node) => {
    if (node.nodeType !== 1) return;
    const cards = node.matches('[data-testid="job"]') ? [node] : [];
    cards.push(...node.querySelectorAll('[data-testid="job"]'));
    for (const card of cards) push(card.dataset.jobId, card.dataset.status);
  };
  new MutationObserver((records) => {
    const touched = new Set();
    for (const r of records) {
      if (r.type === "attributes" && r.target.matches('[data-testid="job"]')) {
        push(r.target.dataset.jobId, r.oldValue);
        touched.add(r.target);
      } else if (r.type === "childList") {
        r.addedNodes.forEach(scan);
      }
    }
    for (const card of touched) push(card.dataset.jobId, card.dataset.status);
  }).observe(document.body, {subtree: true, childList: true, attributes: true,
                             attributeFilter: ["data-status"], attributeOldValue: true});
  scan(document.body);
}
"""

VIDEO_READY = "v => v.readyState >= 2 && v.videoWidth > 0 && Number.isFinite(v.duration)"


# ---- helpers ------------------------------------------------------------------------------


def dismiss_popups(page: Any) -> None:
    """Close notification toasts and dialogs that would cover the notebook."""
    for dialog in page.locator(".jp-Dialog").all():
        if not dialog.is_visible():
            continue
        title = dialog.inner_text()
        accept = dialog.locator(".jp-Dialog-button.jp-mod-accept")
        if "kernel" in title.lower() and accept.count():
            accept.first.click()  # "Select Kernel": keep the notebook's default kernel
        else:
            page.keyboard.press("Escape")
    for close in page.locator(
        ".jp-Notification-Toast-Close, .Toastify__close-button, "
        ".jp-toast-button.jp-mod-reject"
    ).all():
        if close.is_visible():
            close.click()


def wait_kernel_idle(server: Any, page: Any, timeout: float = 60.0,
                     notebook: str = NOTEBOOK) -> None:
    """Wait until the notebook's session has a kernel that reports `idle`."""
    deadline = time.monotonic() + timeout
    state = "no session"
    while time.monotonic() < deadline:
        sessions = server.api("/api/sessions")
        assert isinstance(sessions, list)
        mine = [s for s in sessions if str(s.get("path", "")).endswith(notebook)]
        if mine and mine[0].get("kernel"):
            state = mine[0]["kernel"].get("execution_state", "?")
            if state == "idle":
                break
        dismiss_popups(page)
        time.sleep(0.3)
    else:
        pytest.fail(f"kernel not idle after {timeout}s (last state: {state})\n"
                    f"{server.log_tail()}")
    # The notebook's own toolbar indicator agrees (both JupyterLab and Notebook 7 have it).
    indicator = page.locator(".jp-Notebook-ExecutionIndicator").first
    if indicator.count():
        page.wait_for_function(
            "el => !el.dataset.status || el.dataset.status === 'idle'",
            arg=indicator.element_handle(), timeout=30_000)


def cells(page: Any) -> Any:
    return page.locator(".jp-Notebook .jp-Cell")


def cell_index(page: Any, selector: str) -> int:
    """Index (among all cells) of the first cell containing `selector`, or -1."""
    return page.evaluate(
        """(sel) => Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell'))
                 .findIndex((c) => c.querySelector(sel))""", selector)


def cell_source(cell: Any) -> str:
    return cell.locator(".jp-InputArea .cm-content").first.evaluate(
        "el => Array.from(el.querySelectorAll('.cm-line')).map(l => l.textContent).join('\\n')")


def run_cell(page: Any, cell: Any) -> None:
    """Select `cell` (command mode, via its prompt area) and run it with Shift+Enter."""
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputPrompt").first.click()
    page.keyboard.press("Shift+Enter")


def statuses(page: Any, job_id: str) -> list[str]:
    return page.evaluate("(id) => (window.__sdwSeen || {})[id] || []", job_id)


def wait_succeeded(page: Any, card: Any, job_id: str) -> list[str]:
    try:
        page.wait_for_function(
            """(id) => { const s = (window.__sdwSeen || {})[id] || [];
                         return s.includes('succeeded') || s.includes('failed')
                             || s.includes('error') || s.includes('cancelled'); }""",
            arg=job_id, timeout=JOB_TIMEOUT_MS)
    except Exception as exc:  # pragma: no cover - reported with context
        raise AssertionError(f"job {job_id} did not finish; statuses seen: "
                             f"{statuses(page, job_id)}; card: {card.inner_text()!r}") from exc
    seen = statuses(page, job_id)
    assert seen[-1] == "succeeded", f"job {job_id} ended {seen}: {card.inner_text()!r}"
    return seen


def check_video(page: Any, card: Any) -> dict[str, Any]:
    """The card shows its poster (no video fetched); played, the whole clip plays."""
    assert card.locator('[data-testid="job-video"]').count() == 0
    poster = card.locator('[data-testid="poster"]')
    poster.wait_for(timeout=30_000)
    page.wait_for_function("i => i.complete && i.naturalWidth > 0",
                           arg=poster.element_handle(), timeout=30_000)
    card.locator('[data-testid="job-play"]').click()
    video = card.locator('[data-testid="job-video"]')
    video.wait_for(state="attached", timeout=30_000)
    page.wait_for_function(VIDEO_READY, arg=video.element_handle(), timeout=30_000)
    info = video.evaluate(
        """v => ({ready: v.readyState, duration: v.duration, width: v.videoWidth,
                  height: v.videoHeight, src: v.currentSrc || v.src,
                  controls: v.controls, playsinline: v.hasAttribute('playsinline')})""")
    assert info["ready"] >= 2, info
    assert abs(info["duration"] - VIDEO_SECONDS) <= 0.2, info
    assert (info["width"], info["height"]) == VIDEO_SIZE, info
    assert info["src"].startswith("blob:"), info
    assert info["controls"] and info["playsinline"], info
    download = card.locator('[data-testid="job-download"]')
    assert download.get_attribute("href") == info["src"]
    assert (download.get_attribute("download") or "").endswith(".mp4")
    return info


def generate_call_kwargs(source: str) -> dict[str, Any]:
    """The literal keyword arguments of the `....generate(...)` call in exported code."""
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "generate"):
            return {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg}
    raise AssertionError(f"no .generate(...) call in the inserted cell:\n{source}")


# ---- the scenario (shared by JupyterLab and Notebook 7) -----------------------------------


def studio_smoke(server: Any, page: Any, shots: Any, url_path: str) -> None:
    page.goto(server.url(url_path), wait_until="domcontentloaded")
    page.locator(".jp-Notebook .jp-CodeCell").first.wait_for(timeout=60_000)
    dismiss_popups(page)
    wait_kernel_idle(server, page)
    dismiss_popups(page)
    shots("notebook-open")

    # Run only the first code cell: the widget.
    first_code = page.locator(".jp-Notebook .jp-CodeCell").first
    assert "Studio()" in cell_source(first_code)
    n_cells_before = cells(page).count()
    run_cell(page, first_code)
    studio = first_code.locator(".sdw-studio")
    studio.locator('[data-testid="prompt"]').wait_for(timeout=60_000)
    page.evaluate(STATUS_RECORDER)
    dismiss_popups(page)
    assert studio.locator('[data-testid="simulated-badge"]').is_visible()
    assert not studio.locator('[data-testid="job"]').count()
    # The kernel's static snapshot (for viewers without a kernel) stays hidden in a live view.
    assert all(not el.is_visible() for el in page.locator(".sdw-static").all())
    studio.scroll_into_view_if_needed()
    shots("widget")

    # Shift+Enter in the prompt is a newline, not the notebook's "run cell".
    prompt = studio.locator('[data-testid="prompt"]')
    run_count = first_code.locator(".jp-InputPrompt").first.inner_text()
    prompt.click()
    page.keyboard.type("draft")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("line two")
    assert prompt.input_value() == "draft\nline two"
    assert first_code.locator(".jp-InputPrompt").first.inner_text() == run_count
    assert page.locator(".sdw-studio").count() == 1

    # Fill the form.
    prompt.fill(PROMPT)
    count = studio.locator('[data-testid="char-count"]')
    assert str(len(PROMPT)) in count.inner_text()
    for name, value in CHOICES.items():
        option = studio.locator(f'[data-testid="field-{name}"] [data-value="{value}"]')
        option.click()
        assert option.get_attribute("aria-pressed") == "true", (name, value)
        others = studio.locator(f'[data-testid="field-{name}"] [aria-pressed="true"]')
        assert others.count() == 1, (name, value)
    shots("form-filled")

    # Generate and follow the card.
    studio.locator('[data-testid="generate"]').click()
    card = studio.locator('[data-testid="job"]').first
    card.wait_for(timeout=15_000)
    job_id = card.get_attribute("data-job-id")
    assert job_id
    form_error = studio.locator('[data-testid="form-error"]')
    assert not form_error.is_visible(), form_error.inner_text()
    page.wait_for_function("(id) => ((window.__sdwSeen || {})[id] || []).length > 0",
                           arg=job_id, timeout=10_000)
    page.wait_for_function(
        "(id) => ((window.__sdwSeen || {})[id] || []).some(s => s !== 'submitting' && "
        "s !== 'queued')", arg=job_id, timeout=JOB_TIMEOUT_MS)
    shots("job-running")
    seen = wait_succeeded(page, card, job_id)
    assert card.locator('[data-testid="job-new-take"]').is_visible()
    assert card.locator('[data-testid="job-compare"]').get_attribute("aria-pressed") == "false"
    assert "processing" in seen, f"never saw processing: {seen}"
    assert seen.index("processing") < seen.index("succeeded"), seen
    assert card.locator('[data-testid="job-cancel"]').is_hidden()
    elapsed = card.locator('[data-testid="job-elapsed"]').inner_text()
    assert elapsed.endswith("s") and float(elapsed.split()[0]) > 0, elapsed
    params = json.loads(card.get_attribute("data-params") or "{}")
    for key, value in EXPECTED.items():
        assert params.get(key) == value, (key, params)

    check_video(page, card)
    card.scroll_into_view_if_needed()
    shots("video-loaded")

    # Insert the toolkit code below the widget's cell.
    widget_index = cell_index(page, ".sdw-studio")
    assert widget_index >= 0
    studio.locator('[data-testid="export-flavour-toolkit"]').click()
    studio.locator('[data-testid="insert-code"]').click()
    code = studio.locator('[data-testid="export-code"]')
    code.wait_for(state="visible", timeout=15_000)
    assert "generate(" in code.inner_text()
    assert studio.locator('[data-testid="copy-code"]').is_visible()
    page.wait_for_function(
        "n => document.querySelectorAll('.jp-Notebook .jp-Cell').length === n",
        arg=n_cells_before + 1, timeout=15_000)
    new_cell = cells(page).nth(widget_index + 1)
    page.wait_for_function(
        "el => (el.querySelector('.cm-content') || {}).textContent?.includes('generate(')",
        arg=new_cell.element_handle(), timeout=15_000)
    assert "jp-CodeCell" in (new_cell.get_attribute("class") or "")
    source = cell_source(new_cell)
    kwargs = generate_call_kwargs(source)
    for key, value in EXPECTED.items():
        assert kwargs.get(key) == value, (key, kwargs, source)
    new_cell.scroll_into_view_if_needed()
    shots("code-inserted")

    # Run the inserted cell: its own studio shows a job with the same request.
    run_cell(page, new_cell)
    card2 = new_cell.locator('[data-testid="job"]').first
    card2.wait_for(timeout=30_000)
    job2 = card2.get_attribute("data-job-id")
    assert job2 and job2 != job_id
    wait_succeeded(page, card2, job2)
    assert json.loads(card2.get_attribute("data-params") or "{}") == params
    check_video(page, card2)
    card2.scroll_into_view_if_needed()
    shots("second-job")

    # Ctrl+Enter in the prompt generates, with text typed just before it (the debounced
    # prompt is flushed first), and does not re-run the widget's cell. (The same request
    # again would return the existing job, so the prompt changes.)
    prompt.click()
    assert page.evaluate("document.activeElement?.dataset?.testid") == "prompt"
    page.keyboard.press("Control+End")
    page.keyboard.type(" again")
    page.keyboard.press("Control+Enter")
    card3 = studio.locator(f'[data-testid="job"]:not([data-job-id="{job_id}"])').first
    card3.wait_for(timeout=15_000)
    params3 = json.loads(card3.get_attribute("data-params") or "{}")
    assert params3 == {**params, "prompt": PROMPT + " again"}, params3
    assert first_code.locator(".jp-InputPrompt").first.inner_text() == run_count
    assert cells(page).count() == n_cells_before + 1

    console = "\n".join(page.console_log)
    assert "[seedance-studio]" not in console, console


def test_studio_jupyterlab(lab_server: Any, page: Any, shots: Any) -> None:
    studio_smoke(lab_server, page, shots, f"/lab/tree/{NOTEBOOK}")


def test_studio_notebook7(notebook_server: Any, page: Any, shots: Any) -> None:
    studio_smoke(notebook_server, page, shots, f"/notebooks/{NOTEBOOK}")


def test_sweep_gallery_and_compare_jupyterlab(lab_server: Any, page: Any, shots: Any) -> None:
    """prompt_sweep.ipynb: a 2x3 gallery fills in; two cells compared play in sync."""
    page.goto(lab_server.url("/lab/tree/prompt_sweep.ipynb"), wait_until="domcontentloaded")
    code_cells = page.locator(".jp-Notebook .jp-CodeCell")
    code_cells.first.wait_for(timeout=60_000)
    dismiss_popups(page)
    wait_kernel_idle(lab_server, page, notebook="prompt_sweep.ipynb")
    run_cell(page, code_cells.nth(0))
    studio = code_cells.nth(0).locator(".sdw-studio")
    studio.locator('[data-testid="prompt"]').wait_for(timeout=60_000)
    assert studio.locator('[data-testid="gallery"]').is_hidden()

    run_cell(page, code_cells.nth(1))  # studio.sweep(prompt=[2], aspect_ratio=[3])
    gallery = studio.locator('[data-testid="gallery"]')
    cells_ = gallery.locator('[data-testid="gallery-cell"]')
    cells_.first.wait_for(timeout=30_000)
    assert cells_.count() == 6
    # One group per prompt; each cell labelled with its value of the last axis (aspect ratio),
    # in the sweep's order, wrapping into the width.
    labels = gallery.locator('[data-testid="gallery-label"]').all_inner_texts()
    assert [t.split()[-1] for t in labels] == ["16:9", "1:1", "9:16"] * 2, labels
    assert gallery.locator(".sdw-gallery-rowhead").count() == 2
    page.wait_for_function(
        """() => { const cells = document.querySelectorAll('[data-testid="gallery-cell"]');
                   return cells.length === 6 && [...cells].every(c => {
                     const img = c.querySelector('[data-testid="poster"]');
                     return c.dataset.status === 'succeeded' && img && img.complete
                       && img.naturalWidth > 0; }); }""",
        timeout=JOB_TIMEOUT_MS)
    sizes = cells_.locator('[data-testid="poster"]').evaluate_all(
        "is => is.map(i => [i.naturalWidth, i.naturalHeight])")
    assert [w > h for w, h in sizes] == [True, False, False] * 2, sizes
    assert page.locator("video").count() == 0  # posters only until something is played
    box = gallery.bounding_box()
    assert all(c["x"] + c["width"] <= box["x"] + box["width"] + 1
               for c in (cells_.nth(i).bounding_box() for i in range(6)))
    toggles = cells_.locator('[data-testid="job-compare"]')
    assert all(t.evaluate("b => b.scrollWidth <= b.clientWidth + 1") for t in toggles.all())
    gallery.scroll_into_view_if_needed()
    shots("gallery")

    # Compare the 16:9 cell of each prompt: the prompts differ and are highlighted.
    cells_.nth(0).locator('[data-testid="job-compare"]').click()
    cells_.nth(3).locator('[data-testid="job-compare"]').click()
    panel = studio.locator('[data-testid="compare-panel"]')
    panel.wait_for(state="visible", timeout=10_000)
    videos = panel.locator("video")
    page.wait_for_function(
        """() => { const vs = document.querySelectorAll('[data-testid="compare-panel"] video');
                   return vs.length === 2 && [...vs].every(v => v.readyState >= 2); }""",
        timeout=30_000)
    assert panel.locator(".sdw-compare-prompt.sdw-diff").count() == 2
    assert panel.locator(".sdw-chip.sdw-diff").count() == 0  # same settings otherwise
    panel.locator('[data-testid="compare-play"]').click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="compare-panel"] video')]
                 .every(v => !v.paused && v.currentTime > 0.3)""", timeout=10_000)
    videos.nth(0).evaluate("v => v.pause()")
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="compare-panel"] video')]
                 .every(v => v.paused)""", timeout=5_000)
    times = videos.evaluate_all("vs => vs.map(v => v.currentTime)")
    assert abs(times[0] - times[1]) < 0.3, times
    panel.scroll_into_view_if_needed()
    shots("compare")
