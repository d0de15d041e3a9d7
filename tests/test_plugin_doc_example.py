"""The complete plugin in docs/plugin-api.md works as printed."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np

from fakes import install_fake_distribution
from desktop.cli import main as cli_main
from plugins.host import PluginHost, build_options

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugin-api.md"


def test_the_documented_plugin_is_discovered_and_colorizes(tmp_path, monkeypatch, capsys):
    doc = DOC.read_text()
    source = re.search(r"`tinct_sepia.py`:\n\n```python\n(.*?)```", doc, re.S).group(1)
    toml = re.search(r"`pyproject.toml`:\n\n```toml\n(.*?)```", doc, re.S).group(1)
    dist = re.search(r'^name = "(.+)"$', toml, re.M).group(1)
    entry_point, module = re.search(r'entry-points."tinct.colorizers"\]\n(\S+) = "(\S+)"', toml).groups()
    site = tmp_path / "site"
    monkeypatch.syspath_prepend(str(site))
    install_fake_distribution(site, dist, module, source, entry_point=entry_point)
    try:
        listing = re.search(r"\$ tinct plugins list\n(.*?)\n\$ ", doc, re.S).group(1)
        assert cli_main(["plugins", "list"]) == 0
        assert listing in capsys.readouterr().out  # the listing printed on the page, line for line
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
