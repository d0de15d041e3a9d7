"""Discovery finds entry-point plugins and isolates the broken ones."""

from __future__ import annotations

import sys

import pytest

from plugins.errors import BackendNotFound
from plugins import hookimpl
from plugins.host import PluginHost
from fakes import backend_class, flat_samples, install_fake_distribution, make_plugin

GOOD_PLUGIN = """
    import numpy as np
    from plugins import Colorizer, ColorizerInfo, Sample, hookimpl

    class Sepia(Colorizer):
        info = ColorizerInfo(id="sepia", name="Sepia", version="1.2.3", license="MIT")

        def colorize(self, lightness, options):
            yield Sample(0, np.full(lightness.shape + (2,), 10.0, np.float32))

    @hookimpl
    def register_colorizers():
        return [Sepia]
"""


@pytest.fixture
def site(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    yield site
    for name in ("fake_sepia", "fake_broken", "fake_typo", "fake_impostor"):
        sys.modules.pop(name, None)


def test_a_fake_distribution_with_an_entry_point_is_found(site):
    install_fake_distribution(site, "tinct-sepia", "fake_sepia", GOOD_PLUGIN)
    host = PluginHost.discover()
    entry = host.get("sepia")
    assert entry.distribution == "tinct-sepia"
    assert entry.info.version == "1.2.3"
    assert host.failures == []


@pytest.mark.parametrize("source, message", [
    ("raise ImportError('needs libfoo 9')\n", "needs libfoo 9"),
    ("import sys\nsys.exit('no GPU, bye')\n", "SystemExit"),  # a plugin's sys.exit() must not end discovery
])
def test_a_plugin_that_fails_to_import_is_reported_and_isolated(site, source, message):
    install_fake_distribution(site, "tinct-sepia", "fake_sepia", GOOD_PLUGIN)
    install_fake_distribution(site, "tinct-broken", "fake_broken", source)
    host = PluginHost.discover()
    assert "sepia" in host.ids()
    [failure] = host.failures
    assert (failure.name, failure.distribution, failure.stage) == ("fake_broken", "tinct-broken", "import")
    assert message in failure.message


def test_a_plugin_with_an_unknown_hook_is_reported(site):
    typo = "from plugins import hookimpl\n\n@hookimpl\ndef register_colorizer():\n    return []\n"
    install_fake_distribution(site, "tinct-typo", "fake_typo", typo)
    host = PluginHost.discover()
    [failure] = host.failures
    assert failure.name == "fake_typo" and "register_colorizer" in failure.message


def test_disable_switch_leaves_named_plugins_out(site, monkeypatch):
    install_fake_distribution(site, "tinct-sepia", "fake_sepia", GOOD_PLUGIN)
    monkeypatch.setenv("TINCT_DISABLE_PLUGINS", "fake_sepia, other")
    assert "sepia" not in PluginHost.discover().ids()


def test_disable_switch_also_takes_backend_ids(monkeypatch):
    plugin = make_plugin("direct", backend_class("one", flat_samples()), backend_class("two", flat_samples()))
    monkeypatch.setenv("TINCT_DISABLE_PLUGINS", "two")
    assert PluginHost.discover([plugin], entry_points=False).ids() == ["one"]


def test_hook_register_colorizers_collects_every_plugins_classes():
    first = make_plugin("first", backend_class("a", flat_samples()))
    second = make_plugin("second", backend_class("b", flat_samples()), backend_class("c", flat_samples()))
    host = PluginHost.discover([first, second], entry_points=False)
    assert sorted(host.ids()) == ["a", "b", "c"]


def test_hook_register_colorizers_that_raises_is_isolated():
    def explode():
        raise RuntimeError("boom")

    bad = make_plugin("bad")
    bad.register_colorizers = hookimpl(explode)
    good = make_plugin("good", backend_class("fine", flat_samples()))
    host = PluginHost.discover([bad, good], entry_points=False)
    assert host.ids() == ["fine"]
    assert [(f.name, f.stage, f.message) for f in host.failures] == [("bad", "register", "RuntimeError: boom")]


@pytest.mark.parametrize(
    "returned, expected",
    [
        ([42], "not a Colorizer subclass"),
        ([object], "not a Colorizer subclass"),
    ],
)
def test_hook_register_colorizers_garbage_is_reported(returned, expected):
    host = PluginHost.discover([make_plugin("garbage", *returned)], entry_points=False)
    assert host.ids() == []
    assert expected in host.failures[0].message


def test_abstract_and_info_less_classes_are_refused():
    from plugins import Colorizer

    class NoColorize(Colorizer):
        info = backend_class("x", flat_samples()).info

    class NoInfo(Colorizer):
        def colorize(self, lightness, options):
            yield from ()

    host = PluginHost.discover([make_plugin("p", NoColorize, NoInfo)], entry_points=False)
    messages = " | ".join(f.message for f in host.failures)
    assert "does not implement colorize" in messages and "no ColorizerInfo" in messages


def test_duplicate_backend_ids_keep_the_first():
    host = PluginHost.discover(
        [make_plugin("p1", backend_class("same", flat_samples())), make_plugin("p2", backend_class("same", flat_samples()))],
        entry_points=False,
    )
    assert host.ids() == ["same"]
    assert "already taken" in host.failures[0].message


def test_a_plugin_cannot_take_over_a_built_in_backends_id(site):
    impostor = GOOD_PLUGIN.replace('id="sepia", name="Sepia"', 'id="regression", name="Impostor"')
    install_fake_distribution(site, "tinct-impostor", "fake_impostor", impostor)  # first on sys.path
    host = PluginHost.discover()
    assert host.get("regression").distribution == "tinct" and host.get("regression").info.name != "Impostor"
    [failure] = [f for f in host.failures if f.name == "fake_impostor"]
    assert "already taken" in failure.message


def test_an_entry_point_named_like_a_built_in_one_is_reported(site):
    install_fake_distribution(site, "tinct-impostor", "fake_impostor", GOOD_PLUGIN, entry_point="regression")
    host = PluginHost.discover()
    assert host.get("regression").distribution == "tinct" and "sepia" not in host.ids()
    [failure] = [f for f in host.failures if f.distribution == "tinct-impostor"]
    assert "taken by tinct" in failure.message


def test_unknown_backend_is_a_clear_error():
    host = PluginHost.discover([make_plugin("p", backend_class("only", flat_samples()))], entry_points=False)
    with pytest.raises(BackendNotFound, match="no backend 'nope' is installed \\(installed: only\\)"):
        host.get("nope")


def test_the_manager_is_made_by_a_factory_not_at_import():
    import plugins.host.discovery as discovery

    assert not any(type(v).__name__ == "PluginManager" for v in vars(discovery).values())
    assert discovery.make_plugin_manager() is not discovery.make_plugin_manager()
