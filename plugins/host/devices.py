"""Which compute devices exist, and which one a backend should run on.

torch is imported only when a question needs it, so a backend without torch
(and the test suite's backend) runs on machines that lack it.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from plugins.errors import TinctError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


@dataclass(frozen=True)
class DeviceInfo:
    id: str
    name: str
    memory_gb: float | None = None


def torch_installed() -> bool:
    return importlib.util.find_spec("torch") is not None


def available_devices() -> list[DeviceInfo]:
    """The devices torch can use here, CPU always last."""
    found: list[DeviceInfo] = []
    if torch_installed():
        import torch

        if torch.cuda.is_available():
            for index in range(torch.cuda.device_count()):
                props = torch.cuda.get_device_properties(index)
                device_id = "cuda" if index == 0 else f"cuda:{index}"
                found.append(DeviceInfo(device_id, props.name, props.total_memory / 2**30))
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            found.append(DeviceInfo("mps", "Apple Metal (MPS)"))
    found.append(DeviceInfo("cpu", "CPU"))
    return found


def resolve_device(requested: str, supported: tuple[str, ...]) -> str:
    """Turn ``auto|cpu|cuda|mps`` into a device the backend supports and this machine has.

    ``auto`` takes CUDA, then MPS, then the CPU. An explicit choice that cannot
    be honoured is an error rather than a silent fallback.
    """
    if requested not in DEVICE_CHOICES:
        raise TinctError(f"unknown device {requested!r}; choose one of {', '.join(DEVICE_CHOICES)}")
    here = {device.id.split(":")[0] for device in available_devices()}
    if requested == "auto":
        for candidate in ("cuda", "mps", "cpu"):
            if candidate in here and candidate in supported:
                return candidate
        raise TinctError(f"this backend runs only on {', '.join(supported)}, and none is available here")
    if requested not in here:
        raise TinctError(f"device {requested} is not available on this machine")
    if requested not in supported:
        raise TinctError(f"this backend does not support {requested}; it runs on {', '.join(supported)}")
    return requested
