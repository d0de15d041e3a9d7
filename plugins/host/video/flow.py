"""Dense optical flow between two frames' lightness (OpenCV's DIS) and warping by it.

A flow ``F`` from frame A to frame B pairs each pixel ``x`` of A with ``x + F(x)`` in B:
``A(x) ≈ B(x + F(x))``, so :func:`warp` ``(B, F)`` brings B onto A's pixels.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

DEFAULT_PRESET = cv2.DISOPTICAL_FLOW_PRESET_FAST


def flow_image(lightness: np.ndarray) -> np.ndarray:
    """L* (0..100) as the 8-bit image DIS works on."""
    return cv2.convertScaleAbs(lightness, alpha=2.55)


class DisFlow:
    """DIS flow from one frame to the next, each call starting from the previous call's flow."""

    def __init__(self, preset: int = DEFAULT_PRESET) -> None:
        self._dis = cv2.DISOpticalFlow_create(preset)
        self._previous: np.ndarray | None = None

    def __call__(self, source: np.ndarray, target: np.ndarray) -> np.ndarray:
        """The flow from ``source`` to ``target`` (8-bit images of one size): ``float32 (H, W, 2)`` in px."""
        guess = self._previous if self._previous is not None and self._previous.shape[:2] == source.shape else None
        # DIS starts from the flow it is given when that has the images' size (else from zero).
        flow = self._dis.calc(source, target, None if guess is None else guess.copy())
        self._previous = flow
        return flow

    def reset(self) -> None:
        """Forget the previous flow (a new shot starts: it is no guess for the next)."""
        self._previous = None


@functools.lru_cache(maxsize=8)
def _grid(height: int, width: int) -> np.ndarray:
    columns, rows = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    grid = np.dstack([columns, rows])
    grid.flags.writeable = False
    return grid


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``image`` sampled at ``x + flow(x)`` (bilinear; edge pixels repeat beyond the border)."""
    coordinates = _grid(*flow.shape[:2]) + flow
    return cv2.remap(image, coordinates, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def lands_inside(flow: np.ndarray) -> np.ndarray:
    """``bool (H, W)``: whether ``x + flow(x)`` falls inside the frame."""
    height, width = flow.shape[:2]
    target = _grid(height, width) + flow
    return ((target[..., 0] >= 0) & (target[..., 0] <= width - 1)
            & (target[..., 1] >= 0) & (target[..., 1] <= height - 1))


def forward_backward_error(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """Per pixel of the frame ``forward`` starts from, in px: how far following ``forward`` and then
    ``backward`` (its reverse flow) lands from where it began. Large at occlusions and wrong matches."""
    round_trip = forward + warp(backward, forward)
    return cv2.magnitude(round_trip[..., 0], round_trip[..., 1])
