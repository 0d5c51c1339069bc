"""What the front end sees of the jobs layer: each trait's JSON, made here and only here
(as lonboard's traits own their serialisation). No secrets, no video bytes."""

from __future__ import annotations

from typing import Any

from .._contract.schema import ModelSpec
from .._contract.states import vocabulary
from .._export import FLAVOUR_LABELS
from .._jobs.job import Job
from .._jobs.sweep import Sweep

__all__ = ["job_view", "models_view", "sweep_view", "vocabulary_view"]


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
    }


def sweep_view(sweep: Sweep) -> dict[str, Any]:
    """The gallery's layout: the axes, and one item per cell."""
    cost = sweep.estimated_cost
    return {
        "id": sweep.id,
        "axes": sweep.axes,
        "items": [{"job_id": job.id, "values": values}
                  for job, values in zip(sweep.jobs, sweep.cells, strict=True)],
        "estimated_cost": None if cost is None else float(cost),
        "cost_by_model": {model: None if c is None else float(c)
                          for model, c in sweep.cost_by_model.items()},
    }


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
