"""Temporal consistency: DIS flow, the warping error, the blend and scene cuts."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import make_plugin
from video_clips import FlickeringColorizer, panning_frames, texture

from plugins.color import srgb_to_lab
from plugins.host import PluginHost, build_options
from plugins.host.video import FrameColorizer, TemporalBlender
from plugins.host.video.flicker import warping_error
from plugins.host.video.flow import DisFlow, flow_image, forward_backward_error, lands_inside
from plugins.host.video.frames import frame_lightness

STEP = 2  # px the panning clips move per frame


def pan_flow(frame: np.ndarray) -> np.ndarray:
    flow = np.zeros(frame.shape[:2] + (2,), np.float32)
    flow[..., 0] = -STEP
    return flow


def test_dis_flow_finds_the_pan_and_its_reverse_agrees():
    first, second = (flow_image(frame_lightness(f)) for f in panning_frames(2, (120, 80), STEP))
    forward, backward = DisFlow()(first, second), DisFlow()(second, first)
    inner = (slice(10, -10), slice(10, -10))
    assert np.median(forward[inner][..., 0]) == pytest.approx(-STEP, abs=0.1)
    assert np.median(backward[inner][..., 0]) == pytest.approx(STEP, abs=0.1)
    assert np.median(forward_backward_error(forward, backward)[inner]) < 0.2


def test_warping_error_is_zero_for_content_that_moves_with_the_flow_and_counts_a_change_squared():
    frames = [srgb_to_lab(f / 255.0)[..., :2] for f in panning_frames(2, (64, 48), STEP)]
    flow = pan_flow(frames[0])
    valid = lands_inside(flow)
    assert warping_error(frames[0], frames[1], flow, valid) == pytest.approx(0, abs=1e-6)
    shifted = frames[1] + np.array([3.0, 0.0], np.float32)
    assert warping_error(frames[0], shifted, flow, valid) == pytest.approx(9.0, rel=1e-4)
    assert not valid[:, :STEP].any() and valid[:, STEP:].all()  # what leaves the frame is not compared


@pytest.fixture
def flicker_backend():
    host = PluginHost.discover([make_plugin("flicker", FlickeringColorizer)], entry_points=False)
    return host.loaded("flicker", "cpu")


def colorized(backend, frames, temporal: bool) -> list[np.ndarray]:
    options = build_options(backend.info, device="cpu")[0]
    colorizer = FrameColorizer(backend, options, temporal=temporal)
    return [colorizer.colorize(frame) for frame in frames]


def mean_warping_error(frames: list[np.ndarray]) -> float:
    abs_ = [srgb_to_lab(f / 255.0)[..., 1:] for f in frames]
    flow = pan_flow(frames[0])
    return float(np.mean([warping_error(a, b, flow, lands_inside(flow)) for a, b in zip(abs_, abs_[1:])]))


def test_temporal_blending_halves_the_flicker_of_a_panning_clip(flicker_backend):
    frames = panning_frames(16, (96, 64), STEP)
    alone = colorized(flicker_backend, frames, temporal=False)
    flicker_backend.unload()
    flicker_backend.ensure_loaded("cpu")  # the same random draws again
    steady = colorized(flicker_backend, frames, temporal=True)
    assert mean_warping_error(steady) < 0.5 * mean_warping_error(alone)
    # Steadier, not washed out: the colors still are the backend's on average.
    mean_ab = [np.mean([srgb_to_lab(f / 255.0)[..., 1:].mean(axis=(0, 1)) for f in run]) for run in (alone, steady)]
    assert mean_ab[0] == pytest.approx(mean_ab[1], abs=1.5)


def test_temporal_off_gives_each_frame_the_backends_own_chroma(flicker_backend):
    options = build_options(flicker_backend.info, device="cpu")[0]
    lightness = frame_lightness(panning_frames(1, (96, 64))[0])
    fresh = FrameColorizer(flicker_backend, options, temporal=False)
    first, second = fresh.chroma(lightness), fresh.chroma(lightness)
    assert not np.allclose(first, second)  # the flicker: two calls, two draws
    assert fresh.blender is None


def blend_clip(blender: TemporalBlender, frames: list[np.ndarray], ab_value: float):
    results = []
    for frame in frames:
        lightness = frame_lightness(frame)
        fresh = np.full((32, 48, 2), ab_value, np.float32) + np.random.default_rng(len(results)).normal(0, 3, (32, 48, 2)).astype(np.float32)
        results.append((fresh, blender.blend(lightness, fresh)))
    return results


def other_shot(kind: str) -> list[np.ndarray]:
    if kind == "darker":  # another lightness histogram altogether
        return [(f // 4).astype(np.uint8) for f in panning_frames(3, (96, 64), STEP, seed=7)]
    # The same kind of histogram, other content: only the failed match tells the shots apart.
    return panning_frames(3, (96, 64), STEP, seed=7)


@pytest.mark.parametrize("kind", ["darker", "same histogram"])
def test_a_scene_cut_starts_fresh(kind):
    blender = TemporalBlender()
    before = blend_clip(blender, panning_frames(5, (96, 64), STEP), 10.0)
    assert not any(b.cut for _, b in before)
    assert all(b.carried > 0.5 for _, b in before[1:])  # within a shot the previous colors carry over
    assert not np.allclose(before[-1][1].ab, before[-1][0])
    after = blend_clip(blender, other_shot(kind), -20.0)
    fresh, cut = after[0]
    assert cut.cut and cut.carried == 0.0
    np.testing.assert_array_equal(cut.ab, fresh)  # nothing of the old shot's colors
    assert not after[1][1].cut and after[1][1].carried > 0.5  # the new shot carries on from its first frame


def test_the_first_frame_is_fresh_and_not_a_cut():
    blender = TemporalBlender()
    texture_frame = np.repeat(texture(64, 96)[..., None], 3, axis=2)
    fresh = np.full((32, 48, 2), 5.0, np.float32)
    first = blender.blend(frame_lightness(texture_frame), fresh)
    assert not first.cut and first.carried == 0.0
    np.testing.assert_array_equal(first.ab, fresh)


def test_the_exposure_flicker_of_old_film_is_no_scene_cut():
    frames = panning_frames(6, (96, 64), STEP)
    flickering = [np.clip(f * (0.8 if t % 2 else 1.05), 0, 255).astype(np.uint8) for t, f in enumerate(frames)]
    blended = blend_clip(TemporalBlender(), flickering, 10.0)
    assert not any(b.cut for _, b in blended)
    assert all(b.carried > 0.5 for _, b in blended[1:])
