"""``tinct plugins list|install|remove``: every backend, where it lives, and every broken plugin."""

from __future__ import annotations

import argparse
import json

from desktop.plugin_install import backend_location, install, remove, user_plugin_dir
from plugins.host import PluginHost


def plugin_report(host: PluginHost) -> dict:
    backends = []
    for entry in sorted(host.backends, key=lambda e: e.info.id):
        info = entry.info
        weights = host.weights_status(entry)
        backends.append(
            {
                "id": info.id,
                "name": info.name,
                "description": info.description,
                "version": info.version,
                "distribution": entry.distribution,
                "plugin": entry.plugin,
                "location": backend_location(entry.distribution),
                "license": info.license,
                "weights": weights.state,
                "weights_error": weights.message or None,
                "devices": list(info.devices),
                "max_samples": info.sample_limit,
                "capabilities": sorted(c.value for c in info.capabilities),
                "options": [{"name": o.name, "kind": o.kind.value, "default": o.default, "minimum": o.minimum,
                             "maximum": o.maximum, "choices": list(o.choices), "help": o.help} for o in info.params],
            }
        )
    broken = [
        {"name": f.name, "distribution": f.distribution, "stage": f.stage, "error": f.message}
        for f in sorted(host.failures, key=lambda f: f.name)
    ]
    switched_off = sorted(entry.info.id for entry in getattr(host, "switched_off", ()))
    return {"backends": backends, "broken": broken, "switched_off": switched_off}


def run_plugins(args: argparse.Namespace) -> int:
    if args.plugins_command == "install":
        return run_plugins_install(args)
    if args.plugins_command == "remove":
        return run_plugins_remove(args)
    return run_plugins_list(args)


def run_plugins_install(args: argparse.Namespace) -> int:
    report = install(args.path)
    replaced = f" (replacing {report.replaced})" if report.replaced else ""
    print(f"installed {report.distribution} {report.version}{replaced} into {report.folder}")
    host = PluginHost.discover()  # discovery again, as the app and the next command will see it
    for backend_id in report.backends:
        entry = host.get(backend_id)
        weights = host.weights_status(entry)
        print(f"    backend {backend_id}: {entry.info.name}; weights {weights.state}")
    return 0


def run_plugins_remove(args: argparse.Namespace) -> int:
    report = remove(args.name)
    backends = ", ".join(report.backends) or "none"
    print(f"removed {report.distribution} {report.version} from {user_plugin_dir()} (backends: {backends})")
    return 0


def run_plugins_list(args: argparse.Namespace) -> int:
    report = plugin_report(PluginHost.discover())
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    if not report["backends"]:
        print("no backends installed")
    for b in report["backends"]:
        print(f"{b['id']} {b['version']}  ({b['name']})")
        if b["description"]:
            print(f"    {b['description']}")
        print(f"    from {b['distribution']}, license {b['license']}")
        print(f"    location: {b['location']}")
        print(f"    weights {b['weights']}; devices {', '.join(b['devices'])}; up to {b['max_samples']} sample(s)")
        if b["weights_error"]:
            print(f"    {b['weights_error']}")
        for o in b["options"]:
            print(f"    option {o['name']}={_option_values(o)}: {o['help']}")
    for f in report["broken"]:
        print(f"BROKEN {f['name']} (from {f['distribution']}): {f['stage']} failed: {f['error']}")
    for backend_id in report["switched_off"]:
        print(f"switched off: {backend_id} (tick it in the app's Installed Backends to use it again)")
    return 0


def _option_values(option: dict) -> str:
    """``default (minimum..maximum)``, or ``default (one of a, b, c)`` for a choice."""
    if option["kind"] == "choice":
        return f"{option['default']} (one of {', '.join(option['choices'])})"
    return f"{option['default']:g} ({option['minimum']:g}..{option['maximum']:g})"
