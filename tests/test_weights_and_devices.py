"""Weights are sha256-checked safetensors; devices resolve auto → CUDA, MPS, CPU."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from fakes import backend_class, flat_samples, make_plugin
from plugins import ColorizerInfo, WeightsFile
from plugins.errors import TinctError, WeightsError
from plugins.host import PluginHost
from plugins.host import devices
from plugins.weights import load_state_dict, verify


@pytest.fixture
def weights_file(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    path = tmp_path / "tiny.safetensors"
    save_file({"w": torch.arange(6, dtype=torch.float16).reshape(2, 3)}, str(path))
    return WeightsFile(path, hashlib.sha256(path.read_bytes()).hexdigest())


def test_verified_weights_load_without_unpickling(weights_file):
    tensors = load_state_dict(weights_file)
    assert tensors["w"].shape == (2, 3) and float(tensors["w"][1, 2]) == 5.0


def test_an_uppercase_sha256_is_the_same_digest(weights_file):
    upper = WeightsFile(weights_file.path, weights_file.sha256.upper())
    assert upper.sha256 == weights_file.sha256
    verify(upper)
    with pytest.raises(ValueError, match="64 hex digits"):
        WeightsFile(weights_file.path, "xyz")


def test_a_sha256_mismatch_names_the_file(weights_file):
    weights_file.path.write_bytes(weights_file.path.read_bytes() + b" ")
    with pytest.raises(WeightsError, match="tiny.safetensors is corrupt or the wrong version"):
        verify(weights_file)


def test_missing_weights_are_reported_by_plugins_list_and_load(tmp_path):
    missing = WeightsFile(tmp_path / "gone.safetensors", "0" * 64)
    cls = backend_class("needs-weights", flat_samples())
    cls.info = ColorizerInfo(id="needs-weights", name="n", version="1", license="MIT", weights=(missing,))
    host = PluginHost.discover([make_plugin("p", cls)], entry_points=False)
    status = host.weights_status(host.get("needs-weights"))
    assert status.state == "missing" and "gone.safetensors is missing" in status.message
    with pytest.raises(WeightsError, match="gone.safetensors is missing"):
        host.loaded("needs-weights", "cpu")
    assert host.failures[0].stage == "load"


def test_a_pickle_is_refused_as_unreadable(tmp_path):
    path = tmp_path / "evil.safetensors"
    path.write_bytes(b"\x80\x04\x95not safetensors at all")
    with pytest.raises(WeightsError, match="cannot be read"):
        load_state_dict(WeightsFile(path, hashlib.sha256(path.read_bytes()).hexdigest()))


def fake_devices(monkeypatch, ids):
    monkeypatch.setattr(devices, "available_devices", lambda: [devices.DeviceInfo(i, i) for i in ids])


def test_auto_prefers_cuda_then_mps_then_cpu(monkeypatch):
    fake_devices(monkeypatch, ["cuda", "mps", "cpu"])
    assert devices.resolve_device("auto", ("cpu", "cuda", "mps")) == "cuda"
    assert devices.resolve_device("auto", ("cpu", "mps")) == "mps"
    fake_devices(monkeypatch, ["cpu"])
    assert devices.resolve_device("auto", ("cpu", "cuda")) == "cpu"


def test_an_explicit_device_that_is_missing_is_an_error(monkeypatch):
    fake_devices(monkeypatch, ["cpu"])
    with pytest.raises(TinctError, match="cuda is not available"):
        devices.resolve_device("cuda", ("cpu", "cuda"))
    fake_devices(monkeypatch, ["cuda", "cpu"])
    with pytest.raises(TinctError, match="does not support cuda"):
        devices.resolve_device("cuda", ("cpu",))


def test_the_cpu_is_always_listed():
    assert devices.available_devices()[-1].id == "cpu"


def test_an_installed_copy_finds_its_data_files_where_pip_put_them(tmp_path, monkeypatch):
    """pip install --user or --prefix puts share/tinct under another base than sys.prefix."""
    import importlib

    from plugins.resources import installed_resources

    base = tmp_path / "userbase"
    site = base / "lib" / "python3" / "site-packages"
    info = site / "tinct_fake-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tinct-fake\nVersion: 1.0\n")
    card = "../../../share/tinct/resources/models/regression.json"
    (info / "RECORD").write_text(f"{card},,\ntinct_fake-1.0.dist-info/METADATA,,\n")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    assert installed_resources("tinct-fake") == base / "share" / "tinct" / "resources"
    assert installed_resources("no-such-distribution") is None
