"""Restoration steps are plugins: discovered like backends, and a broken one fails alone."""

from __future__ import annotations

import types

import numpy as np

from fakes import backend_class, flat_samples, make_plugin
from plugins import RestoreResult, Restorer, RestorerInfo, hookimpl
from plugins.host import PluginHost
from plugins.host.restoration import Restoration, parse_restore
from plugins.host.pipeline import colorize_to_files
from plugins.host.restoration import Restored
from plugins.imageio import read_photo


def restorer_plugin(name: str, *classes: type) -> types.SimpleNamespace:
    @hookimpl
    def register_restorers():
        return list(classes)

    return types.SimpleNamespace(__name__=name, register_restorers=register_restorers)


def restorer_class(restorer_id: str, restore, assess=None) -> type[Restorer]:
    namespace = {"info": RestorerInfo(id=restorer_id, name=restorer_id, version="0.1", license="MIT"), "restore": restore}
    if assess is not None:
        namespace["assess"] = assess
    return type(f"Restorer_{restorer_id}", (Restorer,), namespace)


def brighten(self, lightness, strength):
    return RestoreResult(np.clip(lightness + 10.0 * (strength or 1.0), 0, 100), notes=("brightened",))


def explode(self, lightness, strength):
    raise RuntimeError("the model file is corrupt")


def test_hook_register_restorers_a_third_party_step_is_discovered_and_used(tmp_path):
    plugin = restorer_plugin("brightener", restorer_class("brighten", brighten))
    host = PluginHost.discover([plugin], entry_points=False)
    assert host.restorer_ids() == ["brighten"]
    assert host.restorers[0].distribution == "(registered directly)"
    restored = Restoration.for_host(host, "brighten=0.5").run(np.full((8, 8), 40.0, np.float32))
    assert restored.applied == ("brighten",) and restored.notes == ("brightened",)
    assert np.allclose(restored.lightness, 45.0)


def test_the_builtin_steps_come_from_entry_points():
    host = PluginHost.discover()
    assert {"tone", "denoise", "scratches"} <= set(host.restorer_ids())
    entry = next(e for e in host.restorers if e.info.id == "tone")
    assert entry.distribution == "tinct"


def test_a_restorer_that_raises_fails_alone_and_colorizing_goes_on(tmp_path):
    from PIL import Image

    source = tmp_path / "photo.png"
    Image.fromarray(np.tile(np.arange(64, dtype=np.uint8) * 3, (48, 1))).save(source)
    plugins = [restorer_plugin("broken", restorer_class("explode", explode)),
               restorer_plugin("brightener", restorer_class("brighten", brighten)),
               make_plugin("fake", backend_class("fake", flat_samples()))]
    host = PluginHost.discover(plugins, entry_points=False)
    backend = host.loaded("fake", "cpu")
    from plugins.host import build_options

    options, _ = build_options(backend.info, device="cpu")
    restoration = Restoration.for_host(host, "explode,brighten")
    events = list(colorize_to_files(backend, read_photo(source), options, [tmp_path / "out.png"], "png",
                                    restoration=restoration))
    [restored] = [e for e in events if isinstance(e, Restored)]
    assert restored.applied == ("brighten",)
    assert restored.failures == ("restorer explode failed: RuntimeError: the model file is corrupt; colorized without it",)
    assert (tmp_path / "out.png").exists()


def test_a_bad_registration_is_reported_and_bad_results_are_refused():
    plugin = restorer_plugin("odd", object, restorer_class("shrink", lambda self, l, s: RestoreResult(l[:2, :2])))
    host = PluginHost.discover([plugin], entry_points=False)
    assert any("not a Restorer subclass" in f.message for f in host.failures)
    restored = Restoration.for_host(host, "shrink").run(np.zeros((4, 4), np.float32))
    assert restored.applied == () and "shape" in restored.failures[0]


def test_auto_takes_only_the_steps_that_say_they_are_needed():
    needed = restorer_class("needed", brighten, assess=lambda self, l: 0.2)
    idle = restorer_class("idle", brighten)  # the default assess: never in auto
    host = PluginHost.discover([restorer_plugin("two", needed, idle)], entry_points=False)
    restored = Restoration.for_host(host, "auto").run(np.full((4, 4), 50.0, np.float32))
    assert restored.applied == ("needed",) and np.allclose(restored.lightness, 52.0)
    assert not parse_restore("none") and parse_restore("auto").auto
