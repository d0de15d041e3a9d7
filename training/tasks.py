"""What ``training train`` does differently per backend: model classes, setup, loss, decoding.

A task is made once per run, after the resumed run's arguments are restored and
before ``run_args`` are recorded, so whatever it settles in ``args`` (the loss,
the prior's file) is saved with the checkpoint and reused on ``--resume``.

* ``inputs(lightness, ab)``: the model's arguments for a batch (``(lightness,)``;
  ``pixcolor`` also takes the target ab, for teacher forcing).
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
from plugins.backends.pixcolor.model import PixColorConfig, PixColorModel
from plugins.backends.regression.model import RegressionConfig, RegressionModel
from training.losses import LOSSES, rebalanced_cross_entropy, soft_cross_entropy

log = logging.getLogger(__name__)


class Task:
    """Defaults shared by the tasks."""

    def init_model(self, model) -> None:
        pass

    def load_init_weights(self, model, state: dict[str, torch.Tensor]) -> None:
        """``--init-from``: the weights of this same backend, every key present (strict)."""
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as error:
            raise SystemExit(f"error: --init-from does not fit this model: {str(error).splitlines()[0]}") from error

    def inputs(self, lightness: torch.Tensor, ab: torch.Tensor) -> tuple:
        return (lightness,)


class RegressionTask(Task):
    """ab regression: the model already outputs full-resolution ab; the loss is ``--loss`` (default blurred)."""

    config_cls, model_cls = RegressionConfig, RegressionModel

    def __init__(self, args, main_proc: bool = True):
        args.loss = args.loss or "blurred"
        self.loss_fn = LOSSES[args.loss]

    def loss(self, pred: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
        return self.loss_fn(pred, ab)

    def decode(self, pred: torch.Tensor, size) -> torch.Tensor:
        return pred


class CICTask(Task):
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


class PixColorTask(Task):
    """PixColor: the PixelCNN's cross-entropy under teacher forcing plus the refinement's ``--loss``.

    The model takes the target ab too (teacher forcing). Loss: the cross-entropy of
    the PixelCNN's logits against the soft-encoded grid chroma (5 nearest bins,
    as ``cic``, without rebalancing: samples should follow the true color
    distribution), plus ``REFINE_WEIGHT`` × ``--loss`` (default smooth_l1) between
    the refined ab and the full-resolution target. Validation decodes the
    refinement of the teacher-forced annealed mean (the model's eval mode): a
    cheap proxy, optimistic next to real samples (``training eval`` scores those).
    """

    config_cls, model_cls = PixColorConfig, PixColorModel
    REFINE_WEIGHT = 10.0  # smooth_l1 on ab/110 is ~0.03 when the CE is ~2.5: both then pull comparably

    def __init__(self, args, main_proc: bool = True):
        if args.prior:
            raise SystemExit("error: --prior is for the cic backend; pixcolor learns the color distribution unweighted")
        args.loss = args.loss or "smooth_l1"
        self.refine_loss = LOSSES[args.loss]

    @torch.no_grad()
    def init_model(self, model: PixColorModel) -> None:
        """Start from a data-free prior: a Gaussian over ab around gray (σ = 25), as photos mostly are."""
        centers = model.centers.float()
        model.pixelcnn.head[-1].bias.copy_(torch.log_softmax(-centers.square().sum(1) / (2 * 25.0**2), dim=0))

    def inputs(self, lightness: torch.Tensor, ab: torch.Tensor) -> tuple:
        return (lightness, ab)

    def loss(self, pred, ab: torch.Tensor) -> torch.Tensor:
        logits, refined = pred
        return soft_cross_entropy(logits.float(), ab) + self.REFINE_WEIGHT * self.refine_loss(refined.float(), ab)

    def decode(self, pred, size) -> torch.Tensor:
        from plugins.backends.cic.model import upsample_ab

        return upsample_ab(pred[1].float(), size)


TASKS = {"regression": RegressionTask, "cic": CICTask, "pixcolor": PixColorTask}
