"""Judging in a real JupyterLab: rate a take with the stars, write a note, tag it; reload the
page, restart the kernel, and find the take again through the history panel's filter."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from test_studio_browser import (
    NOTEBOOK,
    STATUS_RECORDER,
    check_video,
    dismiss_popups,
    run_cell,
    wait_kernel_idle,
    wait_succeeded,
)

pytestmark = pytest.mark.browser

PROMPT = "A lighthouse in a storm, waves breaking, slow push in"
NOTE = "Best light of the day — keep for the poster"


def open_studio(server: Any, page: Any) -> Any:
    """Open the quickstart, run its first cell (a Studio) and return the widget."""
    page.goto(server.url(f"/lab/tree/{NOTEBOOK}"), wait_until="domcontentloaded")
    first = page.locator(".jp-Notebook .jp-CodeCell").first
    first.wait_for(timeout=60_000)
    dismiss_popups(page)
    wait_kernel_idle(server, page)
    run_cell(page, first)
    studio = first.locator(".sdw-studio")
    studio.locator('[data-testid="prompt"]').wait_for(timeout=60_000)
    page.evaluate(STATUS_RECORDER)
    dismiss_popups(page)
    return studio


def restart_kernel(server: Any) -> None:
    sessions = server.api("/api/sessions")
    (mine,) = [s for s in sessions if str(s.get("path", "")).endswith(NOTEBOOK)]
    request = urllib.request.Request(
        server.url(f"/api/kernels/{mine['kernel']['id']}/restart"), method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=60) as reply:
        assert reply.status == 200


def test_rate_note_tag_then_find_it_in_the_history_after_a_reload(lab_server: Any, page: Any,
                                                                 shots: Any) -> None:
    studio = open_studio(lab_server, page)
    history = studio.locator('[data-testid="history-panel"]')
    assert history.is_visible()
    assert "0 takes" in history.locator('[data-testid="history-summary"]').inner_text()

    studio.locator('[data-testid="prompt"]').fill(PROMPT)
    for name, value in {"resolution": "480p", "aspect_ratio": "9:16", "duration": "5"}.items():
        studio.locator(f'[data-testid="field-{name}"] [data-value="{value}"]').click()
    studio.locator('[data-testid="generate"]').click()
    card = studio.locator('[data-testid="job"]').first
    card.wait_for(timeout=15_000)
    job_id = card.get_attribute("data-job-id")
    wait_succeeded(page, card, job_id)
    check_video(page, card)
    cost = card.locator('[data-testid="job-cost"]')
    page.wait_for_function("el => el.textContent === '$0.40'", arg=cost.element_handle(),
                           timeout=15_000)  # billed: 480p x 5 s at $0.08 / s

    # Four stars, a note, a tag: each shows once the kernel has it in the ledger.
    card.locator('[data-testid="job-star"][data-value="4"]').click()
    stars = card.locator('[data-testid="job-stars"]')
    page.wait_for_function("el => el.dataset.rating === '4'", arg=stars.element_handle(),
                           timeout=15_000)
    assert card.locator('[data-testid="job-star"][aria-pressed="true"]').count() == 4
    note = card.locator('[data-testid="job-note"]')
    note.fill(NOTE)
    card.locator('[data-testid="job-note-save"]').click()
    tag_input = card.locator('[data-testid="job-tag-input"]')
    tag_input.fill("keeper")
    tag_input.press("Enter")
    card.locator('[data-testid="job-tag"][data-tag="keeper"]').wait_for(timeout=15_000)
    page.wait_for_function("el => el.hidden", arg=card.locator(
        '[data-testid="job-note-save"]').element_handle(), timeout=15_000)
    row = history.locator('[data-testid="history-row"]')
    row.first.wait_for(timeout=15_000)
    page.wait_for_function(
        "el => el.textContent.includes('keeper')", arg=history.element_handle(), timeout=15_000)
    card.scroll_into_view_if_needed()
    shots("judged")

    # Reload the page and restart the kernel: only the ledger remembers.
    page.on("dialog", lambda dialog: dialog.accept())  # "leave with unsaved changes?"
    page.reload(wait_until="domcontentloaded")
    restart_kernel(lab_server)
    studio = open_studio(lab_server, page)
    assert studio.locator('[data-testid="job"]').count() == 0
    history = studio.locator('[data-testid="history-panel"]')
    history.locator('[data-testid="history-row"]').first.wait_for(timeout=30_000)
    history.locator('[data-testid="history-tag"]').select_option("keeper")
    page.wait_for_function(
        """el => { const rows = el.querySelectorAll('[data-testid="history-row"]');
                   return rows.length === 1 && rows[0].textContent.includes('keeper'); }""",
        arg=history.element_handle(), timeout=15_000)
    found = history.locator('[data-testid="history-row"]')
    assert found.locator('[data-testid="history-rating"]').inner_text() == "★★★★"
    assert found.locator('[data-testid="history-note"]').inner_text() == NOTE
    assert PROMPT in found.inner_text() and "$0.40" in found.inner_text()
    history.locator('[data-testid="history-search"]').fill("LIGHTHOUSE")
    page.wait_for_timeout(600)  # the search is debounced
    assert history.locator('[data-testid="history-row"]').count() == 1
    history.scroll_into_view_if_needed()
    shots("found-after-reload")

    # Opening it shows its card (with the judgments) and its video; nothing is generated.
    found.locator('[data-testid="history-open"]').click()
    card = studio.locator('[data-testid="job"]').first
    card.wait_for(timeout=15_000)
    assert card.get_attribute("data-status") == "succeeded"
    assert card.locator('[data-testid="job-star"][aria-pressed="true"]').count() == 4
    assert card.locator('[data-testid="job-note"]').input_value() == NOTE
    tags = card.locator('[data-testid="job-tag"]')
    assert [tags.nth(i).get_attribute("data-tag") for i in range(tags.count())] == ["keeper"]
    check_video(page, card)
    params = json.loads(card.get_attribute("data-params") or "{}")
    assert params["prompt"] == PROMPT and params["aspect_ratio"] == "9:16"
    card.scroll_into_view_if_needed()
    shots("opened")
    console = "\n".join(page.console_log)
    assert "[seedance-studio]" not in console, console
