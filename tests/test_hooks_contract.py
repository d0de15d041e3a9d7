"""Every hook is documented and tested (after datasette's test_plugin_hooks_have_tests)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from plugins import hookspecs

ROOT = Path(__file__).resolve().parents[1]
HOOKS = [
    name
    for name, value in vars(hookspecs).items()
    if callable(value) and hasattr(value, "tinct_spec")
]


def test_there_are_hooks():
    assert "register_colorizers" in HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_docstring_and_types(hook):
    function = getattr(hookspecs, hook)
    assert inspect.getdoc(function), f"hook {hook} has no docstring"
    assert inspect.signature(function).return_annotation is not inspect.Signature.empty


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_in_plugin_api_doc(hook):
    assert f"`{hook}" in (ROOT / "docs" / "plugin-api.md").read_text()


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test(hook):
    sources = "\n".join(p.read_text() for p in (ROOT / "tests").glob("test_*.py"))
    assert f"def test_hook_{hook}" in sources, f"no test named test_hook_{hook}*"
