"""`seedance` with the whole family: first and last frames from local files, references,
pro sizes, 2.5's 30 s and MOV, `seedance models`, and bad media refused before any upload
or payment. Each runs as a subprocess against the test simulator."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest
from cli_runner import clean_env, seedance
from media import picture, tone_wav
from PIL import Image, ImageOps

from seedance_widgets.simulator.render import frame_size

FAST_I2V = "bytedance-seedance-2-0-fast-image-to-video"
MINI_R2V = "bytedance-seedance-2-0-mini-reference-to-video"
PRO_T2V = "bytedance-seedance-2-0-text-to-video"
T2V_25 = "bytedance-seedance-2-5-text-to-video"
UPLOAD = "PUT /api/repos/{namespace}/{repo}/file/{branch}/{path:path}"
ENQUEUE = "POST /api/ai/queue"
# Mean absolute difference of a decoded frame from the picture it should show: H.264 at
# x264's default quality with 4:2:0 chroma costs 1-2 on these smooth pictures; another
# picture is 25 or more away (tests/test_sim_family.py measures both).
SAME_PICTURE = 8.0


@pytest.fixture
def env(simulator, api_key):
    return clean_env(OXEN_API_KEY=api_key, OXEN_BASE_URL=simulator.base_url)


def frames(path: Path) -> tuple[list[np.ndarray], float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        seconds = float(stream.duration * stream.time_base)
        decoded = [f.to_ndarray(format="rgb24").astype(np.int16)
                   for f in container.decode(stream)]
    return decoded, seconds


def mad(frame: np.ndarray, image: Image.Image) -> float:
    size = (frame.shape[1], frame.shape[0])
    return float(np.abs(frame - np.asarray(ImageOps.pad(image, size), np.int16)).mean())


def ok(result) -> Path:
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def test_image_and_last_image_from_local_files(env, simulator, tmp_path):
    first, last = picture((640, 480), 0), picture((640, 480), 120)
    first.save(tmp_path / "first.png")
    last.save(tmp_path / "last.jpg", quality=95)
    args = ["generate", "the disc rolls away", "--model", FAST_I2V, "--image", "first.png",
            "--last-image", "last.jpg", "--image-has-face", "--resolution", "480p",
            "--duration", "4", "--aspect-ratio", "4:3", "--assets-repo", "tester/cli-assets",
            "--out", "clip.mp4"]
    simulator.reset_stats()
    video = ok(seedance(args, env=env, cwd=tmp_path, timeout=180))
    counts = simulator.stats()
    assert counts[UPLOAD] == 2 and counts[ENQUEUE] == 1, counts
    decoded, seconds = frames(tmp_path / video)
    assert decoded[0].shape == (*frame_size("480p", "4:3")[::-1], 3)
    assert seconds == pytest.approx(4, abs=0.05)
    assert mad(decoded[0], first) < SAME_PICTURE
    assert mad(decoded[-1], last) < SAME_PICTURE
    assert mad(decoded[-1], first) > 3 * SAME_PICTURE  # the threshold tells them apart

    # The same command again: from the ledger, with no upload and no enqueue at all.
    simulator.reset_stats()
    ok(seedance(args, env=env, cwd=tmp_path))
    assert simulator.stats() == {}
    sent = [j for j in simulator.store.all() if j.params.get("prompt") == "the disc rolls away"]
    assert len(sent) == 1 and sent[0].params["input_image_has_face"] is True


def test_reference_to_video_with_two_images_and_an_audio(env, simulator, tmp_path):
    picture((320, 240), 30).save(tmp_path / "a.png")
    picture((240, 320), 200).save(tmp_path / "b.webp", "WEBP")
    (tmp_path / "tune.wav").write_bytes(tone_wav())
    simulator.reset_stats()
    video = ok(seedance(["generate", "@Image1 dances with @Image2 to @Audio1", "--model",
                         MINI_R2V, "--reference", "a.png", "--reference", "b.webp",
                         "--reference", "tune.wav", "--resolution", "480p", "--duration", "4",
                         "--assets-repo", "tester/cli-assets"], env=env, cwd=tmp_path,
                        timeout=180))
    assert simulator.stats()[UPLOAD] == 3 and simulator.stats()[ENQUEUE] == 1
    job = next(j for j in reversed(simulator.store.all())
               if j.model == MINI_R2V)
    assert len(job.params["input_images"]) == 2 and len(job.params["input_audios"]) == 1
    assert job.params["input_images"][0].endswith(".png")
    assert job.params["input_images"][1].endswith(".webp")
    assert job.params["input_audios"][0].endswith(".wav")
    assert frames(tmp_path / video)[0][0].shape == (*frame_size("480p", "16:9")[::-1], 3)


@pytest.mark.parametrize("resolution", ["1080p", "4k"])
def test_pro_renders_1080p_and_4k(env, tmp_path, resolution):
    """4 s is the API's shortest clip; a 4k one still takes the simulator ~15 s here."""
    video = ok(seedance(["generate", "sharp", "--model", PRO_T2V, "--resolution", resolution,
                         "--duration", "4", "--aspect-ratio", "16:9"], env=env, cwd=tmp_path,
                        timeout=240))
    with av.open(str(tmp_path / video)) as container:
        frame = next(container.decode(video=0))
    assert (frame.width, frame.height) == frame_size(resolution, "16:9")
    assert (frame.width, frame.height) == {"1080p": (1920, 1080), "4k": (3840, 2160)}[
        resolution]


def test_25_makes_a_30_second_quicktime_mov(env, tmp_path):
    video = ok(seedance(["generate", "a long take", "--model", T2V_25, "--duration", "30",
                         "--output-format", "mov", "--resolution", "480p", "--no-audio",
                         "--aspect-ratio", "1:1"], env=env, cwd=tmp_path, timeout=240))
    assert video.suffix == ".mov"
    data = (tmp_path / video).read_bytes()
    assert data[4:12] == b"ftypqt  "
    decoded_count = 0
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert float(stream.duration * stream.time_base) == pytest.approx(30, abs=0.05)
        assert not container.streams.audio
        for _ in container.demux(stream):
            decoded_count += 1
    assert decoded_count >= 30 * 24


def test_auto_duration_is_written_as_each_model_writes_it(env, simulator, tmp_path):
    ok(seedance(["generate", "auto 2.5", "--model", T2V_25, "--duration", "auto",
                 "--resolution", "480p", "--no-audio"], env=env, cwd=tmp_path))
    job = next(j for j in reversed(simulator.store.all())
               if j.params.get("prompt") == "auto 2.5")
    assert job.params["duration"] == "auto" and job.params["generate_audio"] is False


def test_models_lists_the_family(env, tmp_path):
    result = seedance(["models"], env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].split()[:2] == ["model", "kind"] and len(lines) == 13
    pro = next(line for line in lines if line.startswith(PRO_T2V + " "))
    assert "text-to-video" in pro and "480p 720p 1080p 4k" in pro and "auto, 4-15" in pro
    r2v = next(line for line in lines if line.startswith(MINI_R2V))
    assert "images ≤9" in r2v and "audios ≤3" in r2v and "≤15 references in all" in r2v
    i2v = next(line for line in lines if line.startswith(FAST_I2V))
    assert "first frame (required), last frame" in i2v
    v25 = next(line for line in lines if line.startswith(T2V_25))
    assert "auto, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30" in v25


def _bad_files(folder: Path) -> dict[str, Path]:
    text = folder / "notes.png"
    text.write_bytes(b"not an image, whatever the name says")
    huge = folder / "huge.png"
    with huge.open("wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        out.truncate(31_000_000)
    good = folder / "good.png"
    picture((32, 24), 5).save(good)
    return {"text": text, "huge": huge, "good": good}


@pytest.mark.parametrize(("args", "named", "allowed"), [
    (["--model", FAST_I2V, "--image", "notes.png"], "input_image: 'notes.png' is not a format",
     "JPEG, PNG or WebP"),
    (["--model", FAST_I2V, "--image", "huge.png"], "input_image: 'huge.png' is 31.0 MB",
     "at most 30 MB"),
    (["--model", FAST_I2V, "--image", "a still of the sea"],
     "input_image: 'a still of the sea' is neither a URL nor a file", "an http(s) URL"),
    (["--model", FAST_I2V, "--image", "good.png", "--last-image", "tune.wav"],
     "tail_image_url: 'tune.wav' is a WAV file", "JPEG, PNG or WebP"),
    (["--model", MINI_R2V, *["--reference", "good.png"] * 10], "input_images: ",
     "at most 9 image URLs"),
    (["--model", MINI_R2V, *["--face-reference", "good.png"] * 7,
      *["--reference", "good.png"] * 9], "makes 16 references in all",
     "at most 15 references in all"),
    (["--model", MINI_R2V, "--reference", "https://example.com/thing"], "--reference: ",
     "a URL ending in .jpg"),
    (["--model", MINI_R2V, "--face-reference", "tune.wav"], "--face-reference: 'tune.wav' is "
     "a face audio reference", "references this model takes"),
    (["--model", FAST_I2V, "--image", "good.png", "--assets-repo", "nope"],
     "--assets-repo: 'nope'", '"namespace/repo"'),
    (["--image", "good.png"], "input_image: 'good.png' is not a parameter of", "prompt"),
])
def test_bad_media_exit_2_before_any_upload_or_request(env, simulator, tmp_path, args, named,
                                                       allowed):
    _bad_files(tmp_path)
    (tmp_path / "tune.wav").write_bytes(tone_wav())
    simulator.reset_stats()
    result = seedance(["generate", "p", "--assets-repo", "tester/cli-assets", *args], env=env,
                      cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert named in line and allowed in line, line
    assert simulator.stats() == {}


def test_a_local_file_without_an_assets_repository_is_refused(env, simulator, tmp_path):
    picture((32, 24), 5).save(tmp_path / "s.png")
    simulator.reset_stats()
    result = seedance(["generate", "p", "--model", FAST_I2V, "--image", "s.png"],
                      env={k: v for k, v in env.items() if k != "OXEN_ASSETS_REPO"},
                      cwd=tmp_path)
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[-1]
    assert "input_image: 's.png' is a local file, and no assets repository is set" in line
    assert "--assets-repo" in line and "an http(s) URL" in line
    assert simulator.stats() == {}


def test_local_files_just_work_on_the_embedded_simulator(tmp_path):
    picture((320, 180), 77).save(tmp_path / "s.png")
    result = seedance(["generate", "p", "--model", FAST_I2V, "--image", "s.png",
                       "--resolution", "480p", "--duration", "4"], env=clean_env(),
                      cwd=tmp_path, timeout=180)
    video = ok(result)
    assert "SIMULATED" in result.stderr
    decoded, _ = frames(tmp_path / video)
    assert mad(decoded[0], picture((320, 180), 77)) < SAME_PICTURE
