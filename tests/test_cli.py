"""`seedance generate` end to end, as a subprocess, against the simulator."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from cli_runner import clean_env, start
from cli_runner import seedance as run

from seedance_widgets.simulator import SimulatorConfig, SimulatorServer


def test_generate_on_the_embedded_simulator(tmp_path):
    result = run(["generate", "a red fox running through snow", "--resolution", "480p",
                  "--duration", "5", "--aspect-ratio", "9:16", "--audio", "--watermark",
                  "--out", "clip.mp4"], env=clean_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "SIMULATED" in result.stderr
    assert "processing" in result.stderr and "succeeded" in result.stderr
    assert result.stdout.strip() == "clip.mp4"
    with av.open(str(tmp_path / "clip.mp4")) as container:
        video = container.streams.video[0]
        assert (video.width, video.height) == (496, 864)
        assert len(container.streams.audio) == 1
        assert abs(float(container.duration / av.time_base) - 5) < 0.15


def test_generate_against_a_running_simulator(tmp_path, simulator, api_key):
    simulator.reset_stats()
    env = clean_env(OXEN_API_KEY=api_key, OXEN_BASE_URL=simulator.base_url)
    result = run(["generate", "two prompts never look alike", "--resolution", "480p",
                  "--duration", "4"], env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "SIMULATED" not in result.stderr
    saved = Path(tmp_path, result.stdout.strip())
    assert saved.suffix == ".mp4" and saved.stat().st_size > 1000
    assert simulator.stats()["POST /api/ai/queue"] == 1
    assert api_key not in result.stdout + result.stderr


def test_sync_mode_uses_the_blocking_endpoint(tmp_path, simulator, api_key):
    simulator.reset_stats()
    env = clean_env(OXEN_API_KEY=api_key, OXEN_BASE_URL=simulator.base_url)
    result = run(["generate", "sync fox", "--resolution", "480p", "--duration", "4", "--sync",
                  "--out", "sync.mp4"], env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert simulator.stats().get("POST /api/ai/videos/generate") == 1
    assert "POST /api/ai/queue" not in simulator.stats()
    assert (tmp_path / "sync.mp4").stat().st_size > 1000


@pytest.mark.parametrize(("args", "field", "allowed"), [
    (["--resolution", "1080p"], "resolution", "480p, 720p"),
    (["--duration", "3"], "duration", "-1, 4, 5"),
    (["--duration", "soon"], "duration", "-1, 4, 5"),
    (["--aspect-ratio", "2:1"], "aspect_ratio", "adaptive, 21:9, 16:9"),
])
def test_bad_input_exits_2_before_any_request(tmp_path, simulator, api_key, args, field,
                                              allowed):
    simulator.reset_stats()
    env = clean_env(OXEN_API_KEY=api_key, OXEN_BASE_URL=simulator.base_url)
    result = run(["generate", "fox", *args], env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert f"{field}: " in result.stderr and allowed in result.stderr
    assert simulator.stats() == {}


def test_other_model_schema_is_fetched(tmp_path, simulator, api_key):
    env = clean_env(OXEN_API_KEY=api_key, OXEN_BASE_URL=simulator.base_url)
    bad = run(["generate", "fox", "--model", "bytedance-seedance-2-0-text-to-video",
               "--resolution", "8k"], env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "480p, 720p, 1080p, 4k" in bad.stderr


def test_wrong_key_is_an_api_error(tmp_path, simulator):
    env = clean_env(OXEN_API_KEY="sk-wrong-key-XYZ", OXEN_BASE_URL=simulator.base_url)
    result = run(["generate", "fox", "--resolution", "480p"], env=env, cwd=tmp_path)
    assert result.returncode == 3
    assert "OXEN_API_KEY" in result.stderr and "sk-wrong-key-XYZ" not in result.stderr


def test_simulate_passes_every_flag_to_the_simulator(tmp_path):
    """`seedance simulate --port ... --fault ...` as the README writes it: the flags are the
    simulator's own, and it says where it serves and which faults it injects."""
    helped = run(["simulate", "--help"], env=clean_env(), cwd=tmp_path)
    assert helped.returncode == 0 and "--fault-seed" in helped.stdout, helped.stderr
    process = start(["-v", "simulate", "--port", "0", "--fault", "429=0.1",
                     "--fault", "reset-after=every:4,route=POST /api/ai/queue"],
                    env=clean_env(), cwd=tmp_path)
    try:
        assert process.stdout is not None
        serving = process.stdout.readline()
        assert serving.startswith("Oxen-compatible simulator") and "http://127.0.0.1:" in serving
        assert process.stdout.readline().split() == [
            "injecting", "faults:", "429=0.1", "reset-after=every:4,route=POST", "/api/ai/queue"]
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert process.returncode == 0


def test_unconfirmed_advice_comes_as_lines(tmp_path, api_key):
    """A lost enqueue answer with nothing listed: exit 6, and each next step on a line of its
    own (not an escaped `\\n`)."""
    config = SimulatorConfig(queue_seconds=0.2, process_seconds=0.5, api_key=api_key)
    config.faults.set("502", every=1, max=1, routes=["POST /api/ai/queue"])
    with SimulatorServer(config) as sim:
        env = clean_env(OXEN_API_KEY=api_key, OXEN_BASE_URL=sim.base_url)
        result = run(["generate", "a crane", "--resolution", "480p", "--duration", "4"],
                     env=env, cwd=tmp_path)
    assert result.returncode == 6, result.stderr
    assert "\\n" not in result.stderr
    lines = result.stderr.splitlines()
    assert any(line.startswith("seedance:   adopt one:   seedance adopt i-") for line in lines)
    assert "seedance:   or pay anew: run the same `seedance generate` with --resubmit" in lines
