"""`seedance ls`: the ledger's takes for people (one line each) or for programs (`--json`, a
JSON array; `--csv`, one row per take with `params.<name>` columns, as `json_normalize`
would flatten the JSON), each with its parameters, status, times, cost, rating, note, tags
and video path; then the intents still waiting for a decision."""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from .._jobs.history import TakeRecord
from .._jobs.ledger import Intent
from ..errors import safe_text

__all__ = ["print_csv", "print_json", "print_lines"]

_FIXED = ["generation_id", "namespace", "model", "take", "status", "error", "submitted_at",
          "started_at", "finished_at", "cost", "cost_kind", "rating", "note", "tags",
          "video_path"]


def print_json(records: Sequence[TakeRecord], out: TextIO = sys.stdout) -> None:
    json.dump([r.to_json() for r in records], out, ensure_ascii=False, indent=1)
    out.write("\n")


def print_csv(records: Sequence[TakeRecord], out: TextIO = sys.stdout) -> None:
    """One row per take; tags joined with ", " (a tag has no comma); every parameter any
    take has gets a `params.<name>` column (empty where a take has none)."""
    names = list(dict.fromkeys(n for r in records for n in r.params))
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*_FIXED, *(f"params.{n}" for n in names)])
    for record in records:
        row = record.to_json()
        row["tags"] = ", ".join(record.tags)
        writer.writerow([_cell(row[c]) for c in _FIXED]
                        + [_cell(record.params.get(n, "")) for n in names])


def print_lines(records: Sequence[TakeRecord], intents: Sequence[Intent], folder: str,
                intent_line: Any) -> None:
    if not records and not intents:
        print(f"no generations in {folder}")
    for record in records:
        params = " ".join(f"{k}={v}" for k, v in record.params.items() if k != "prompt")
        cost = (f"${record.cost.amount:.2f}{' est.' if record.cost.kind == 'estimate' else ''}"
                if record.cost.amount is not None else "cost not reported")
        judged = " ".join(filter(None, ["★" * (record.rating or 0),
                                        *(f"#{t}" for t in record.tags)]))
        print(safe_text(
            f"{_when(record.submitted_at)}  {record.generation_id}  {record.status:<10}  "
            f"take {record.take}  {record.prompt!r}  {params}  {cost}  {judged}  "
            f"{record.video_path or ''}", 4000))
    for intent in intents:
        print(safe_text(intent_line(intent), 4000))


def _when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))


def _cell(value: Any) -> Any:
    """A CSV cell: booleans as true/false (as JSON writes them), None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value
