"""The complete plugin in docs/plugin-api.md works as printed."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np

from fakes import install_fake_distribution
from plugins.host import PluginHost, build_options

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugin-api.md"


def test_the_documented_plugin_is_discovered_and_colorizes(tmp_path, monkeypatch):
    source = re.search(r"`tinct_sepia.py`:\n\n```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    site = tmp_path / "site"
    monkeypatch.syspath_prepend(str(site))
    install_fake_distribution(site, "tinct-sepia", "tinct_sepia", source)
    try:
        host = PluginHost.discover()
        assert host.get("sepia").distribution == "tinct-sepia"
        backend = host.loaded("sepia", "cpu")
        lightness = np.linspace(0, 100, 300 * 200, dtype=np.float32).reshape(300, 200)
        options, _ = build_options(backend.info, device="cpu")
        [sample] = [e for e in backend.colorize(lightness, options) if hasattr(e, "ab")]
        assert sample.ab.shape == (384, 256, 2)
        assert sample.ab[0, 0, 1] > sample.ab[-1, -1, 1] > -1e-6  # dark tones get more chroma
    finally:
        sys.modules.pop("tinct_sepia", None)
