"""Before Qt starts: can it open a window here? Qt itself aborts (SIGABRT, exit 134) with a message
that often blames the wrong library, so Tinct looks first and says what is missing and how to install it.

Only Linux's X11 (xcb) platform plugin is checked: it needs several small xcb libraries that a
minimal Debian or Ubuntu installation lacks (``libxcb-icccm4`` and ``libxcb-keysyms1``, among others).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Mapping

# The sonames Qt's xcb plugin links against → the Debian/Ubuntu package that ships each.
DEBIAN_PACKAGES = {
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
}
_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)


def xcb_plugin() -> Path | None:
    """PySide6's X11 platform plugin, if this PySide6 ships one."""
    try:
        import PySide6
    except ImportError:
        return None
    found = sorted(Path(PySide6.__file__).parent.glob("Qt/plugins/platforms/libqxcb.so"))
    return found[0] if found else None


def missing_libraries(plugin: Path, ldd: str = "ldd") -> list[str]:
    """The sonames ``plugin`` needs that the dynamic linker cannot find ([] when none, or ldd is absent)."""
    program = shutil.which(ldd)
    if program is None:
        return []
    try:
        listing = subprocess.run([program, str(plugin)], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(set(_NOT_FOUND.findall(listing)))


def install_hint(missing: list[str]) -> str:
    packages = [DEBIAN_PACKAGES[name] for name in missing if name in DEBIAN_PACKAGES]
    unknown = [name for name in missing if name not in DEBIAN_PACKAGES]
    lines = []
    if packages:
        lines.append(f"On Debian or Ubuntu: sudo apt-get install {' '.join(packages)}")
    if unknown:
        lines.append(f"Also install the packages that provide: {', '.join(unknown)}")
    return "\n".join(lines)


def display_problem(environ: Mapping[str, str] = os.environ, platform: str = sys.platform,
                    plugin: Path | None = None, ldd: str = "ldd") -> str | None:
    """Why Qt could not open a window here, in words, with what to do; None when nothing is wrong that we know of."""
    if not platform.startswith("linux"):
        return None
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if chosen and not chosen.startswith("xcb"):
        return None  # offscreen, wayland, vnc…: Qt's own business
    if not chosen and environ.get("WAYLAND_DISPLAY"):
        return None
    if not environ.get("DISPLAY"):
        return ("There is no display to open the window on (DISPLAY is not set). Run Tinct from a desktop "
                "session, or colorize on the command line: tinct colorize PHOTO -o OUTDIR")
    plugin = plugin or xcb_plugin()
    missing = missing_libraries(plugin, ldd) if plugin is not None else []
    if not missing:
        return None
    return (f"Qt cannot open a window: its X11 plugin needs libraries this system lacks: {', '.join(missing)}.\n"
            + install_hint(missing))
