"""Sweeps: a grid of requests that differ in a few parameters, run as one batch."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import SeedanceError
from .job import Job

__all__ = ["Sweep", "SweepPlan", "expand_grid"]


def expand_grid(axes: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the axes' values, the first axis varying slowest."""
    names = list(axes)
    return [dict(zip(names, values, strict=True))
            for values in itertools.product(*(axes[n] for n in names))]


@dataclass(frozen=True)
class SweepPlan:
    """What a sweep will cost before it starts: `cached` cells are served from the ledger (or
    already running) and cost nothing new, `new` ones are paid for (`new_cost`, an estimate);
    `budget_left` is what the budget leaves before it (None when there is no budget)."""

    cached: int
    new: int
    estimated_cost: Decimal | None
    new_cost: Decimal | None
    budget_left: Decimal | None

    def describe(self) -> str:
        """`2 cached, 2 new ≈ $0.80, $3.40 of the budget left`."""
        new = f"{self.new} new" + (f" ≈ ${self.new_cost:.2f}" if self.new_cost is not None
                                   else " (price unknown)")
        left = ("" if self.budget_left is None
                else f", ${max(self.budget_left, Decimal(0)):.2f} of the budget left")
        return f"{self.cached} cached, {new}{left}"


class Sweep:
    """The jobs of one grid, keyed by the values of the varied parameters.

    `await sweep` waits for every job and returns their outcomes (a path or the exception).
    A sweep made with `start=False` is a preview: its `plan` says what it would cost, and
    `start()` submits it.
    """

    def __init__(self, axes: Mapping[str, Sequence[Any]], cells: list[dict[str, Any]],
                 jobs: list[Job], estimated_cost: Decimal | None, *,
                 plan: SweepPlan | None = None, launch: Callable[[], list[Job]] | None = None,
                 cost_by_model: Mapping[str, Decimal | None] | None = None):
        self.id = uuid.uuid4().hex[:8]
        self.axes = {name: list(values) for name, values in axes.items()}
        self.cells = cells
        self.jobs = jobs
        self.estimated_cost = estimated_cost
        self.plan = plan
        self._launch = launch
        # Per model, in the order models appear (one entry when the sweep has one model).
        self.cost_by_model = dict(cost_by_model or {})

    @property
    def size(self) -> int:
        return len(self.cells)

    @property
    def started(self) -> bool:
        return bool(self.jobs)

    def start(self) -> Sweep:
        """Submit every cell (at most once); raises `BudgetExceeded` before any request when
        the new cells would cross the budget."""
        if not self.started and self._launch is not None:
            self.jobs = self._launch()
        return self

    def __await__(self) -> Generator[Any, None, list[Path | Exception]]:
        if not self.started:
            raise SeedanceError("this sweep has not started: call sweep.start() first")

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
        plan = f"; {self.plan.describe()}" if self.plan is not None else ""
        if not self.started:
            return (f"<Sweep {self.size} generations: {shape}{cost}{plan}; not started: "
                    "sweep.start() runs it>")
        done = sum(job.done for job in self.jobs)
        return f"<Sweep {self.size} generations: {shape}{cost}{plan}; {done}/{self.size} done>"
