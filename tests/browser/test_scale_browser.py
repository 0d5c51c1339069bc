"""Hundreds of takes in JupyterLab: a 300-cell sweep renders with posters, windowed, fetches
no video until one is played, plays a card from the middle and seeks in it; the studio's
text keeps WCAG AA contrast in JupyterLab Light and Dark; at 700 px the cards are reachable.
"""

from __future__ import annotations

from typing import Any

import pytest
import sweep_notebook
from contrast import contrast_failures
from test_studio_browser import dismiss_popups, run_cell, wait_kernel_idle

pytestmark = pytest.mark.browser

NOTEBOOK = "sweep300.ipynb"


def open_sweep(server: Any, page: Any, frames: list[int]) -> Any:
    """Open the sweep notebook, run both cells; returns the studio's locator."""
    sweep_notebook.write(server.root)
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda payload: frames.append(
            len(payload) if isinstance(payload, bytes | str) else 0)))
    page.goto(server.url(f"/lab/tree/{NOTEBOOK}"), wait_until="domcontentloaded")
    code_cells = page.locator(".jp-Notebook .jp-CodeCell")
    code_cells.first.wait_for(timeout=60_000)
    dismiss_popups(page)
    wait_kernel_idle(server, page, notebook=NOTEBOOK)
    run_cell(page, code_cells.nth(0))
    studio = code_cells.nth(0).locator(".sdw-studio")
    studio.locator('[data-testid="prompt"]').wait_for(timeout=90_000)
    run_cell(page, code_cells.nth(1))
    return studio


def test_300_cell_sweep_windowed_with_posters_plays_and_seeks(lab_server: Any, page: Any,
                                                              shots: Any) -> None:
    frames: list[int] = []
    studio = open_sweep(lab_server, page, frames)
    gallery = studio.locator('[data-testid="gallery"]')
    gallery.wait_for(timeout=60_000)
    page.wait_for_function(
        "n => document.querySelector('.sdw-gallery .sdw-count')?.textContent"
        ".includes(`${n}/${n} done`)", arg=sweep_notebook.CELLS, timeout=240_000)
    shots("sweep-done")

    # Every shown card of a finished take soon shows its media (the poster until played;
    # "succeeded" comes a moment before the download ends).
    page.wait_for_function("""() => [...document.querySelectorAll(
        '[data-testid="job"][data-status="succeeded"]')].every(
        c => !c.querySelector('.sdw-media').hidden)""", timeout=15_000)

    # Windowed: 300 slots, few mounted; the page is far from 141k nodes.
    gallery.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    slots = gallery.locator(".sdw-gallery-slot")
    assert slots.count() == sweep_notebook.CELLS
    mounted = gallery.locator('[data-testid="gallery-cell"]').count()
    assert 0 < mounted < 120, mounted
    cards = studio.locator('[data-testid="job"]').count()
    assert cards < 60, cards  # the cards are far below the 300-cell gallery: unmounted
    assert studio.locator(".sdw-job-slot").count() == sweep_notebook.CELLS
    nodes = page.evaluate("document.getElementsByTagName('*').length")
    assert nodes < 25_000, nodes
    # Posters only: no video was fetched, and the first cells show their posters.
    assert page.locator("video").count() == 0
    page.wait_for_function(
        """() => { const imgs = [...document.querySelectorAll(
                     '.sdw-gallery [data-testid="poster"]')].slice(0, 6);
                   return imgs.length === 6 && imgs.every(i => i.complete && i.naturalWidth); }""",
        timeout=30_000)
    before_play = sum(frames)
    assert before_play < 25_000_000, before_play

    # A cell from the middle: scrolled to, it mounts with its poster; played, it plays.
    middle = slots.nth(sweep_notebook.CELLS // 2)
    job_id = middle.get_attribute("data-key")
    middle.scroll_into_view_if_needed()
    cell = gallery.locator(f'[data-testid="gallery-cell"][data-job-id="{job_id}"]')
    cell.wait_for(timeout=15_000)
    poster = cell.locator('[data-testid="poster"]')
    page.wait_for_function("i => i.complete && i.naturalWidth > 0",
                           arg=poster.element_handle(), timeout=15_000)
    cell.locator('[data-testid="play"]').click()
    video = cell.locator("video")
    video.wait_for(timeout=15_000)
    page.wait_for_function("v => !v.paused && v.currentTime > 0.2",
                           arg=video.element_handle(), timeout=15_000)
    assert page.locator("video").count() == 1  # only the one played
    # Seeking in the played clip works (a whole MP4 in a Blob URL).
    video.evaluate("v => { v.pause(); v.currentTime = 3.0; }")
    page.wait_for_function("v => !v.seeking && Math.abs(v.currentTime - 3.0) < 0.1",
                           arg=video.element_handle(), timeout=10_000)
    cell.scroll_into_view_if_needed()
    shots("middle-played")

    # Far away, the first cells were unmounted: the page does not grow with the list.
    assert gallery.locator('[data-testid="gallery-cell"]').count() < 120

    # Light theme: every text of the studio at 4.5:1 (large text 3:1).
    studio.scroll_into_view_if_needed()
    assert contrast_failures(page, studio) == []

    # Saved and reloaded, the page renders the studio again from the live kernel, and it
    # gets the whole current state (the view asks for it once: `sync`).
    page.locator(".jp-Notebook").first.click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+s")
    page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=30_000)
    page.reload(wait_until="domcontentloaded")
    dismiss_popups(page)
    studio = page.locator(".jp-Notebook .jp-CodeCell").first.locator(".sdw-studio")
    studio.locator('[data-testid="prompt"]').wait_for(timeout=90_000)
    page.wait_for_function(
        "n => document.querySelector('.sdw-gallery .sdw-count')?.textContent"
        ".includes(`${n}/${n} done`)", arg=sweep_notebook.CELLS, timeout=60_000)
    assert studio.locator(".sdw-job-slot").count() == sweep_notebook.CELLS
    assert studio.locator(".sdw-jobs .sdw-count").inner_text() == str(sweep_notebook.CELLS)


def test_contrast_in_lab_dark_and_a_narrow_window(lab_server: Any, page: Any,
                                                  shots: Any) -> None:
    """JupyterLab Dark: no text under 4.5:1. At 700 px the cards come right after the
    prompt and Generate."""
    page.goto(lab_server.url("/lab/tree/prompt_sweep.ipynb"), wait_until="domcontentloaded")
    code_cells = page.locator(".jp-Notebook .jp-CodeCell")
    code_cells.first.wait_for(timeout=60_000)
    dismiss_popups(page)
    wait_kernel_idle(lab_server, page, notebook="prompt_sweep.ipynb")
    run_cell(page, code_cells.nth(0))
    studio = code_cells.nth(0).locator(".sdw-studio")
    studio.locator('[data-testid="prompt"]').wait_for(timeout=60_000)
    run_cell(page, code_cells.nth(1))
    page.wait_for_function(
        """() => { const cells = document.querySelectorAll('[data-testid="gallery-cell"]');
                   return cells.length === 6 && [...cells].every(c =>
                     c.dataset.status === 'succeeded'
                     && c.querySelector('[data-testid="poster"]')); }""", timeout=120_000)
    page.locator(".lm-MenuBar-item", has_text="Settings").click()
    page.locator(".lm-Menu-item", has_text="Theme").first.hover()
    page.get_by_role("menuitem", name="JupyterLab Dark", exact=True).click()
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'",
                           timeout=30_000)
    page.wait_for_timeout(500)
    studio.scroll_into_view_if_needed()
    shots("lab-dark")
    assert contrast_failures(page, studio) == []

    page.set_viewport_size({"width": 700, "height": 900})
    page.wait_for_timeout(500)
    studio.locator('[data-testid="prompt"]').scroll_into_view_if_needed()
    options = studio.locator('[data-testid="form-options"]')
    assert options.is_visible()
    assert studio.locator('[data-testid="field-resolution"]').is_hidden()
    prompt_top = studio.locator('[data-testid="prompt"]').bounding_box()["y"]
    card_top = studio.locator('[data-testid="job"]').first.bounding_box()["y"]
    assert card_top - prompt_top < 700, (prompt_top, card_top)
    shots("narrow")
    options.click()
    assert studio.locator('[data-testid="field-resolution"]').is_visible()
    code_wraps = studio.locator('[data-testid="export-code"]')
    assert code_wraps.evaluate("el => getComputedStyle(el).whiteSpace") == "pre-wrap"
