"""Who holds an intent to pay, and whether that holder can still finish sending it.

An intent is held by one controller in one process. Another process (or a later kernel)
finding it must know whether to wait for its answer or to take over and reconcile: a holder
is alive while its process runs (same machine: the pid with the same start time, not a
zombie) and, in this very process, until its controller is closed. A holder on another
machine sharing the folder cannot be checked, so it is trusted for a bounded time.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["FOREIGN_HOLDER_SECONDS", "Holder", "holder_alive"]

# How long an intent held on another machine is assumed to be still in flight.
FOREIGN_HOLDER_SECONDS = 600.0
_HOST = socket.gethostname()
_live_tokens: set[str] = set()


@dataclass(frozen=True)
class Holder:
    """One controller's identity: machine, process (pid and start time) and a token."""

    host: str
    pid: int
    started: str | None
    token: str

    @classmethod
    def new(cls) -> Holder:
        """A holder for a new controller in this process, alive until `release()`."""
        holder = cls(_HOST, os.getpid(), _start_time(os.getpid()), uuid.uuid4().hex)
        _live_tokens.add(holder.token)
        return holder

    def release(self) -> None:
        """This controller is closing: its unfinished intents are no longer in flight."""
        _live_tokens.discard(self.token)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def holder_alive(holder: dict[str, Any], last_seen: float) -> bool:
    """Whether the holder described by `holder` (from the ledger) may still be sending.

    `last_seen` is the time of the intent's latest entry, for holders on other machines.
    """
    if holder.get("host") != _HOST:
        return bool(holder) and time.time() - last_seen < FOREIGN_HOLDER_SECONDS
    pid = holder.get("pid")
    if not isinstance(pid, int):
        return False
    if pid == os.getpid():
        return holder.get("token") in _live_tokens
    started = _start_time(pid)
    if started is None:
        return _pid_exists(pid) and holder.get("started") is None
    return started == holder.get("started")


def _start_time(pid: int) -> str | None:
    """The process's start time (Linux: clock ticks since boot), None if gone, a zombie,
    or unknowable here."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    state, start = fields[0], fields[19]
    return None if state in ("Z", "X") else start


def _pid_exists(pid: int) -> bool:
    if Path("/proc").is_dir():
        return False  # Linux: `_start_time` already looked and found nothing alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
