"""Exactly-once paid submission, tried the way a real network and real people break it.

`seedance generate` runs as a subprocess against a simulator whose enqueue answer is held
1.5 s after the job was accepted (the window in which a lost answer loses the id). It is
killed (SIGKILL) or interrupted at points across a job's life; `seedance resume` and the same
`generate` follow. The simulator's own record of accepted jobs is the judge of payments.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import pytest
from cli_runner import clean_env, seedance, start

from seedance_widgets._contract import Status
from seedance_widgets._jobs.ledger import Ledger
from seedance_widgets.simulator import SimulatorConfig, SimulatorServer

ENQUEUE = "POST /api/ai/queue"
HOLD = 1.5  # seconds the enqueue answer is held after the job was accepted
ARGS = ["--resolution", "480p", "--duration", "4", "--aspect-ratio", "1:1"]
FRAMES = 4 * 24


@pytest.fixture
def held(api_key: str) -> Iterator[SimulatorServer]:
    """A simulator of this test's own whose every enqueue answer is held `HOLD` s."""
    config = SimulatorConfig(queue_seconds=0.8, process_seconds=1.2, keepalive_seconds=0.5,
                             api_key=api_key)
    config.faults.slow_seconds = HOLD
    config.faults.set("slow", every=1, routes=[ENQUEUE])
    with SimulatorServer(config) as server:
        yield server


def accepted(sim: SimulatorServer, prompt: str) -> list[str]:
    return [j.generation_id for j in sim.store.all() if j.params.get("prompt") == prompt]


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the job never got there"
        time.sleep(0.01)


def server_status(sim: SimulatorServer, prompt: str) -> Status | None:
    ids = accepted(sim, prompt)
    return sim.store.get(ids[0]).status if ids else None


def ledger_ids(folder: Path) -> set[str]:
    if not (folder / "ledger.sqlite3").exists():
        return set()
    return {r.generation_id for r in Ledger(folder).records()}


def whole_video(path: Path) -> bool:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0)) == FRAMES


# Kill points across a job's life: (name, what to wait for, then how long to wait).
def _points(sim: SimulatorServer, prompt: str, ledger: Path) -> list[tuple[str, Callable[[], bool],
                                                                          float]]:
    def taken() -> bool:
        return bool(accepted(sim, prompt))

    def recorded() -> bool:
        return bool(ledger_ids(ledger))

    def status(wanted: Status) -> Callable[[], bool]:
        return lambda: server_status(sim, prompt) is wanted

    def has_video() -> bool:
        return any(r.video_path for r in Ledger(ledger).records()) if recorded() else False

    return [
        ("starting up", lambda: True, 0.05),
        ("intent written", lambda: bool(Ledger(ledger).intents()) if ledger.exists()
         else False, 0.0),
        ("just accepted, answer held", taken, 0.0),
        ("answer held 0.4 s", taken, 0.4),
        ("answer held 0.8 s", taken, 0.8),
        ("answer held 1.2 s", taken, 1.2),
        ("answer about to arrive", taken, HOLD - 0.1),
        ("id just recorded", recorded, 0.0),
        ("queued", recorded, 0.3),
        ("processing", status(Status.PROCESSING), 0.1),
        ("processing, later", status(Status.PROCESSING), 0.8),
        ("succeeded, downloading", status(Status.SUCCEEDED), 0.0),
        ("video recorded", has_video, 0.0),
    ]


@pytest.mark.timeout(600)
def test_a_kill_anywhere_loses_no_id_and_never_pays_twice(held, api_key, tmp_path, capsys):
    env = clean_env(OXEN_API_KEY=api_key, OXEN_BASE_URL=held.base_url)
    rows = []
    for index in range(len(_points(held, "", tmp_path))):
        prompt = f"kill point {index}: a kite over the dunes"
        folder = tmp_path / f"point{index}"
        folder.mkdir()
        ledger = folder / ".seedance"
        name, reached, then = _points(held, prompt, ledger)[index]
        process = start(["generate", prompt, *ARGS, "--out", "clip.mp4"], env=env, cwd=folder)
        try:
            wait_for(lambda r=reached, p=process: r() or p.poll() is not None)
            time.sleep(then)
        finally:
            process.kill()
            process.communicate(timeout=30)
        paid_before = len(accepted(held, prompt))
        unsettled = (ledger / "ledger.sqlite3").exists() and bool(
            Ledger(ledger).unresolved() or Ledger(ledger).unfinished())

        resumed = seedance(["resume"], env=env, cwd=folder)
        assert resumed.returncode in (0, 6), resumed.stderr
        assert "Traceback" not in resumed.stderr
        assert not (unsettled and "nothing to resume" in resumed.stdout), name

        again = seedance(["generate", prompt, *ARGS, "--out", "clip.mp4"], env=env, cwd=folder)
        said = "resumed"
        if again.returncode == 6:  # unconfirmed, nothing listed: the user says "pay anew"
            assert "none listed" in again.stderr and not accepted(held, prompt), again.stderr
            again = seedance(["generate", prompt, *ARGS, "--out", "clip.mp4", "--resubmit"],
                             env=env, cwd=folder)
            said = "resubmitted"
        assert again.returncode == 0, again.stderr
        assert "Traceback" not in again.stderr

        paid = accepted(held, prompt)
        listed = seedance(["ls"], env=env, cwd=folder).stdout
        rows.append((name, paid_before, len(paid), said))
        assert len(paid) == 1, f"{name}: paid {len(paid)} times"
        assert all(gid in listed for gid in paid), f"{name}: an id is missing from `ls`"
        assert whole_video(folder / "clip.mp4"), f"{name}: the video is not whole"

    with capsys.disabled():
        print(f"\nkill matrix (enqueue answer held {HOLD} s after acceptance)")
        print(f"{'kill point':<28} {'paid at kill':>12} {'paid in all':>11}  then")
        for name, before, total, said in rows:
            print(f"{name:<28} {before:>12} {total:>11}  {said}")


def test_two_processes_with_one_request_pay_once(held, api_key, tmp_path):
    env = clean_env(OXEN_API_KEY=api_key, OXEN_BASE_URL=held.base_url)
    for round_ in range(5):
        prompt = f"two kernels, round {round_}: a heron in the reeds"
        runs = [start(["generate", prompt, *ARGS, "--out", f"clip{n}.mp4"], env=env,
                      cwd=tmp_path) for n in range(2)]
        outputs = [run.communicate(timeout=120) for run in runs]
        for run, (_out, err) in zip(runs, outputs, strict=True):
            assert run.returncode == 0, err
            assert "Traceback" not in err
        assert len(accepted(held, prompt)) == 1, f"round {round_} paid twice"
        first, second = (tmp_path / "clip0.mp4").read_bytes(), (tmp_path / "clip1.mp4").read_bytes()
        assert first == second and whole_video(tmp_path / "clip0.mp4")


def test_a_lost_answer_never_adopts_another_takes_job(held, api_key, tmp_path):
    """Take 1 runs in one process; take 2 of the same request, from another, loses its
    answer after acceptance. Take 2 must end with its own job (or unconfirmed listing it),
    never take 1's."""
    env = clean_env(OXEN_API_KEY=api_key, OXEN_BASE_URL=held.base_url)
    prompt = "two takes: a lantern on a jetty"
    one = start(["generate", prompt, *ARGS, "--take", "1", "--out", "one.mp4"], env=env,
                cwd=tmp_path)
    wait_for(lambda: bool(accepted(held, prompt)))  # take 1 accepted, its answer still held
    held.faults.set("reset-after", every=1, max=1, routes=[ENQUEUE])
    two = seedance(["generate", prompt, *ARGS, "--take", "2", "--out", "two.mp4"], env=env,
                   cwd=tmp_path)
    _out, one_err = one.communicate(timeout=120)
    assert one.returncode == 0, one_err
    paid = accepted(held, prompt)
    assert len(paid) == 2
    records = {r.take: r.generation_id for r in Ledger(tmp_path / ".seedance").records()}
    assert records[1] in paid
    if two.returncode == 0:
        assert records[2] in paid and records[2] != records[1]
        assert (tmp_path / "one.mp4").read_bytes() != (tmp_path / "two.mp4").read_bytes()
    else:  # unconfirmed: it lists its own job as the candidate, and never take 1's
        assert two.returncode == 6, two.stderr
        own = next(gid for gid in paid if gid != records[1])
        assert own in two.stderr and records[1] not in two.stderr
    assert "Traceback" not in two.stderr


def test_interrupted_in_the_window_says_what_to_do(held, api_key, tmp_path):
    env = clean_env(OXEN_API_KEY=api_key, OXEN_BASE_URL=held.base_url)
    prompt = "interrupted: a fox in the fog"
    process = start(["generate", prompt, *ARGS], env=env, cwd=tmp_path)
    wait_for(lambda: bool(accepted(held, prompt)))
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    (paid,) = accepted(held, prompt)
    assert "seedance resume" in err and "intent i-" in err
    assert paid in err  # the answer came within the grace: its id is named, and recorded
    assert paid in ledger_ids(tmp_path / ".seedance")
    assert "Traceback" not in err and "never retrieved" not in err
