"""What ``training train`` does differently per backend: model classes, setup, loss, decoding.

A task is made once per run, after the resumed run's arguments are restored and
before ``run_args`` are recorded, so whatever it settles in ``args`` (the loss,
the prior's file) is saved with the checkpoint and reused on ``--resume``.

* ``loss(pred, ab)``: the model's output and the full-resolution target ab
  ``(N, 2, H, W)`` → a scalar.
* ``decode(pred, size)``: the model's output → ab ``(N, 2, *size)`` in Lab units,
  for validation scores and sample grids.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch

from plugins.backends.cic.model import CICConfig, CICModel
from plugins.backends.regression.model import RegressionConfig, RegressionModel
from training.losses import LOSSES, rebalanced_cross_entropy

log = logging.getLogger(__name__)


class RegressionTask:
    """ab regression: the model already outputs full-resolution ab; the loss is ``--loss`` (default blurred)."""

    config_cls, model_cls = RegressionConfig, RegressionModel

    def __init__(self, args, main_proc: bool = True):
        args.loss = args.loss or "blurred"
        self.loss_fn = LOSSES[args.loss]

    def init_model(self, model: RegressionModel) -> None:
        pass

    def loss(self, pred: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
        return self.loss_fn(pred, ab)

    def decode(self, pred: torch.Tensor, size) -> torch.Tensor:
        return pred


class CICTask:
    """Classification over ab bins with the class-rebalanced cross-entropy.

    The prior is ``--prior``, or computed from ``--data`` at the start and saved as
    RUN_DIR/prior.npz (whose path then goes into the run's arguments).
    """

    config_cls, model_cls = CICConfig, CICModel
    temperature = 0.38  # annealed mean for validation, as the plugin's first sample

    def __init__(self, args, main_proc: bool = True):
        from training.prior import compute_prior, load_prior, save_prior

        if args.loss:
            raise SystemExit("error: --loss is for the regression backend; cic uses the rebalanced cross-entropy")
        if args.prior:
            prior = load_prior(args.prior)
        else:
            log.info("no --prior: computing the color prior from %s", args.data)
            prior = compute_prior(args.data)
            args.prior = str(Path(args.out) / "prior.npz")
            if main_proc:
                save_prior(args.prior, prior)
        self.probs = torch.from_numpy(prior["probs"]).float()
        self.weights = torch.from_numpy(prior["weights"]).float()

    @torch.no_grad()
    def init_model(self, model: CICModel) -> None:
        """Start from the best constant answer under the rebalanced loss: logits ∝ log(p·w)."""
        target = self.probs * self.weights
        model.trunk.decoder.head.bias.copy_(torch.log(target / target.sum() + 1e-6))

    def loss(self, pred: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
        return rebalanced_cross_entropy(pred, ab, self.weights)

    def decode(self, pred: torch.Tensor, size) -> torch.Tensor:
        from plugins.backends.cic.bins import annealed_mean
        from plugins.backends.cic.model import upsample_ab

        return upsample_ab(annealed_mean(pred.float(), self.temperature), size)


TASKS = {"regression": RegressionTask, "cic": CICTask}
