"""Running `seedance ...` as a subprocess, the way a person at a terminal would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SEEDANCE = [sys.executable, "-m", "seedance_widgets"]


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without OXEN_* (the embedded simulator), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in ("OXEN_API_KEY", "OXEN_BASE_URL")}
    return {**env, **extra}


def seedance(args: list[str], *, env: dict[str, str], cwd: Path,
             timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `seedance args...` to its end."""
    return subprocess.run([*SEEDANCE, *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, check=False)


def start(args: list[str], *, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    """Start `seedance args...` without waiting (to kill or interrupt it)."""
    return subprocess.Popen([*SEEDANCE, *args], env=env, cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
