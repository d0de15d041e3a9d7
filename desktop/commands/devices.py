"""``tinct devices``: what torch sees."""

from __future__ import annotations

import argparse

from plugins.host.devices import available_devices, torch_installed


def run_devices(args: argparse.Namespace) -> int:
    if not torch_installed():
        print("torch is not installed: only backends that do without it can run (on the CPU)")
    for device in available_devices():
        memory = f", {device.memory_gb:.1f} GiB" if device.memory_gb else ""
        print(f"{device.id:8} {device.name}{memory}")
    return 0
