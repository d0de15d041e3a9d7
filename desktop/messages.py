"""What the background jobs take (requests) and give back (messages): plain data, safe to pass between threads."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import cv2
import numpy as np

from desktop.state.combine import CombineMask
from desktop.state.restoration import RestoreSettings
from desktop.state.settings import ColorizeSettings
from plugins.errors import TinctError
from plugins.host.discovery import describe


# -- messages a job yields ------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PhotoRead:
    size: tuple[int, int]
    preview_lightness: np.ndarray
    original_preview: np.ndarray
    notes: list[str]


@dataclass(frozen=True)
class JobProgress:
    fraction: float
    message: str = ""


@dataclass(frozen=True)
class BackendReady:
    device: str
    notes: list[str]


@dataclass(frozen=True, eq=False)
class SampleMade:
    index: int
    ab: np.ndarray
    preview: np.ndarray
    thumbnail: np.ndarray


@dataclass(frozen=True, eq=False)
class RunRestored:
    """A run restored its photo before the backend ran: the restored lightness at preview size, and
    what the steps said."""

    preview_lightness: np.ndarray
    notes: tuple[str, ...] = ()
    failures: tuple[str, ...] = ()


@dataclass(frozen=True)
class BatchProgress:
    done: int
    total: int
    current: Path
    message: str = ""
    written: int = 0
    """Files written so far."""


@dataclass
class BatchResult:
    written: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)


class GpuOutOfMemory(TinctError):
    """The backend ran out of GPU memory; the same run may succeed on the CPU."""

    def __init__(self, device: str, error: BaseException):
        super().__init__(f"the {device.upper()} ran out of memory ({describe(error)})")
        self.device = device


# -- requests -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Chroma:
    """Where a result's color comes from: one sample's ab, or a combine mask over several samples."""

    ab: np.ndarray | None = None
    mask: CombineMask | None = None
    samples_ab: Mapping[int, np.ndarray] | None = None

    def for_lightness(self, lightness: np.ndarray) -> np.ndarray:
        if self.mask is None:
            return self.ab
        height, width = self.mask.shape
        small = cv2.resize(lightness, (width, height), interpolation=cv2.INTER_AREA)
        return self.mask.blend(small, self.samples_ab)


@dataclass(frozen=True)
class SaveRequest:
    photo: Path
    items: tuple[tuple[Path, Chroma], ...]
    fmt: str = "png"
    quality: int = 95
    overwrite: bool = False
    restoration: RestoreSettings | None = None
    """The restoration the results were made with: the photo is restored again at full resolution."""


@dataclass(frozen=True)
class SheetRequest:
    photo: Path
    target: Path
    tiles: tuple[tuple[str, Chroma], ...]
    tile_long_side: int = 720
    restoration: RestoreSettings | None = None


@dataclass(frozen=True)
class BatchRequest:
    photos: tuple[Path, ...]
    settings: ColorizeSettings
    out_dir: Path | None = None
    """None writes each result beside its photo."""
    fmt: str = "png"
    quality: int = 95
    overwrite: bool = False
    """Replace earlier results instead of skipping the photos that have them."""
