"""Shared fixtures. No test reads the user's settings, the network or ../shared."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Idle torch threads sleep instead of spinning: on 2 cores a spinning pool starves everything else.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path):
    """Start every test with no plugin switches and a private home for settings and caches."""
    for name in ("TINCT_DISABLE_PLUGINS", "TINCT_BACKEND", "TINCT_MAX_PIXELS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
