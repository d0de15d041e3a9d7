"""``tinct models add FILE``: a weights file a plugin declares, checked and copied into the user models folder."""

from __future__ import annotations

import argparse

from desktop.model_install import add_model


def run_models(args: argparse.Namespace) -> int:
    report = add_model(args.file)
    backends = ", ".join(report.backends)
    if report.already_there:
        print(f"{report.path.name} is already in place at {report.path} (for {backends})")
    else:
        print(f"added {report.path.name} for {backends}: {report.path}")
    return 0
