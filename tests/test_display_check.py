"""Before Qt starts, `tinct gui` says which system libraries are missing instead of Qt aborting (exit 134)."""

from __future__ import annotations

import stat

from desktop.commands import gui
from desktop.display_check import display_problem, install_hint


def fake_ldd(tmp_path, listing: str) -> str:
    script = tmp_path / "ldd"
    script.write_text(f"#!/bin/sh\ncat <<'END'\n{listing}\nEND\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


LISTING = """\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-cursor.so.0 => /usr/lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f)
\tlibweird.so.9 => not found"""


def test_missing_xcb_libraries_are_named_with_the_line_that_installs_them(tmp_path):
    problem = display_problem({"DISPLAY": ":0"}, "linux", plugin=tmp_path / "libqxcb.so", ldd=fake_ldd(tmp_path, LISTING))
    assert "lacks: libweird.so.9, libxcb-icccm.so.4, libxcb-keysyms.so.1." in problem
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1" in problem and "libxcb-cursor0" not in problem
    assert "provide: libweird.so.9" in problem


def test_nothing_is_said_when_nothing_is_missing_or_another_platform_is_chosen(tmp_path):
    fine = fake_ldd(tmp_path, "\tlibxcb.so.1 => /usr/lib/libxcb.so.1 (0x1)")
    assert display_problem({"DISPLAY": ":0"}, "linux", plugin=tmp_path / "p.so", ldd=fine) is None
    missing = fake_ldd(tmp_path, LISTING)
    for environ in ({"QT_QPA_PLATFORM": "offscreen"}, {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}):
        assert display_problem(environ, "linux", plugin=tmp_path / "p.so", ldd=missing) is None
    assert display_problem({}, "darwin") is None
    assert display_problem({"DISPLAY": ":0"}, "linux", plugin=tmp_path / "p.so", ldd="no-such-ldd") is None


def test_no_display_at_all_is_said_in_words():
    assert "DISPLAY is not set" in display_problem({}, "linux")


def test_tinct_gui_prints_the_problem_and_exits_2_without_starting_qt(monkeypatch, capsys):
    monkeypatch.setattr(gui, "display_problem", lambda: "Qt cannot open a window: it needs libfoo.so.1.")
    assert gui.run_gui([]) == 2
    assert capsys.readouterr().err == "tinct: Qt cannot open a window: it needs libfoo.so.1.\n"

