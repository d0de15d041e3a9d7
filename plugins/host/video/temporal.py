"""Temporal consistency: each frame's fresh chroma blended with the previous result carried along the flow.

At working size, per frame ``t``: DIS flow on the lightness from ``t`` back to ``t - 1`` (and
forward, for the check), the previous result's ab warped onto frame ``t``, and a per-pixel
blend ``w·warped + (1 - w)·fresh`` where ``w = carry · confidence``. The confidence falls
with the forward-backward mismatch of the flow and with the warped lightness error, so
occluded, newly visible and badly matched pixels take the fresh prediction. A scene cut
(lightness histograms far apart, or too few pixels matched) starts fresh. Both tests first
match the frames' mean and spread of lightness, so the exposure flicker of old film is
neither a mismatch nor a cut. The result is an exponential moving average along motion
trajectories: flicker is averaged away while colors still follow what the backend sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from plugins.host.video.flow import DisFlow, flow_image, forward_backward_error, lands_inside, warp

_HISTOGRAM_BINS = 32


@dataclass(frozen=True)
class TemporalSettings:
    """How strongly colors carry from frame to frame (the defaults are tuned on ``bench/video.py``'s clips)."""

    carry: float = 0.9
    """The weight of the previous result where the match is certain (0 makes every frame fresh)."""
    flow_tolerance: float = 1.0
    """Forward-backward mismatch (working-size px) at which the confidence falls to 1/e."""
    lightness_tolerance: float = 6.0
    """Warped lightness error (L* units) at which the confidence falls to 1/e."""
    cut_distance: float = 0.4
    """Bhattacharyya distance of two frames' lightness histograms above which a new shot starts."""
    min_matched: float = 0.2
    """A new shot also starts where fewer than this share of pixels match the previous frame (confidence ≥ ½)."""


@dataclass(frozen=True, eq=False)
class Blended:
    """One frame's chroma at working size, and how it was made."""

    ab: np.ndarray
    carried: float
    """The mean weight the previous result got (0 for a fresh start)."""
    cut: bool
    """Whether a new shot started here (never on the first frame)."""


@dataclass(frozen=True, eq=False)
class _Frame:
    lightness: np.ndarray  # L* at working size
    image: np.ndarray  # its 8-bit version, for DIS
    histogram: np.ndarray
    ab: np.ndarray  # the result


class TemporalBlender:
    """Blends the frames of one clip, in order. Not thread-safe: one per clip."""

    def __init__(self, settings: TemporalSettings = TemporalSettings()) -> None:
        self.settings = settings
        self._backward = DisFlow()
        self._forward = DisFlow()
        self._previous: _Frame | None = None

    def reset(self) -> None:
        """Start afresh: the next frame is colored as if it were the first."""
        self._previous = None
        self._backward.reset()
        self._forward.reset()

    def blend(self, lightness: np.ndarray, fresh_ab: np.ndarray) -> Blended:
        """This frame's chroma: ``fresh_ab (h, w, 2)`` (the backend's) blended with the previous result.

        ``lightness`` is the frame's L* at any size; it is shrunk to the ab's.
        """
        height, width = fresh_ab.shape[:2]
        small = cv2.resize(np.asarray(lightness, np.float32), (width, height), interpolation=cv2.INTER_AREA)
        image = flow_image(small)
        histogram = cv2.calcHist([flow_image(_standardized(small))], [0], None, [_HISTOGRAM_BINS], [0, 256])
        previous = self._previous
        ab, carried, cut = np.ascontiguousarray(fresh_ab, dtype=np.float32), 0.0, False
        if previous is None or previous.lightness.shape != small.shape:
            self.reset()
        elif cv2.compareHist(previous.histogram, histogram, cv2.HISTCMP_BHATTACHARYYA) > self.settings.cut_distance:
            cut = True
        else:
            weight, backward = self._carry_weights(previous, small, image)
            if np.mean(weight >= 0.5 * self.settings.carry) < self.settings.min_matched:
                cut = True
            else:
                weight = weight[..., None]
                ab = weight * warp(previous.ab, backward) + (1 - weight) * ab
                carried = float(weight.mean())
        if cut:
            self.reset()
        self._previous = _Frame(small, image, histogram, ab)
        return Blended(ab, carried, cut)

    def _carry_weights(self, previous: _Frame, lightness: np.ndarray, image: np.ndarray):
        """Per pixel of the current frame, the weight its warped previous result gets; and the flow
        from the current frame back to the previous one."""
        settings = self.settings
        backward = self._backward(image, previous.image)  # current pixel x is previous pixel x + backward(x)
        forward = self._forward(previous.image, image)
        mismatch = forward_backward_error(backward, forward) / np.float32(settings.flow_tolerance)
        warped = _exposure_matched(warp(previous.lightness, backward), lightness)
        lightness_error = (lightness - warped) / np.float32(settings.lightness_tolerance)
        weight = cv2.exp(-(mismatch * mismatch + lightness_error * lightness_error)) * np.float32(settings.carry)
        weight[~lands_inside(backward)] = 0
        return weight, backward


def _standardized(lightness: np.ndarray) -> np.ndarray:
    """``lightness`` moved to mean 50 and spread 20: its histogram's shape without the exposure."""
    mean, spread = cv2.meanStdDev(lightness)
    return (lightness - np.float32(mean[0, 0])) * np.float32(20 / max(spread[0, 0], 1e-3)) + np.float32(50)


def _exposure_matched(lightness: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``lightness`` with the mean and spread of ``reference`` (a gain and an offset)."""
    mean, spread = cv2.meanStdDev(lightness)
    reference_mean, reference_spread = cv2.meanStdDev(reference)
    gain = reference_spread[0, 0] / max(spread[0, 0], 1e-3)
    return (lightness - np.float32(mean[0, 0])) * np.float32(gain) + np.float32(reference_mean[0, 0])
