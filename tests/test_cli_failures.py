"""Every way `seedance` can be given bad input, or lose its disk or its ledger: one clear line
naming the flag or the file and the next step, never a raw traceback, never a payment made
for nothing, and never a paid id lost."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_runner import clean_env, seedance, start

from seedance_widgets._jobs.ledger import Ledger
from seedance_widgets.simulator import SimulatorConfig, SimulatorServer

ARGS = ["--resolution", "480p", "--duration", "4", "--aspect-ratio", "1:1"]
ENQUEUE = "POST /api/ai/queue"


def one_clear_line(result: subprocess.CompletedProcess[str]) -> str:
    """The error line (`seedance: ...`), after checking nothing else went wrong."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("seedance: ")
             and "SIMULATED" not in line]
    assert lines, result.stderr
    return lines[-1]


@pytest.fixture
def env(simulator, api_key) -> dict[str, str]:
    simulator.reset_stats()
    return clean_env(OXEN_API_KEY=api_key, OXEN_BASE_URL=simulator.base_url)


@pytest.mark.parametrize(("flags", "named", "allowed"), [
    (["--take", "0"], "--take: 0", "a whole number from 1"),
    (["--take", "-7"], "--take: -7", "a whole number from 1"),
    (["--take", "two"], "--take: 'two'", "a whole number from 1"),
    (["--out", "."], "--out: '.' is a directory", "a file path"),
    (["--out", "/proc/no-such-folder/clip.mp4"], "--out", "a path in a folder you can write"),
])
def test_bad_flags_are_refused_before_any_request(simulator, env, tmp_path, flags, named,
                                                  allowed):
    result = seedance(["generate", "fox", *ARGS, *flags], env=env, cwd=tmp_path)
    assert result.returncode == 2
    line = one_clear_line(result)
    assert named in line and allowed in line
    assert simulator.stats() == {}


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_ledger_is_one_clear_line_everywhere(simulator, env, tmp_path, damage):
    made = seedance(["generate", "a fox before the damage", *ARGS], env=env, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    ledger = tmp_path / ".seedance" / "ledger.sqlite3"
    for extra in tmp_path.glob(".seedance/ledger.sqlite3-*"):
        extra.unlink()  # the WAL and its index, as a copy to another machine would lose them
    if damage == "garbage":
        ledger.write_bytes(b"this is no database " * 500)
    else:
        ledger.write_bytes(ledger.read_bytes()[: ledger.stat().st_size // 2])
    simulator.reset_stats()
    for command in (["ls"], ["resume"], ["generate", "a fox after the damage", *ARGS]):
        result = seedance(command, env=env, cwd=tmp_path)
        assert result.returncode == 7, (command, result.stderr)
        line = one_clear_line(result)
        assert "ledger.sqlite3" in line and ("damaged" in line or "could not be" in line)
    assert ENQUEUE not in simulator.stats()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs of this test's own (it can be filled up, or made read-only)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small disk here: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_read_only_ledger_refuses_before_paying(simulator, env, small_disk):
    made = seedance(["generate", "a fox on a good day", *ARGS], env=env, cwd=small_disk)
    assert made.returncode == 0, made.stderr
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    simulator.reset_stats()
    result = seedance(["generate", "a fox on a read-only day", *ARGS], env=env,
                      cwd=small_disk)
    assert result.returncode == 7
    line = one_clear_line(result)
    assert "ledger.sqlite3" in line and "--ledger" in line
    assert ENQUEUE not in simulator.stats()
    listed = seedance(["ls"], env=env, cwd=small_disk)
    assert listed.returncode in (0, 7) and "Traceback" not in listed.stderr


def test_a_full_disk_after_acceptance_loses_no_id(api_key, small_disk):
    """The disk fills up while the enqueue answer is on its way: the id cannot be recorded,
    nor the video saved. Both are said plainly; once there is room, `seedance resume` finds
    the paid generation again (its intent was recorded) and fetches it, paying nothing."""
    config = SimulatorConfig(queue_seconds=0.3, process_seconds=0.5, api_key=api_key)
    config.faults.slow_seconds = 1.5
    config.faults.set("slow", every=1, max=1, routes=[ENQUEUE])
    with SimulatorServer(config) as sim:
        env = clean_env(OXEN_API_KEY=api_key, OXEN_BASE_URL=sim.base_url)
        prompt = "a fox on a full disk"
        process = start(["generate", prompt, *ARGS], env=env, cwd=small_disk)
        deadline = time.monotonic() + 30
        while not any(j.params.get("prompt") == prompt for j in sim.store.all()):
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.01)
        filler = small_disk / "filler"
        with open(filler, "wb") as out:  # fill the disk to the last byte
            try:
                while True:
                    out.write(b"\0" * 65536)
            except OSError:
                pass
        _out, err = process.communicate(timeout=120)
        (paid,) = [j.generation_id for j in sim.store.all()]
        assert process.returncode != 0 and "Traceback" not in err, err
        assert paid in err and "disk" in err and "seedance resume" in err

        filler.unlink()
        resumed = seedance(["resume"], env=env, cwd=small_disk)
        assert resumed.returncode == 0, resumed.stderr
        assert [j.generation_id for j in sim.store.all()] == [paid]
        record = Ledger(small_disk / ".seedance").record(paid)
        assert record is not None and record.status == "succeeded"
        assert (small_disk / record.video_path).stat().st_size == record.size
        assert paid in seedance(["ls"], env=env, cwd=small_disk).stdout
