"""Every notebook in notebooks/ executes headless (nbclient) against the simulator."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import nbformat
import pytest
from notebook_runner import run_notebook

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


def execute(path: Path, workdir: Path, **oxen_env: str) -> nbformat.NotebookNode:
    """Run a copy of `path` in `workdir`; with no key given, on the built-in simulator."""
    copy = workdir / path.name
    shutil.copy(path, copy)
    return run_notebook(nbformat.read(copy, as_version=4), workdir, **oxen_env)


def text_of(notebook: nbformat.NotebookNode) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.append(str(output.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def errors_in(notebook: nbformat.NotebookNode) -> list:
    return [o for c in notebook.cells for o in c.get("outputs", [])
            if o.get("output_type") == "error"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_twice_and_the_second_run_is_free(path: Path, tmp_path: Path,
                                                         simulator, api_key):
    """Run 1 generates; run 2 (same folder, new kernel) is served from the ledger."""
    env = {"OXEN_API_KEY": api_key, "OXEN_BASE_URL": simulator.base_url,
           "OXEN_ASSETS_REPO": "tester/notebook-assets"}
    simulator.reset_stats()
    first = execute(path, tmp_path, **env)
    assert not errors_in(first), errors_in(first)
    made = simulator.stats().get("POST /api/ai/queue", 0)
    assert made > 0
    simulator.reset_stats()
    second = execute(path, tmp_path, **env)
    assert not errors_in(second), errors_in(second)
    assert simulator.stats() == {}, "the re-run made requests"
    assert len(list((tmp_path / "videos").glob("*.mp4"))) == made


def test_sweep_notebook_shows_size_cost_and_compare(tmp_path: Path, simulator, api_key):
    notebook = execute(Path(__file__).parents[1] / "notebooks" / "prompt_sweep.ipynb",
                       tmp_path, OXEN_API_KEY=api_key, OXEN_BASE_URL=simulator.base_url)
    output = text_of(notebook)
    assert "<Sweep 6 generations: prompt (2) × aspect_ratio (3), estimated ≈ $" in output
    assert output.count("-> ") == 6 and "Error" not in output
    compare_output = notebook.cells[5].outputs[-1]["data"]["text/plain"]
    assert compare_output.count("'") == 6  # three job ids


def test_model_tiers_sweeps_three_models_and_reruns_without_uploads(tmp_path: Path,
                                                                    simulator, api_key):
    """3 image-to-video tiers × 2 prompts from one local still: one upload, six enqueues,
    the cost per model; the second run uploads and enqueues nothing."""
    path = Path(__file__).parents[1] / "notebooks" / "model_tiers.ipynb"
    env = {"OXEN_API_KEY": api_key, "OXEN_BASE_URL": simulator.base_url,
           "OXEN_ASSETS_REPO": "tester/tiers-assets"}
    upload = "PUT /api/repos/{namespace}/{repo}/file/{branch}/{path:path}"
    simulator.reset_stats()
    first = execute(path, tmp_path, **env)
    assert not errors_in(first), errors_in(first)
    counts = simulator.stats()
    assert counts["POST /api/ai/queue"] == 6 and counts[upload] == 1, counts
    output = text_of(first)
    assert "<Sweep 6 generations: model (3) × prompt (2), estimated ≈ $2.64" in output
    for tier, cost in (("mini-image-to-video", "0.40"), ("fast-image-to-video", "0.64"),
                       ("2-0-image-to-video", "1.60")):
        assert f"{tier}: ${cost}" in output
    assert output.count("-> ") == 6 and "Error" not in output
    simulator.reset_stats()
    second = execute(path, tmp_path, **env)
    assert not errors_in(second), errors_in(second)
    counts = simulator.stats()
    assert counts.get("POST /api/ai/queue", 0) == 0 and counts.get(upload, 0) == 0, counts
    assert text_of(second).count("-> ") == 6


def test_quickstart_on_the_embedded_simulator(tmp_path: Path):
    notebook = execute(Path(__file__).parents[1] / "notebooks" / "quickstart.ipynb", tmp_path)
    output = text_of(notebook)
    assert "bytes" in output and ".mp4" in output
    assert list((tmp_path / "videos").glob("*.mp4"))
    assert "studio.generate(" in output and "httpx.Client" in output
    assert "Simulated" in output or "simulated" in output.lower()


def test_prompt_study_ranks_blindly_and_writes_a_report(tmp_path: Path, simulator, api_key):
    """prompt_study.ipynb: the sweep's preview, eight recorded choices, the ranking the rule
    implies, the winner's judgments, and a report; run twice, the second makes no request
    and finds the comparison done."""
    env = {"OXEN_API_KEY": api_key, "OXEN_BASE_URL": simulator.base_url}
    path = Path(__file__).parents[1] / "notebooks" / "prompt_study.ipynb"
    first = text_of(execute(path, tmp_path, **env))
    assert "<Sweep 4 generations: prompt (2) × aspect_ratio (2), estimated ≈ $1.28; " \
           "0 cached, 4 new ≈ $1.28, $5.00 of the budget left; 0/4 done>" in first
    assert "BlindComparison" in first and "8 rounds: done" in first
    ranked = first[first.index("Preferences from 8 of 8"):]
    winner = ranked.splitlines()[2]
    assert winner.strip().startswith("1") and "kite" in winner and "16:9" in winner
    assert "★★★★★" in first and "#study #winner" in first
    report = (tmp_path / "prompt_study.html").read_text()
    assert report.count("<video") == 4 and "Blind comparison" in report
    assert "Won the blind comparison" in report and api_key not in report
    with sqlite3.connect(tmp_path / ".seedance" / "ledger.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM choices").fetchone()[0] == 8
    simulator.reset_stats()
    second = text_of(execute(path, tmp_path, **env))
    assert simulator.stats() == {}
    assert "4 cached, 0 new" in second and second[second.index("Preferences"):].splitlines()[
        2] == winner
