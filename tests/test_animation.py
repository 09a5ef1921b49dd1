"""The race as a GIF and an MP4: written, decoded back, and drawn where the chart draws it."""

from __future__ import annotations

import io

import imageio_ffmpeg
import numpy as np
import pytest
from cli_helpers import run_cli
from PIL import Image

from optim_core import simulate
from spec_strings import SpecError
from ui import animation
from ui.export import browser
from ui.state import PlaygroundState

pytestmark = pytest.mark.skipif(browser() is None, reason="the race's background is drawn by Chromium")


@pytest.fixture(scope="module")
def default_scene():
    return PlaygroundState().scenario().run()  # the Playground's first view: the neuron, 5 runs, 500 steps


def decode_mp4(data: bytes, tmp_path) -> tuple[dict, list[np.ndarray]]:
    path = tmp_path / "race.mp4"
    path.write_bytes(data)
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    frames = [np.frombuffer(f, dtype=np.uint8).reshape(height, width, 3) for f in reader]
    return meta, frames


def test_the_default_scene_as_a_gif_and_an_mp4(default_scene, tmp_path):
    steps = animation.frame_steps(default_scene, 40)
    assert steps[0] == 0 and steps[-1] == default_scene.steps and len(steps) == 40
    gif = Image.open(io.BytesIO(animation.race_file(default_scene, "gif", "1280x720", 40, 20)))
    assert gif.format == "GIF" and gif.n_frames == 40 and gif.size == (1280, 720)
    gif.seek(0)
    first = np.asarray(gif.convert("RGB"))
    assert gif.info["duration"] == 50  # 20 frames per second
    gif.seek(39)
    last = np.asarray(gif.convert("RGB"))
    assert gif.info["duration"] == 1500  # the end held before the loop
    assert np.abs(first.astype(int) - last).sum(axis=2).astype(bool).mean() > 0.002  # the heads moved on

    meta, frames = decode_mp4(animation.race_file(default_scene, "mp4", "1920x1080", 40, 20), tmp_path)
    assert meta["size"] == (1920, 1080) and meta["fps"] == 20
    assert len(frames) == 40 + 30  # and 1.5 s of the last frame
    assert np.abs(frames[0].astype(int) - frames[39]).mean() > 0.1
    np.testing.assert_allclose(frames[39], frames[-1], atol=12)  # the held end (H.264 is lossy)


def test_a_frame_draws_paths_and_heads_where_the_chart_has_them():
    result = simulate("rosenbrock", ["gd:lr=0.001", "adam:lr=0.05", "adam:lr=0.01,label=slow"], steps=200)
    (last,) = list(animation.race_frames(result, "1280x720", 10))[-1:]
    _, page = animation._background(result, animation._Page)
    pixels = np.asarray(last).astype(int)
    # the minimum's star, drawn by Plotly in the background, sits where the page maps (1, 1)
    (sx, sy) = page.pixels(np.array([[1.0, 1.0]]), 1.0)[0].round().astype(int)
    assert np.abs(pixels[sy, sx] - [0xE6, 0x9F, 0x00]).max() < 40
    # each head is a disc of its run's colour at its last position
    for i in range(2):
        (hx, hy) = page.pixels(result.positions[i, -1][None], 1.0)[0].round().astype(int)
        colour = animation.run_style(result, i)["color"]
        expected = [int(colour[k : k + 2], 16) for k in (1, 3, 5)]
        assert np.abs(pixels[hy, hx] - expected).max() < 40, i


def test_bad_animation_inputs_are_named():
    result = simulate("booth", ["gd:lr=0.01"], steps=20)
    for args, message in (
        (("avi", "1280x720", 60, 15), "animation format 'avi' is not one of gif, mp4"),
        (("gif", "800x600", 60, 15), "size '800x600' is not one of 1280x720, 1920x1080"),
        (("gif", "1280x720", 5, 15), "frames=5 is out of range; allowed: 10 to 300"),
        (("gif", "1280x720", 60, 100), "fps=100 is out of range; allowed: 2 to 60"),
    ):
        with pytest.raises(SpecError, match=message):
            animation.race_file(result, *args)


def test_the_command_line_writes_the_race(tmp_path):
    gif, mp4 = tmp_path / "race.gif", tmp_path / "race.mp4"
    code, _, err = run_cli(
        "--surface", "booth", "--optimizer", "adam:lr=0.1", "--steps", "60", "--frames", "12", "--fps", "10",
        "--gif", str(gif), "--mp4", str(mp4),
    )  # fmt: skip
    assert code == 0, err
    assert Image.open(gif).n_frames == 12
    meta, frames = decode_mp4(mp4.read_bytes(), tmp_path)
    assert meta["size"] == (1280, 720) and len(frames) == 12 + 15
    code, _, err = run_cli("--gif", str(tmp_path / "never.gif"), "--frames", "1000")
    assert code == 2 and "frames=1000 is out of range" in err and not (tmp_path / "never.gif").exists()
