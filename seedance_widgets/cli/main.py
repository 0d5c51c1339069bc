"""`seedance`: generate a video from the terminal, or run the simulator."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..contract.errors import (
    GenerationCancelled,
    GenerationFailed,
    InvalidRequestError,
    SeedanceError,
)
from ..contract.request import VideoRequest
from ..contract.schema import DEFAULT_MODEL, ModelSpec, bundled_model
from ..jobs.ledger import Ledger
from .status_line import StatusLine

if TYPE_CHECKING:
    from ..jobs.blocking import OxenClient

__all__ = ["EXIT_API_ERROR", "EXIT_BAD_INPUT", "EXIT_CANCELLED", "EXIT_FAILED", "main"]

EXIT_BAD_INPUT = 2
EXIT_API_ERROR = 3
EXIT_FAILED = 4
EXIT_CANCELLED = 5
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seedance",
        description="Text-to-video with Seedance 2.0 Fast on Oxen.ai. Without OXEN_API_KEY and "
                    "OXEN_BASE_URL everything runs on the built-in simulator.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    gen = commands.add_parser("generate", help="generate one video and save it")
    gen.add_argument("prompt", help="what the video should show")
    gen.add_argument("--resolution", help="480p or 720p (default 720p)")
    gen.add_argument("--duration", type=_duration,
                     help="seconds, 4-15, or 'auto' (default auto)")
    gen.add_argument("--aspect-ratio", help="adaptive, 21:9, 16:9, 4:3, 1:1, 3:4, 9:16")
    gen.add_argument("--audio", action="store_true", default=None,
                     help="generate synchronized audio")
    gen.add_argument("--watermark", action="store_true", default=None,
                     help="add an 'AI generated' watermark")
    gen.add_argument("--model", default=DEFAULT_MODEL,
                     help=f"model id (default {DEFAULT_MODEL}); others' schemas are fetched")
    gen.add_argument("--out", type=Path, help="where to save the MP4 (default: <id>.mp4)")
    gen.add_argument("--sync", action="store_true",
                     help="use the blocking /ai/videos/generate endpoint instead of the queue")
    gen.add_argument("--simulate", action="store_true",
                     help="use the built-in simulator even if OXEN_API_KEY is set")
    gen.add_argument("--take", type=int, default=1,
                     help="take number: the same request and take is served from the ledger "
                          "without a new generation; a new take makes a new video")
    for sub in (gen,):
        _ledger_option(sub)

    listing = commands.add_parser("ls", help="list the generations in the ledger")
    _ledger_option(listing)

    resume = commands.add_parser("resume", help="follow unfinished jobs from the ledger to "
                                                "the end (e.g. after a crash or restart)")
    _ledger_option(resume)
    resume.add_argument("--simulate", action="store_true", help=argparse.SUPPRESS)

    sim = commands.add_parser("simulate", help="run the Oxen-compatible simulator",
                              add_help=False)
    sim.add_argument("args", nargs=argparse.REMAINDER)

    cancel = commands.add_parser("cancel", help="cancel a queued or processing generation")
    cancel.add_argument("generation_id")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "simulate":
        from ..simulator.__main__ import main as simulate

        return simulate(args.args)
    if args.command == "cancel":
        return _with_client(args, lambda client: client.cancel(args.generation_id) or 0)
    if args.command == "ls":
        return _list(Ledger(args.ledger))
    if args.command == "resume":
        return _with_client(args, _resume)
    return _generate(args)


def _ledger_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ledger", type=Path, default=Path(".seedance"),
                        help="ledger folder (default .seedance); videos go to its videos/")


def _list(ledger: Ledger) -> int:
    records = ledger.records()
    if not records:
        print(f"no generations in {ledger.folder}")
    for record in records:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.submitted_at))
        params = " ".join(f"{k}={v}" for k, v in record.params.items() if k != "prompt")
        print(f"{when}  {record.generation_id}  {record.status:<10}  take {record.take}  "
              f"{record.params.get('prompt', '')!r}  {params}  {record.video_path or ''}")
    for intent in ledger.pending_intents(since=0):
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(intent["at"]))
        prompt = intent.get("params", {}).get("prompt", "")
        print(f"{when}  (no id: interrupted while enqueueing; check `GET /ai/queue`)  "
              f"take {intent.get('take')}  {prompt!r}")
    return 0


def _resume(client: OxenClient) -> int:
    with StatusLine(sys.stderr) as line:
        jobs = client.resume(on_change=line.update)
    for job in jobs:
        print(f"{job.generation_id}  {job.status}  {job.video_path or job.error or ''}")
    if not jobs:
        print("nothing to resume")
    return 0 if all(j.status == "succeeded" for j in jobs) else EXIT_FAILED


def _duration(text: str) -> int | str:
    if text == "auto":
        return -1
    try:
        return int(text)
    except ValueError:
        return text  # refused with the allowed values by the request model


def _generate(args: argparse.Namespace) -> int:
    try:
        # The default model's schema is bundled: bad input is refused before any request.
        request = _build_request(args, bundled_model(args.model))
    except InvalidRequestError as exc:
        print(f"seedance: invalid input: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT

    def run(client: OxenClient) -> int:
        return _run(client, request or _build_request(args, client.model_spec(args.model)),
                    args)

    return _with_client(args, run)


def _build_request(args: argparse.Namespace, spec: ModelSpec | None) -> VideoRequest | None:
    if spec is None:
        return None
    return VideoRequest(
        args.prompt, resolution=args.resolution, duration=args.duration,
        aspect_ratio=args.aspect_ratio, generate_audio=args.audio,
        watermark=args.watermark, spec=spec,
    )


def _with_client(args: argparse.Namespace, action: Callable[[OxenClient], int]) -> int:
    from ..embedded import resolve_backend
    from ..jobs.blocking import OxenClient

    backend = resolve_backend(simulate=True if getattr(args, "simulate", False) else None)
    if backend.simulated:
        print("seedance: no OXEN_API_KEY or OXEN_BASE_URL set: using the built-in simulator. "
              "The video will be SIMULATED, not generated by Seedance.", file=sys.stderr)
    folder: Path = getattr(args, "ledger", Path(".seedance"))
    client = OxenClient(api_key=backend.api_key, base_url=backend.base_url,
                        output_dir=folder / "videos", ledger=Ledger(folder),
                        namespace="simulator" if backend.simulated else None)
    try:
        return action(client)
    except KeyboardInterrupt:
        print("\nseedance: interrupted; the generation continues on the server "
              "(`seedance cancel ID` stops it).", file=sys.stderr)
        return EXIT_INTERRUPTED
    except GenerationFailed as exc:
        print(f"seedance: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except GenerationCancelled as exc:
        print(f"seedance: {exc}", file=sys.stderr)
        return EXIT_CANCELLED
    except InvalidRequestError as exc:
        print(f"seedance: invalid input: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SeedanceError as exc:
        print(f"seedance: API error: {exc}", file=sys.stderr)
        return EXIT_API_ERROR
    finally:
        client.close()


def _run(client: OxenClient, request: VideoRequest, args: argparse.Namespace) -> int:
    if args.sync:
        print("seedance: waiting for the blocking endpoint...", file=sys.stderr)
        (video,) = client.generate(request)[:1]
        if not video.url:
            raise SeedanceError("the service returned no video URL")
        path = client.download(video.url, args.out or Path(f"seedance-{int(time.time())}.mp4"))
    else:
        with StatusLine(sys.stderr) as line:
            path = client.generate_video(request, take=args.take, dest=args.out,
                                         on_change=line.update)
    print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
