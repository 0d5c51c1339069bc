"""`seedance`: generate a video from the terminal, list and settle the ledger, or run the
simulator.

Every failure ends in one clear line on stderr (what, which file or flag, what next) and an
exit code; server-written text is escaped before the terminal shows it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from .._contract.schema import DEFAULT_MODEL, ModelSpec, bundled_model
from .._contract.states import Succeeded
from .._jobs.history import HistoryQuery, query_history
from .._jobs.ledger import Intent, Ledger
from ..errors import (
    APIError,
    BudgetExceeded,
    EnqueueUnconfirmed,
    GenerationCancelled,
    GenerationFailed,
    InvalidRequestError,
    LedgerError,
    SeedanceError,
    safe_text,
)
from .family import describe_models, request_params
from .listing import print_csv, print_json, print_lines
from .status_line import StatusLine

if TYPE_CHECKING:
    from .._jobs.inputs import PreparedRequest
    from .._jobs.job import Job
    from .._jobs.runner import JobRunner
    from .._transport.blocking import OxenClient
    from .._wiring import Backend

__all__ = ["EXIT_API_ERROR", "EXIT_BAD_INPUT", "EXIT_BUDGET", "EXIT_CANCELLED", "EXIT_FAILED",
           "EXIT_LEDGER", "EXIT_UNCONFIRMED", "main"]

EXIT_BAD_INPUT = 2
EXIT_API_ERROR = 3
EXIT_FAILED = 4
EXIT_CANCELLED = 5
EXIT_UNCONFIRMED = 6
EXIT_LEDGER = 7
EXIT_BUDGET = 8
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seedance",
        description="Video generation with the Seedance family on Oxen.ai. Without "
                    "OXEN_API_KEY and OXEN_BASE_URL everything runs on the built-in simulator.",
    )
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log what the client does (requests, retries) to stderr")
    commands = parser.add_subparsers(dest="command", required=True)

    gen = commands.add_parser("generate", help="generate one video and save it")
    gen.add_argument("prompt", help="what the video should show")
    gen.add_argument("--resolution", help="480p or 720p (default 720p); 1080p and 4k on 2.0 pro")
    gen.add_argument("--duration", type=_duration,
                     help="seconds (4-15; 2.5: up to 30), or 'auto' (default auto)")
    gen.add_argument("--aspect-ratio", help="adaptive, 21:9, 16:9, 4:3, 1:1, 3:4, 9:16")
    gen.add_argument("--audio", action=argparse.BooleanOptionalAction, default=None,
                     help="generate synchronized audio (2.5: on unless --no-audio)")
    gen.add_argument("--output-format", help="mp4 or mov (2.5 models)")
    media = gen.add_argument_group(
        "input media (a URL, or a local file uploaded to the assets repository)")
    media.add_argument("--image", metavar="PATH_OR_URL",
                       help="the first frame (image-to-video models)")
    media.add_argument("--image-has-face", action="store_true", default=None,
                       help="the first frame shows a real human face")
    media.add_argument("--last-image", metavar="PATH_OR_URL",
                       help="the last frame (image-to-video models)")
    media.add_argument("--last-image-has-face", action="store_true", default=None,
                       help="the last frame shows a real human face")
    media.add_argument("--reference", metavar="PATH_OR_URL", action="append", default=[],
                       help="a reference image, video or audio (reference-to-video models; "
                            "repeat it; named @Image1, @Video1, @Audio1 in order)")
    media.add_argument("--face-reference", metavar="PATH_OR_URL", action="append", default=[],
                       help="a reference image or video showing a real human face (named "
                            "before the others of its kind)")
    media.add_argument("--assets-repo", metavar="NS/REPO",
                       help="where local files are uploaded (default OXEN_ASSETS_REPO; on "
                            "the simulator simulator/seedance-assets)")
    gen.add_argument("--watermark", action="store_true", default=None,
                     help="add an 'AI generated' watermark")
    gen.add_argument("--model", default=DEFAULT_MODEL,
                     help=f"model id (default {DEFAULT_MODEL}); others' schemas are fetched")
    gen.add_argument("--out", type=Path, help="where to save the MP4 (default: <id>.mp4)")
    gen.add_argument("--sync", action="store_true",
                     help="use the blocking /ai/videos/generate endpoint instead of the queue")
    gen.add_argument("--simulate", action="store_true",
                     help="use the built-in simulator even if OXEN_API_KEY is set")
    gen.add_argument("--take", type=_whole_number, default=1,
                     help="take number (from 1): the same request and take is served from the "
                          "ledger without a new generation; a new take makes a new video")
    gen.add_argument("--resubmit", action="store_true",
                     help="pay for a new generation even though an earlier submission of this "
                          "request and take may have been accepted (see `seedance ls`)")
    gen.add_argument("--budget", metavar="USD",
                     help="cap this ledger's spend on this backend: billed so far plus the "
                          "estimates of what is pending (default: $SEEDANCE_BUDGET, else none)")
    _ledger_option(gen)

    listing = commands.add_parser("ls", help="list the generations and unsettled intents in "
                                             "the ledger")
    _ledger_option(listing)
    machine = listing.add_mutually_exclusive_group()
    machine.add_argument("--json", action="store_true",
                         help="every take as JSON: parameters, status, times, cost, rating, "
                              "note, tags, video path")
    machine.add_argument("--csv", action="store_true", help="the same as CSV, one row a take")

    report = commands.add_parser("report", help="write an HTML report of the ledger's takes "
                                                "(opens in any browser, no Jupyter)")
    report.add_argument("path", type=Path, help="the report's file, e.g. study.html (its "
                                                 "videos go to study_files/ beside it)")
    report.add_argument("--title", default="Seedance report")
    report.add_argument("--link-videos", action="store_true",
                        help="symlink the videos instead of copying them")
    report.add_argument("--search", help="only takes whose prompt contains this text")
    report.add_argument("--tag", action="append", help="only takes with this tag (repeatable)")
    report.add_argument("--min-rating", type=_whole_number, help="only takes rated this or more")
    report.add_argument("--status", help="only takes with this status (e.g. succeeded)")
    _ledger_option(report)

    resume = commands.add_parser("resume", help="reconcile unsettled intents and follow "
                                                "unfinished jobs to the end (after a crash or "
                                                "restart)")
    _ledger_option(resume)
    resume.add_argument("--simulate", action="store_true", help=argparse.SUPPRESS)

    adopt = commands.add_parser("adopt", help="settle an unconfirmed intent with a generation "
                                              "id (one of its candidates), then download it")
    adopt.add_argument("intent", help="the intent id, as `seedance ls` shows it (i-...)")
    adopt.add_argument("generation_id", help="the generation to record for it")
    _ledger_option(adopt)
    adopt.add_argument("--simulate", action="store_true", help=argparse.SUPPRESS)

    sim = commands.add_parser("simulate", help="run the Oxen-compatible simulator",
                              add_help=False)
    sim.add_argument("args", nargs=argparse.REMAINDER)

    cancel = commands.add_parser("cancel", help="cancel a queued or processing generation")
    cancel.add_argument("generation_id")

    models = commands.add_parser("models", help="list the Seedance family: id, kind, "
                                                "resolutions, durations, inputs")
    _ledger_option(models)
    models.add_argument("--simulate", action="store_true",
                        help="ask the built-in simulator even if OXEN_API_KEY is set")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    command = next((i for i, arg in enumerate(given) if not arg.startswith("-")), len(given))
    if given[command:command + 1] == ["simulate"]:
        # Every argument after `simulate` is the simulator's own (argparse's REMAINDER
        # refuses a leading flag such as `--port`).
        from ..simulator.__main__ import main as simulate

        _configure_logging(build_parser().parse_args(given[:command + 1]).verbose)
        return simulate(given[command + 1:])
    args = build_parser().parse_args(given)
    _configure_logging(args.verbose)
    try:
        if args.command == "cancel":
            return _cancel(args)
        if args.command == "ls":
            return _piped(lambda: _list(Ledger(args.ledger), "json" if args.json else
                                        "csv" if args.csv else "text"))
        if args.command == "report":
            return _report(args)
        if args.command == "models":
            return _with_runner(args, _models)
        if args.command == "resume":
            return _with_runner(args, _resume)
        if args.command == "adopt":
            return _with_runner(args, lambda runner: _adopt(runner, args))
        return _generate(args)
    except LedgerError as exc:
        _say(f"ledger error: {exc}")
        return EXIT_LEDGER


def _piped(action: Callable[[], int]) -> int:
    """Run a listing; a reader that stops early (`| head`) ends it quietly."""
    try:
        return action()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _configure_logging(verbose: bool) -> None:
    """Quiet by default: what matters reaches the terminal as `seedance:` lines. With
    --verbose, the toolkit's and httpx's logs (they never hold the key) go to stderr."""
    if verbose:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="%(asctime)s %(name)s %(levelname)s %(message)s")
    else:
        logging.getLogger().addHandler(logging.NullHandler())


def _say(message: str) -> None:
    """One line for the person at the terminal (control characters escaped)."""
    print(f"seedance: {safe_text(message, 4000)}", file=sys.stderr)


def _ledger_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ledger", type=Path, default=Path(".seedance"),
                        help="ledger folder (default .seedance); videos go to its videos/")


def _list(ledger: Ledger, form: str) -> int:
    records = list(query_history(ledger, None, HistoryQuery(), page=None))[::-1]
    if form == "json":
        print_json(records)
        return 0
    if form == "csv":
        print_csv(records)
        return 0
    intents = [i for i in ledger.intents()
               if i.unresolved or i.in_flight or i.phase == "abandoned"]
    print_lines(records, intents, str(ledger.folder), _intent_line)
    return 0


def _report(args: argparse.Namespace) -> int:
    """`seedance report PATH`: the ledger's takes (filtered) as one HTML page and its folder."""
    from .._report_build import ledger_report

    try:
        query = HistoryQuery.from_filters({
            "search": args.search, "tags": args.tag or (), "min_rating": args.min_rating,
            "status": args.status})
        path = ledger_report(Ledger(args.ledger), args.path, query, title=args.title,
                             link_videos=args.link_videos)
    except InvalidRequestError as exc:
        _say(f"invalid input: {exc}")
        return EXIT_BAD_INPUT
    except OSError as exc:  # FileExistsError: a folder it did not write, a full disk, ...
        _say(f"the report could not be written: {exc}")
        return EXIT_BAD_INPUT
    print(path)
    return 0


def _when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))


def _intent_line(intent: Intent) -> str:
    prompt = intent.params.get("prompt", "")
    if intent.phase == "abandoned":
        state = "abandoned (paid anew on request; adopt a candidate if one appears)"
    elif intent.in_flight:
        state = f"submitting (pid {intent.holder.get('pid')} is waiting for its answer)"
    else:
        state = "unconfirmed (no id: the answer was lost; `seedance resume` reconciles)"
    candidates = ", ".join(intent.candidates) or "none listed yet"
    return (f"{_when(intent.at)}  {intent.intent_id}  {state}  take {intent.take}  "
            f"{prompt!r}  candidates: {candidates}  "
            f"(`seedance adopt {intent.intent_id} ID`, or generate again with --resubmit)")


def _models(runner: JobRunner) -> int:
    print(describe_models(runner.model_spec))
    return 0


def _resume(runner: JobRunner) -> int:
    with StatusLine(sys.stderr) as line:
        jobs = runner.resume(on_change=line.update)
    for job in jobs:
        print(safe_text(f"{job.generation_id or job.intent_id}  {job.status}  "
                        f"{job.video_path or job.error or ''}", 4000))
    unsettled = runner.unresolved()
    for intent in unsettled:
        _say(_intent_line(intent))
    if not jobs and not unsettled:
        print("nothing to resume")
    if unsettled:
        return EXIT_UNCONFIRMED
    return 0 if all(isinstance(j.state, Succeeded) for j in jobs) else EXIT_FAILED


def _adopt(runner: JobRunner, args: argparse.Namespace) -> int:
    with StatusLine(sys.stderr) as line:
        path = runner.adopt(args.intent, args.generation_id, on_change=line.update)
    print(path)
    return 0


def _duration(text: str) -> int | str:
    if text == "auto":
        return text  # -1 or "auto", as the model's schema writes it (`_build_request`)
    try:
        return int(text)
    except ValueError:
        return text  # refused with the allowed values by the request model


def _whole_number(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:
        return text  # refused in `_check_flags`, naming the flag


def _check_flags(args: argparse.Namespace) -> None:
    """The flags no request model checks, before anything is sent or paid for."""
    take = args.take
    if isinstance(take, bool) or not isinstance(take, int) or take < 1:
        raise InvalidRequestError("--take", take, "a whole number from 1")
    if args.out is not None:
        _check_writable(args.out)


def _check_writable(out: Path) -> None:
    if out.is_dir():
        raise InvalidRequestError("--out", str(out), "a file path such as clip.mp4",
                                  reason="is a directory")
    folder = out.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".seedance-probe-"):
            pass
    except OSError as exc:
        raise InvalidRequestError("--out", str(out), "a path in a folder you can write to",
                                  reason=f"cannot be written ({exc.strerror or exc})") from None


def _generate(args: argparse.Namespace) -> int:
    try:
        _check_flags(args)
        backend = _backend(args)
        # Every Seedance schema is bundled: bad input (local files too) is refused before
        # any request; the service's own model object is checked against again below.
        bundled = bundled_model(args.model)
        if bundled is not None:
            _prepare(args, bundled, backend)
    except InvalidRequestError as exc:
        _say(f"invalid input: {exc}")
        return EXIT_BAD_INPUT

    if args.sync:
        return _generate_sync(args, backend)

    def run(runner: JobRunner) -> int:
        return _run(runner, _prepare(args, runner.model_spec(args.model), backend), args)

    return _with_runner(args, run, backend)


def _prepare(args: argparse.Namespace, spec: ModelSpec, backend: Backend) -> PreparedRequest:
    """The request the flags ask for, its local files checked and given their URLs."""
    from .._jobs.inputs import MediaInputs

    return MediaInputs(backend.assets, backend.settings.base_url).prepare(
        spec, request_params(args, spec))


def _backend(args: argparse.Namespace) -> Backend:
    from .._wiring import choose_backend

    backend = choose_backend(simulate=True if getattr(args, "simulate", False) else None,
                             assets_repo=_assets_flag(args))
    if backend.simulated:
        _say("no OXEN_API_KEY or OXEN_BASE_URL set: using the built-in simulator. "
             "The video will be SIMULATED, not generated by Seedance.")
    return backend


def _assets_flag(args: argparse.Namespace) -> str | None:
    """--assets-repo, checked (a bad one is refused naming the flag)."""
    from .._jobs.inputs import AssetsRepo

    given = getattr(args, "assets_repo", None)
    if given is not None:
        AssetsRepo.parse(given, "--assets-repo")
    return given


def _with_runner(args: argparse.Namespace, action: Callable[[JobRunner], int],
                 backend: Backend | None = None) -> int:
    """Run `action` with the jobs layer for this backend and ledger; say what a Ctrl-C
    interrupted on the way out."""
    from .._jobs.runner import JobRunner
    from .._wiring import wire

    try:
        limit = _budget(args)
    except InvalidRequestError as exc:
        _say(f"invalid input: {exc}")
        return EXIT_BAD_INPUT
    backend = backend or _backend(args)
    folder: Path = args.ledger
    Ledger(folder)  # a ledger that cannot be opened is one clear line, before anything else
    runner = JobRunner(lambda: wire(backend, ledger=folder, output_dir=folder / "videos",
                                    budget=limit))
    code = EXIT_INTERRUPTED
    try:
        code = _outcome(lambda: action(runner))
    except KeyboardInterrupt:
        _say("interrupted; generations already accepted go on on the server "
             "(`seedance cancel ID` stops one)")
    finally:
        for interrupted in runner.close():
            _say(str(interrupted))
    return code


def _budget(args: argparse.Namespace) -> Decimal | None:
    """`--budget`, else SEEDANCE_BUDGET, else none (bad values: `InvalidRequestError`)."""
    from .._jobs.budget import parse_budget
    from .._transport.settings import environment_budget

    flag = getattr(args, "budget", None)
    if flag is not None:
        return parse_budget(flag, "--budget")
    return parse_budget(environment_budget(), "SEEDANCE_BUDGET")


def _with_client(args: argparse.Namespace, action: Callable[[OxenClient], int],
                 backend: Backend | None = None) -> int:
    """Run `action` with the blocking client (no ledger: single calls)."""
    from .._transport.blocking import OxenClient

    client = OxenClient(settings=(backend or _backend(args)).settings)
    try:
        return _outcome(lambda: action(client))
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_INTERRUPTED
    finally:
        client.close()


def _cancel(args: argparse.Namespace) -> int:
    def run(client: OxenClient) -> int:
        client.cancel(args.generation_id)
        return 0

    return _with_client(args, run)


def _generate_sync(args: argparse.Namespace, backend: Backend) -> int:
    """The blocking `/ai/videos/generate` endpoint: one call, no queue, no ledger (and so
    URLs only for media)."""
    def run(client: OxenClient) -> int:
        prepared = _prepare(args, client.model_spec(args.model), backend)
        if prepared.uploads:
            raise InvalidRequestError("--sync", True, "URLs for media inputs (local files "
                                      "are uploaded by the queued way: drop --sync)")
        wanted = prepared.request
        _say("waiting for the blocking endpoint...")
        (video,) = client.generate(wanted)[:1]
        if not video.url:
            raise SeedanceError("the service returned no video URL")
        print(client.download(video.url,
                              args.out or Path(f"seedance-{int(time.time())}.mp4")))
        return 0

    return _with_client(args, run, backend)


def _outcome(action: Callable[[], int]) -> int:
    """Run `action`; every way it can fail becomes one line and an exit code."""
    try:
        return action()
    except BudgetExceeded as exc:
        _say(str(exc))
        return EXIT_BUDGET
    except EnqueueUnconfirmed as exc:
        intent = exc.intent_id or "(see `seedance ls`)"
        _say(f"{exc}.")
        _say(f"  intent {intent}; candidates: {', '.join(exc.candidates or ()) or 'none listed'}")
        _say(f"  adopt one:   seedance adopt {intent} GENERATION_ID")
        _say("  or pay anew: run the same `seedance generate` with --resubmit")
        return EXIT_UNCONFIRMED
    except GenerationFailed as exc:
        _say(str(exc))
        return EXIT_FAILED
    except GenerationCancelled as exc:
        _say(str(exc))
        return EXIT_CANCELLED
    except InvalidRequestError as exc:
        _say(f"invalid input: {exc}")
        return EXIT_BAD_INPUT
    except LedgerError as exc:
        _say(f"ledger error: {exc}")
        return EXIT_LEDGER
    except APIError as exc:
        _say(f"API error: {exc}")
        return EXIT_API_ERROR
    except SeedanceError as exc:
        _say(str(exc))
        return EXIT_API_ERROR


def _run(runner: JobRunner, prepared: PreparedRequest, args: argparse.Namespace) -> int:
    notices: list[str] = []

    def watch(job: Job) -> None:
        line.update(job)
        if job.notice and job.notice not in notices:
            notices.append(job.notice)

    try:
        with StatusLine(sys.stderr) as line:
            path = runner.generate_video(prepared.request, take=args.take, dest=args.out,
                                         on_change=watch, resubmit=args.resubmit,
                                         uploads=prepared.uploads)
    finally:
        for notice in notices:
            _say(notice)
    print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
