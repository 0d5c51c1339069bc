"""Videos from the simulator's API have the reference table's size, 24 fps, the asked length,
and audio only when asked: checked by opening the downloaded files with PyAV."""

from __future__ import annotations

import asyncio
from fractions import Fraction

import av
import pytest

from seedance_widgets._contract import VideoRequest
from seedance_widgets._jobs.controller import Controller
from seedance_widgets._jobs.follower import FollowPolicy
from seedance_widgets._transport.client import AsyncOxenClient

TABLE = {
    ("480p", "16:9"): (864, 496), ("720p", "16:9"): (1280, 720),
    ("480p", "4:3"): (752, 560), ("720p", "4:3"): (1112, 834),
    ("480p", "1:1"): (640, 640), ("720p", "1:1"): (960, 960),
    ("480p", "3:4"): (560, 752), ("720p", "3:4"): (834, 1112),
    ("480p", "9:16"): (496, 864), ("720p", "9:16"): (720, 1280),
    ("480p", "21:9"): (992, 432), ("720p", "21:9"): (1470, 630),
    ("480p", "adaptive"): (864, 496),
}
FAST = FollowPolicy(queued_first=0.1, queued_max=0.3, processing=5.0, stream_down=0.3)


def probe(path) -> tuple[int, int, Fraction, float, int]:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        frames = sum(1 for _ in container.decode(video=0))
        return (video.width, video.height, video.average_rate, frames / 24,
                len(container.streams.audio))


async def test_every_size_length_and_audio_choice(simulator, api_key, tmp_path):
    cases = [(res, aspect, 4 if i % 2 else -1, i % 3 == 0)
             for i, (res, aspect) in enumerate(TABLE)]
    async with AsyncOxenClient(api_key=api_key, base_url=simulator.base_url) as client:
        controller = Controller(client, output_dir=tmp_path, policy=FAST, concurrency=13)
        jobs = [controller.submit(VideoRequest(f"size check {res} {aspect}", resolution=res,
                                               aspect_ratio=aspect, duration=duration,
                                               generate_audio=audio))
                for res, aspect, duration, audio in cases]
        paths = await asyncio.wait_for(asyncio.gather(*jobs), 240)
        await controller.aclose()
    for (res, aspect, duration, audio), path in zip(cases, paths, strict=True):
        width, height, rate, seconds, audio_streams = probe(path)
        assert (width, height) == TABLE[(res, aspect)], (res, aspect)
        assert rate == 24
        assert seconds == pytest.approx(5 if duration == -1 else duration, abs=0.1)
        assert audio_streams == (1 if audio else 0)
