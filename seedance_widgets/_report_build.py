"""What goes into an HTML report: takes (from a studio's jobs or from the ledger's history),
sweeps as grids and a blind comparison's results, in the shapes `_report.write_report` takes.

A take's cost is its billed charge, else (while it may still be charged) its estimate,
labelled so; a take the service reported no charge for says "not reported", never $0.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ._contract.request import VideoRequest
from ._contract.schema import bundled_model
from ._export import to_code
from ._jobs.billing import cost_view, estimate_of
from ._jobs.blind import BlindComparison, differing, differing_params, recorded_comparison
from ._jobs.history import HistoryQuery, TakeRecord, query_history
from ._jobs.job import Job
from ._jobs.ledger import Ledger
from ._jobs.ranking import rank
from ._jobs.sweep import Sweep
from ._report import ReportComparison, ReportSweep, ReportTake, write_report

__all__ = ["comparison_section", "ledger_report", "report_key", "sweep_section",
           "take_of_job", "take_of_record", "write_takes_report"]


def report_key(job: Job) -> str:
    """A take's key in the report: its generation id (its job id while it has none)."""
    return job.generation_id or job.id


def take_of_job(job: Job, *, simulated: bool) -> ReportTake:
    request = job.request
    shown = cost_view(job.charge, estimate_of(request), job.state.terminal)
    judgment = job.judgment
    return ReportTake(
        key=report_key(job), prompt=request.prompt or "", model=request.model,
        params=dict(request.params), code=to_code(request, take=job.take, simulated=simulated),
        take=job.take, status=job.status, video=job.video_path, rating=judgment.rating,
        note=judgment.note or None, tags=judgment.tags, cost=shown.amount,
        cost_is_estimate=shown.kind == "estimate", simulated=simulated)


def take_of_record(record: TakeRecord) -> ReportTake:
    spec = bundled_model(record.model)
    if spec is not None:
        request = VideoRequest(spec=spec, **record.params)
        code = to_code(request, take=record.take, simulated=record.simulated)
    else:
        code = (f"# {record.model}: this model's schema is not bundled; its parameters were\n"
                f"# {dict(record.params)!r}")
    return ReportTake(
        key=record.generation_id, prompt=record.prompt, model=record.model,
        params=dict(record.params), code=code, take=record.take, status=record.status,
        video=record.video_path, rating=record.rating, note=record.note or None,
        tags=record.tags, cost=record.cost.amount,
        cost_is_estimate=record.cost.kind == "estimate", simulated=record.simulated)


def sweep_section(sweep: Sweep, number: int) -> ReportSweep:
    return ReportSweep(title=f"Sweep {number}", axes=sweep.axes,
                       cells=[(values, report_key(job))
                              for values, job in zip(sweep.cells, sweep.jobs, strict=True)])


def comparison_section(comparison: BlindComparison) -> ReportComparison:
    jobs = list(comparison.jobs.values())
    return ReportComparison(standings=comparison.standings(), choices=comparison.choices,
                            labels=differing_params(jobs),
                            title=f"Blind comparison ({comparison.name})")


def write_takes_report(path: Path | str, takes: Iterable[ReportTake], *,
                       sweeps: Iterable[ReportSweep] = (),
                       comparison: ReportComparison | None = None, title: str,
                       link_videos: bool = False) -> Path:
    """Write the report, keeping only the sweeps and comparison whose takes it shows."""
    takes = list(takes)
    keys = {take.key for take in takes}
    shown = [s for s in sweeps if any(key in keys for _, key in s.cells)]
    if comparison is not None and not {s.key for s in comparison.standings} & keys:
        comparison = None
    return write_report(path, takes, sweeps=shown, comparison=comparison, title=title,
                        link_videos=link_videos)


def ledger_report(ledger: Ledger, path: Path | str, query: HistoryQuery, *, title: str,
                  link_videos: bool = False) -> Path:
    """A report of the ledger's takes matching `query` (every namespace), oldest first,
    with the newest blind comparison among them."""
    records = list(query_history(ledger, None, query, page=None))[::-1]
    takes = [take_of_record(r) for r in records]
    found = recorded_comparison(ledger, (r.generation_id for r in records))
    comparison = None
    if found is not None:
        name, keys, choices = found
        by_key = {r.generation_id: r for r in records}
        labels = differing({k: (by_key[k].params, by_key[k].take) for k in keys})
        comparison = ReportComparison(standings=rank(choices, keys), choices=choices,
                                      labels=labels, title=f"Blind comparison ({name})")
    return write_takes_report(path, takes, comparison=comparison, title=title,
                              link_videos=link_videos)
