"""Sweeps: a grid of requests that differ in a few parameters, run as one batch."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Generator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from .job import Job

__all__ = ["Sweep", "expand_grid"]


def expand_grid(axes: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the axes' values, the first axis varying slowest."""
    names = list(axes)
    return [dict(zip(names, values, strict=True))
            for values in itertools.product(*(axes[n] for n in names))]


class Sweep:
    """The jobs of one grid, keyed by the values of the varied parameters.

    `await sweep` waits for every job and returns their outcomes (a path or the exception).
    """

    def __init__(self, axes: Mapping[str, Sequence[Any]], cells: list[dict[str, Any]],
                 jobs: list[Job], estimated_cost: Decimal | None, *,
                 cost_by_model: Mapping[str, Decimal | None] | None = None):
        self.id = uuid.uuid4().hex[:8]
        self.axes = {name: list(values) for name, values in axes.items()}
        self.cells = cells
        self.jobs = jobs
        self.estimated_cost = estimated_cost
        # Per model, in the order models appear (one entry when the sweep has one model).
        self.cost_by_model = dict(cost_by_model or {})

    @property
    def size(self) -> int:
        return len(self.jobs)

    def __await__(self) -> Generator[Any, None, list[Path | Exception]]:
        async def gather() -> list[Path | Exception]:
            return await asyncio.gather(*(job.outcome() for job in self.jobs))

        return gather().__await__()

    def __repr__(self) -> str:
        shape = " × ".join(f"{name} ({len(values)})" for name, values in self.axes.items())
        cost = (f", estimated ≈ ${self.estimated_cost:.2f}" if self.estimated_cost is not None
                else "")
        if len(self.cost_by_model) > 1:
            cost += " (" + ", ".join(
                f"{model}: " + (f"${c:.2f}" if c is not None else "unknown")
                for model, c in self.cost_by_model.items()) + ")"
        done = sum(job.done for job in self.jobs)
        return f"<Sweep {self.size} generations: {shape}{cost}; {done}/{self.size} done>"

