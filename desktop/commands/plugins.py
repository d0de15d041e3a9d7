"""``tinct plugins list``: every backend, where it came from, and every broken plugin."""

from __future__ import annotations

import argparse
import json

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
                "license": info.license,
                "weights": weights.state,
                "weights_error": weights.message or None,
                "devices": list(info.devices),
                "max_samples": info.max_samples,
                "capabilities": sorted(c.value for c in info.capabilities),
                "options": [{"name": o.name, "default": o.default, "minimum": o.minimum, "maximum": o.maximum,
                             "help": o.help} for o in info.params],
            }
        )
    broken = [
        {"name": f.name, "distribution": f.distribution, "stage": f.stage, "error": f.message}
        for f in sorted(host.failures, key=lambda f: f.name)
    ]
    return {"backends": backends, "broken": broken}


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
        print(f"    weights {b['weights']}; devices {', '.join(b['devices'])}; up to {b['max_samples']} sample(s)")
        if b["weights_error"]:
            print(f"    {b['weights_error']}")
        for o in b["options"]:
            print(f"    option {o['name']}={o['default']:g} ({o['minimum']:g}..{o['maximum']:g}): {o['help']}")
    for f in report["broken"]:
        print(f"BROKEN {f['name']} (from {f['distribution']}): {f['stage']} failed: {f['error']}")
    return 0
