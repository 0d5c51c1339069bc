"""The simulator's renderer writes real, browser-playable MP4 files that follow the request."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from seedance_widgets._contract.pricing import output_seconds
from seedance_widgets.simulator.render import (
    SIZES,
    frame_size,
    letterbox,
    reference_boxes,
    render_video,
)

# The Seedance 2.0 output table from the shared reference README, copied by hand.
REFERENCE = {
    "480p": {
        "16:9": (864, 496),
        "4:3": (752, 560),
        "1:1": (640, 640),
        "3:4": (560, 752),
        "9:16": (496, 864),
        "21:9": (992, 432),
    },
    "720p": {
        "16:9": (1280, 720),
        "4:3": (1112, 834),
        "1:1": (960, 960),
        "3:4": (834, 1112),
        "9:16": (720, 1280),
        "21:9": (1470, 630),
    },
}
MATRIX = [
    (resolution, aspect, size)
    for resolution, sizes in REFERENCE.items()
    for aspect, size in sizes.items()
]
PROMPT = "A red fox trots through fresh snow at dawn, slow dolly shot"


@dataclass(frozen=True)
class Probe:
    """What PyAV reports about a rendered file."""

    codec: str
    width: int
    height: int
    rate: float
    frames: int
    seconds: float
    audio_codecs: list[str]


def render(
    path: Path,
    *,
    prompt: str = PROMPT,
    width: int = 864,
    height: int = 496,
    seconds: float = 1,
    audio: bool = False,
    watermark: bool = False,
) -> Path:
    """Render a clip (by default a silent, unmarked 1 s 480p 16:9 one) to `path`."""
    render_video(
        path,
        prompt=prompt,
        width=width,
        height=height,
        seconds=seconds,
        audio=audio,
        watermark=watermark,
        label="gen_test · SIMULATED",
    )
    return path


def probe(path: Path) -> Probe:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        frames = sum(1 for _ in container.decode(video))
        assert video.duration is not None and video.time_base is not None
        return Probe(
            codec=video.codec_context.name,
            width=video.width,
            height=video.height,
            rate=float(video.average_rate),
            frames=frames,
            seconds=float(video.duration * video.time_base),
            audio_codecs=[stream.codec_context.name for stream in container.streams.audio],
        )


def first_frame(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format="rgb24").astype(np.int16)


def test_sizes_match_the_reference_table() -> None:
    assert {res: SIZES[res] for res in REFERENCE} == REFERENCE


def test_larger_sizes_scale_720p_to_even_dimensions() -> None:
    assert SIZES["1080p"]["16:9"] == (1920, 1080)
    assert SIZES["4k"]["16:9"] == (3840, 2160)
    assert SIZES["4k"]["9:16"] == (2160, 3840)
    for resolution, factor in (("1080p", 1.5), ("4k", 3)):
        assert SIZES[resolution].keys() == SIZES["720p"].keys()
        for aspect, (width, height) in SIZES[resolution].items():
            base_width, base_height = SIZES["720p"][aspect]
            assert width % 2 == 0 and height % 2 == 0
            assert abs(width - base_width * factor) <= 1
            assert abs(height - base_height * factor) <= 1


def test_frame_size_looks_up_the_table_and_renders_adaptive_as_16_9() -> None:
    assert frame_size("720p", "21:9") == (1470, 630)
    assert frame_size("480p", "adaptive") == (864, 496)
    assert frame_size("720p", "adaptive") == (1280, 720)


@pytest.mark.parametrize(("resolution", "aspect"), [("720p", "5:4"), ("360p", "16:9"), ("", "")])
def test_frame_size_rejects_unknown_values(resolution: str, aspect: str) -> None:
    with pytest.raises(ValueError):
        frame_size(resolution, aspect)


def test_output_seconds_turns_auto_into_five() -> None:
    assert output_seconds(-1) == output_seconds("auto") == 5
    assert output_seconds(4) == 4
    assert output_seconds(30) == 30


@pytest.mark.parametrize(("resolution", "aspect", "size"), MATRIX)
def test_every_reference_size_renders_as_24_fps_h264(
    tmp_path: Path, resolution: str, aspect: str, size: tuple[int, int]
) -> None:
    width, height = frame_size(resolution, aspect)
    assert (width, height) == size
    info = probe(render(tmp_path / "clip.mp4", width=width, height=height, seconds=1))
    assert info.codec == "h264"
    assert (info.width, info.height) == size
    assert info.rate == 24
    assert info.frames == 24
    assert info.seconds == pytest.approx(1, abs=0.1)
    assert info.audio_codecs == []


@pytest.mark.parametrize("duration", [5, -1])
def test_requested_duration_is_rendered(tmp_path: Path, duration: int) -> None:
    seconds = output_seconds(duration)
    info = probe(render(tmp_path / "clip.mp4", seconds=seconds))
    assert info.frames / info.rate == pytest.approx(5, abs=0.1)
    assert info.seconds == pytest.approx(5, abs=0.1)


def test_audio_track_only_when_asked(tmp_path: Path) -> None:
    loud = render(tmp_path / "loud.mp4", audio=True)
    silent = render(tmp_path / "silent.mp4", audio=False)
    assert probe(loud).audio_codecs == ["aac"]
    assert probe(silent).audio_codecs == []
    with av.open(str(loud)) as container:
        stream = container.streams.audio[0]
        assert stream.rate == 48_000
        samples = np.concatenate([frame.to_ndarray().ravel() for frame in container.decode(stream)])
    assert np.sqrt(np.mean(samples**2)) > 0.01  # audible, not silence


def test_prompt_decides_the_picture(tmp_path: Path) -> None:
    fox = first_frame(render(tmp_path / "fox.mp4", prompt=PROMPT))
    fox_again = first_frame(render(tmp_path / "fox_again.mp4", prompt=PROMPT))
    city = first_frame(render(tmp_path / "city.mp4", prompt="Neon city street in the rain"))
    assert np.array_equal(fox, fox_again)
    assert np.abs(fox - city).mean() > 12


def test_frames_move(tmp_path: Path) -> None:
    with av.open(str(render(tmp_path / "clip.mp4"))) as container:
        frames = [frame.to_ndarray(format="rgb24").astype(np.int16) for frame in container.decode()]
    assert np.abs(frames[0] - frames[-1]).mean() > 2


def test_watermark_marks_a_corner(tmp_path: Path) -> None:
    marked = first_frame(render(tmp_path / "marked.mp4", watermark=True))
    plain = first_frame(render(tmp_path / "plain.mp4", watermark=False))
    height, width = plain.shape[:2]
    corner = (slice(height * 7 // 8, None), slice(width * 4 // 5, None))
    middle_left = (slice(height // 3, height * 2 // 3), slice(None, width // 4))
    assert np.abs(marked[corner] - plain[corner]).mean() > 10
    assert np.abs(marked[middle_left] - plain[middle_left]).mean() < 1


def test_only_the_finished_file_is_left(tmp_path: Path) -> None:
    target = tmp_path / "clip.mp4"
    target.write_bytes(b"stale")
    render(target)
    assert [path.name for path in tmp_path.iterdir()] == ["clip.mp4"]
    assert target.read_bytes()[4:8] == b"ftyp"


def test_faststart_puts_the_index_first(tmp_path: Path) -> None:
    data = render(tmp_path / "clip.mp4").read_bytes()
    assert 0 <= data.find(b"moov") < data.find(b"mdat")


@pytest.mark.parametrize(("width", "height", "seconds"), [(865, 496, 1), (864, 496, 0)])
def test_impossible_requests_are_refused(
    tmp_path: Path, width: int, height: int, seconds: float
) -> None:
    with pytest.raises(ValueError):
        render(tmp_path / "clip.mp4", width=width, height=height, seconds=seconds)
    assert list(tmp_path.iterdir()) == []


def test_adaptive_follows_the_input_picture() -> None:
    assert frame_size("480p", "adaptive", (640, 480)) == SIZES["480p"]["4:3"]
    assert frame_size("720p", "adaptive", (1080, 1920)) == SIZES["720p"]["9:16"]
    assert frame_size("720p", "adaptive", (3000, 1280)) == SIZES["720p"]["21:9"]
    assert frame_size("720p", "16:9", (100, 100)) == SIZES["720p"]["16:9"]  # only adaptive


def test_letterbox_fits_the_whole_picture_on_black() -> None:
    boxed = np.asarray(letterbox(Image.new("RGB", (100, 200), (250, 10, 10)), 400, 200))
    assert boxed.shape == (200, 400, 3)
    assert boxed[:, :140].max() == 0 and boxed[:, 260:].max() == 0  # bars left and right
    assert (boxed[:, 160:240] == (250, 10, 10)).all()


def test_reference_boxes_fit_one_row_along_the_bottom() -> None:
    assert reference_boxes([], 864, 496) == []
    few = reference_boxes([(4, 3), (3, 4), (1, 1)], 864, 496)
    assert [h for *_, h in few] == [496 // 6] * 3
    many = reference_boxes([(16, 9)] * 30, 864, 496)
    assert len(many) == 30 and many[-1][0] + many[-1][2] <= 864
    assert all(top + h < 496 for _, top, _, h in many)
    assert all(a[0] + a[2] < b[0] for a, b in itertools.pairwise(many))


def test_mov_container_and_refusals(tmp_path: Path) -> None:
    path = tmp_path / "clip.mov"
    render_video(path, prompt=PROMPT, width=864, height=496, seconds=0.5, audio=True,
                 watermark=False, container="mov")
    assert path.read_bytes()[4:12] == b"ftypqt  "
    assert probe(path).audio_codecs == ["aac"]
    refused = {"prompt": "p", "width": 864, "height": 496, "seconds": 0.5, "audio": False,
               "watermark": False}
    with pytest.raises(ValueError, match="container"):
        render_video(tmp_path / "x.avi", container="avi", **refused)
    with pytest.raises(ValueError, match="needs a first frame"):
        render_video(tmp_path / "x.mp4", last=Image.new("RGB", (8, 8)), **refused)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mov"]
