"""What the front end sees of the jobs layer: each trait's JSON, made here and only here
(as lonboard's traits own their serialisation). No secrets, no video bytes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .._contract.schema import ModelSpec
from .._contract.states import vocabulary
from .._export import FLAVOUR_LABELS
from .._jobs.billing import CostView, cost_view, estimate_of
from .._jobs.blind import BlindComparison, differing_params
from .._jobs.budget import Spend
from .._jobs.history import History, TakeRecord
from .._jobs.job import Job
from .._jobs.sweep import Sweep

__all__ = ["blind_token", "blind_view", "history_view", "job_view", "judgment_fields",
           "models_view", "spend_view", "sweep_view", "vocabulary_view"]


def job_view(job: Job) -> dict[str, Any]:
    """What a card needs to draw `job` (see docs/widget-protocol.md)."""
    return {
        "id": job.id,
        "generation_id": job.generation_id,
        "model": job.request.model,
        "params": dict(job.request.params),
        "take": job.take,
        "status": job.status,
        "error": job.error,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "video": job.video_path.name if job.video_path else None,
        "cached": job.cached,
        "eta_seconds": job.eta_seconds,
        "intent_id": job.intent_id,
        "candidates": list(job.candidates),
        "cancel_requested": job.cancel_requested,
        "notice": job.notice,
        **judgment_fields(job),
    }


def judgment_fields(job: Job) -> dict[str, Any]:
    """A card's stars, note, tags and cost (`{kind, amount}`: see `cost_json`)."""
    judgment = job.judgment
    shown = cost_view(job.charge, estimate_of(job.request), job.state.terminal)
    return {"rating": judgment.rating, "note": judgment.note, "tags": list(judgment.tags),
            "cost": cost_json(shown)}


def cost_json(cost: CostView) -> dict[str, Any]:
    """`{"kind": "billed" | "estimate" | "unreported", "amount": "0.32" | null}`: money as
    decimal text, never a float."""
    return {"kind": cost.kind, "amount": _money(cost.amount)}


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else format(amount, "f")


def sweep_view(sweep: Sweep) -> dict[str, Any]:
    """The gallery's layout: the axes, and one item per cell."""
    cost = sweep.estimated_cost
    return {
        "id": sweep.id,
        "axes": sweep.axes,
        "items": [{"job_id": job.id, "values": values}  # none before it starts
                  for job, values in zip(sweep.jobs, sweep.cells, strict=False)],
        "estimated_cost": None if cost is None else float(cost),
        "started": sweep.started,
        "plan": None if sweep.plan is None else {
            "cached": sweep.plan.cached, "new": sweep.plan.new,
            "new_cost": _money(sweep.plan.new_cost),
            "budget_left": _money(sweep.plan.budget_left)},
        "cost_by_model": {model: None if c is None else float(c)
                          for model, c in sweep.cost_by_model.items()},
    }


def take_view(record: TakeRecord) -> dict[str, Any]:
    """One row of the history panel."""
    return {
        "generation_id": record.generation_id, "model": record.model,
        "params": dict(record.params), "take": record.take, "status": record.status,
        "error": record.error, "submitted_at": record.submitted_at,
        "finished_at": record.finished_at,
        "video": record.video_path.name if record.video_path else None,
        "cost": cost_json(record.cost), "rating": record.rating, "note": record.note,
        "tags": list(record.tags),
    }


def history_view(history: History, facets: dict[str, Any]) -> dict[str, Any]:
    """The `history` trait: one page of takes, the query it answers, and what the filters
    can choose from."""
    return {
        "query": history.query.to_json(), "page": history.page, "pages": history.pages,
        "page_size": history.page_size, "total": history.total,
        "total_cost": _money(history.total_cost), "facets": facets,
        "records": [take_view(r) for r in history],
    }


def blind_token(comparison: BlindComparison, side: str) -> str:
    """What the view calls one side of the current pair: it says nothing about the take."""
    return f"blind-{comparison.id}-{comparison.round}-{side}"


def blind_view(comparison: BlindComparison | None) -> dict[str, Any]:
    """The `blind` trait: the pair to judge as tokens (no ids, no parameters), and once
    every round is chosen, the reveal: each take's rank, parameters and counts."""
    if comparison is None:
        return {}
    view: dict[str, Any] = {
        "id": comparison.id, "name": comparison.name, "round": comparison.round,
        "rounds": comparison.rounds, "done": comparison.done, "pair": None, "reveal": None,
    }
    if not comparison.done:
        view["pair"] = {side: blind_token(comparison, side) for side in ("left", "right")}
        return view
    jobs = list(comparison.jobs.values())
    labels = differing_params(jobs)
    view["reveal"] = [{
        "rank": place, "job_id": comparison.jobs[s.key].id, "generation_id": s.key,
        "differs": labels[s.key], "params": dict(comparison.jobs[s.key].request.params),
        "score": s.score, "win_rate": s.win_rate, "wins": s.wins, "losses": s.losses,
        "ties": s.ties, "shown": s.comparisons,
    } for place, s in enumerate(comparison.standings(), 1)]
    return view


def spend_view(spend: Spend) -> dict[str, Any]:
    """The `spend` trait: billed, pending (estimates) and, with a budget, what is left."""
    return {"budget": _money(spend.budget), "billed": _money(spend.billed),
            "pending": _money(spend.pending), "left": _money(spend.left)}


def models_view(specs: list[ModelSpec]) -> list[dict[str, Any]]:
    """The model picker's entries, grouped by kind, cheaper tiers first within a kind."""
    kinds = ("text-to-video", "image-to-video", "reference-to-video")
    tiers = ("-mini-", "-fast-", "-2-0-", "-2-5-")

    def order(spec: ModelSpec) -> tuple[int, int, str]:
        kind = kinds.index(spec.kind) if spec.kind in kinds else len(kinds)
        tier = next((i for i, t in enumerate(tiers) if t in spec.id), len(tiers))
        return kind, tier, spec.id

    return [{"id": s.id, "display_name": s.display_name, "kind": s.kind}
            for s in sorted(specs, key=order)]


def vocabulary_view() -> dict[str, Any]:
    """The job states' names (and which are running or terminal) and the export flavours."""
    return {**vocabulary(),
            "flavours": [{"id": f, "label": label} for f, label in FLAVOUR_LABELS.items()]}
