"""What ``training train`` does differently per backend: model classes, setup, loss, decoding.

A task is made once per run, after the resumed run's arguments are restored and
before ``run_args`` are recorded, so whatever it settles in ``args`` (the loss,
the prior's file) is saved with the checkpoint and reused on ``--resume``.

* ``inputs(lightness, ab)``: the model's arguments for a batch (``(lightness,)``;
  ``pixcolor`` also takes the target ab, for teacher forcing); ``train_inputs`` those of a
  training batch, when they differ; ``train_batch`` a training step's inputs and the truth its
  loss compares with (``guided``: hints simulated from the truth, which ``--recolor`` alters).
* ``loss(pred, ab, lightness)``: the model's output, the full-resolution target ab
  ``(N, 2, H, W)`` and the batch's L ``(N, 1, H, W)`` (what ``log_srgb`` needs) → a scalar.
* ``decode(pred, size)``: the model's output → ab ``(N, 2, *size)`` in Lab units,
  for validation scores and sample grids.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch

from plugins.backends.cic.model import CICConfig, CICModel
from plugins.backends.deepcolor.model import DeepColorConfig, DeepColorModel
from plugins.backends.gan.model import GANConfig
from plugins.backends.guided.model import GuidedConfig, GuidedModel
from plugins.backends.palette.model import PaletteConfig, PaletteModel
from plugins.backends.pixcolor.model import PixColorConfig, PixColorModel
from plugins.backends.regression.model import RegressionConfig, RegressionModel
from training import runs
from training.gan import GANTrainingModel, GANWeights
from training.losses import LIGHTNESS_LOSSES, LOSSES, ab_loss, photo_loss, rebalanced_cross_entropy, soft_cross_entropy

log = logging.getLogger(__name__)


class Task:
    """Defaults shared by the tasks."""

    betas = (0.9, 0.999)
    ddp_find_unused = False
    pretrained_encoder = True  # the model has an EfficientNet-Lite0 encoder that starts from ImageNet
    validate = None  # a task's own validation, ``(model, loader, device, n_samples, grid_path) -> scores``

    def wrap_dataset(self, photos, train: bool, run_dir: Path):
        """What the loader draws from: the photos' ``(L, ab)`` themselves, or pairs made from them."""
        return photos

    def init_model(self, model) -> None:
        pass

    def param_groups(self, model, args) -> list[dict]:
        """The decoder and heads at ``--lr``; the encoder's trained blocks at ``--lr`` × ``--encoder-lr-mult``."""
        enc = [p for p in model.trunk.encoder.parameters() if p.requires_grad]
        enc_ids = {id(p) for p in enc}
        rest = [p for p in model.parameters() if p.requires_grad and id(p) not in enc_ids]
        groups = [{"params": rest, "lr": args.lr}]
        if enc:
            groups.append({"params": enc, "lr": args.lr * args.encoder_lr_mult})
        return groups

    def step(self, net, lightness: torch.Tensor, ab: torch.Tensor, opt, scaler, amp: bool, step: int) -> torch.Tensor:
        """One optimizer step on a batch; returns the loss to log."""
        inputs, ab = self.train_batch(lightness, ab)
        with torch.autocast(lightness.device.type, dtype=torch.float16, enabled=amp):
            pred = net(*inputs)  # pixcolor also takes ab (teacher forcing)
        loss = self.loss(pred.float() if torch.is_tensor(pred) else pred, ab, lightness)
        loss = loss + self.penalty(net.module if hasattr(net, "module") else net)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        return loss

    def penalty(self, model) -> torch.Tensor | float:
        """A term added to the loss from what the last forward pass left on ``model`` (none by default)."""
        return 0.0

    def loss_parts(self, model) -> dict[str, float]:
        """The last step's loss terms, for the log (tasks with one term: none)."""
        return {}

    @staticmethod
    def shipped_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """What of the trained model's state goes into the shipped weights: all of it."""
        return state

    def load_init_weights(self, model, state: dict[str, torch.Tensor]) -> None:
        """``--init-from``: the weights of this same backend, every key present (strict)."""
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as error:
            raise SystemExit(f"error: --init-from does not fit this model: {str(error).splitlines()[0]}") from error

    @torch.no_grad()
    def load_other_trunk(self, model, state: dict[str, torch.Tensor]) -> None:
        """``--init-from`` another backend's weights: every trunk tensor but the output head, which differs
        between backends; the model keeps its own head (as :meth:`init_model` left it) and buffers."""
        own = model.state_dict()
        trunk = {k for k in own if k.startswith("trunk.")} - {"trunk.decoder.head.weight", "trunk.decoder.head.bias"}
        fits = {k: v for k, v in state.items() if k in trunk and v.shape == own[k].shape}
        if trunk - set(fits):
            raise SystemExit(f"error: --init-from does not fit this trunk: {len(trunk - set(fits))} of its tensors "
                             "are missing or shaped otherwise")
        model.load_state_dict({**own, **fits})
        log.info("--init-from: the trunk (%d tensors); this backend's own head starts afresh", len(fits))

    def inputs(self, lightness: torch.Tensor, ab: torch.Tensor) -> tuple:
        return (lightness,)

    def train_inputs(self, lightness: torch.Tensor, ab: torch.Tensor) -> tuple:
        return self.inputs(lightness, ab)

    def train_batch(self, lightness: torch.Tensor, ab: torch.Tensor) -> tuple[tuple, torch.Tensor]:
        """A training step's model inputs and the truth its loss compares with (the photos' own ab
        unless the task alters the truth, as ``guided --recolor`` does)."""
        return self.train_inputs(lightness, ab), ab

    def extra_validations(self) -> dict:
        """Further validation passes, name → their ``inputs``, made afresh for each validation
        (logged as ``val_extra``: ``NAME_psnr=…``); none by default."""
        return {}

    def selection_score(self, result: dict[str, float]) -> float:
        """What the best checkpoint is chosen by, from the validation's scores (extra ones as ``val_NAME_psnr``)."""
        return result["val_psnr"]


def _photo_loss(args):
    """``--loss`` with the options that shape it (regression, guided and gan)."""
    return photo_loss(args.loss, getattr(args, "colorfulness_floor", None), getattr(args, "skin_tone_weight", None))


class RegressionTask(Task):
    """ab regression: the model already outputs full-resolution ab; the loss is ``--loss`` (default blurred)."""

    config_cls, model_cls = RegressionConfig, RegressionModel

    def __init__(self, args, main_proc: bool = True):
        args.loss = args.loss or "blurred"
        self.loss_fn = _photo_loss(args)

    def loss(self, pred: torch.Tensor, ab: torch.Tensor, lightness: torch.Tensor) -> torch.Tensor:
        return self.loss_fn(pred, ab, lightness)

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
        model.class_weights.copy_(self.weights)

    @torch.no_grad()
    def load_init_weights(self, model: CICModel, state: dict[str, torch.Tensor]) -> None:
        """cic weights (every key; the class weights stay this run's), or another backend's trunk, e.g.
        ``regression``'s: it has learnt where colors go, and only its head differs from cic's."""
        if state.get("trunk.decoder.head.weight", torch.empty(0)).shape != model.trunk.decoder.head.weight.shape:
            return self.load_other_trunk(model, state)
        super().load_init_weights(model, {**state, "class_weights": model.class_weights.clone()})

    def loss(self, pred: torch.Tensor, ab: torch.Tensor, lightness: torch.Tensor) -> torch.Tensor:
        return rebalanced_cross_entropy(pred, ab, self.weights)

    def decode(self, pred: torch.Tensor, size) -> torch.Tensor:
        from plugins.backends.cic.backend import DEFAULT_REBALANCE
        from plugins.backends.cic.bins import annealed_mean
        from plugins.backends.cic.model import upsample_ab
        from plugins.backends.common.rebalance import rebalanced_logits

        logits = rebalanced_logits(pred.float(), self.weights.to(pred.device), DEFAULT_REBALANCE)
        return upsample_ab(annealed_mean(logits, self.temperature), size)


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
        self.refine_loss = ab_loss(args.loss, "pixcolor")

    @torch.no_grad()
    def init_model(self, model: PixColorModel) -> None:
        """Start from a data-free prior: a Gaussian over ab around gray (σ = 25), as photos mostly are."""
        centers = model.centers.float()
        model.pixelcnn.head[-1].bias.copy_(torch.log_softmax(-centers.square().sum(1) / (2 * 25.0**2), dim=0))

    def inputs(self, lightness: torch.Tensor, ab: torch.Tensor) -> tuple:
        return (lightness, ab)

    def loss(self, pred, ab: torch.Tensor, lightness: torch.Tensor) -> torch.Tensor:
        logits, refined = pred
        return soft_cross_entropy(logits.float(), ab) + self.REFINE_WEIGHT * self.refine_loss(refined.float(), ab)

    def decode(self, pred, size) -> torch.Tensor:
        from plugins.backends.cic.model import upsample_ab

        return upsample_ab(pred[1].float(), size)


NOISE_LR_MULT = 20.0


class GANTask(Task):
    """The ``gan`` backend, after DeOldify's NoGAN: start the generator from trained regression
    weights (``--init-from resources/models/regression.safetensors``), train the critic alone for
    ``--critic-steps``, then alternate critic and generator steps at a low learning rate
    (DeOldify: 2e-5, Adam betas (0, 0.9)). Each step trains the critic once and the generator once.
    The generator's loss: see :class:`training.gan.GANWeights`; ``--loss`` (default l1) is its reconstruction.
    Validation scores the zero-noise sample; ``--keep-checkpoints`` keeps one per validation to choose from.
    """

    config_cls = GANConfig
    betas = (0.0, 0.9)
    ddp_find_unused = True  # the critic's phase leaves the generator unused, and the other way round

    def __init__(self, args, main_proc: bool = True):
        if args.prior:
            raise SystemExit("error: --prior is for the cic backend")
        args.loss = args.loss or "l1"
        self.critic_steps = args.critic_steps
        self.critic_lr_mult = args.critic_lr_mult
        self.weights = GANWeights(recon=args.recon_weight, recon_noisy=args.noisy_recon_weight,
                                  diversity=args.diversity_weight, classes=args.class_weight,
                                  critic_sees_noisy=args.critic_sees_noisy)
        self.no_pretrained = args.no_pretrained
        self.recon = _photo_loss(args)

    def model_cls(self, config: GANConfig) -> GANTrainingModel:
        return GANTrainingModel(config, self.weights, self.recon, pretrained_teacher=not self.no_pretrained)

    def param_groups(self, model: GANTrainingModel, args) -> list[dict]:
        critic = list(model.critic.parameters())
        critic_ids = {id(p) for p in critic}
        noise = list(model.generator.noise.parameters())
        apart = critic_ids | {id(p) for p in noise}
        groups = super().param_groups(model, args)
        for group in groups:
            group["params"] = [p for p in group["params"] if id(p) not in apart]
        # Adam moves each weight by about lr per step: at the generator's low lr the noise projections
        # would take thousands of steps to matter, and the samples would stay alike.
        return groups + [{"params": critic, "lr": args.lr * self.critic_lr_mult},
                         {"params": noise, "lr": args.lr * NOISE_LR_MULT}]

    def load_init_weights(self, model: GANTrainingModel, state: dict[str, torch.Tensor]) -> None:
        """Regression weights (``trunk.*``) or shipped gan weights (``trunk.*`` and ``noise.*``) → the generator."""
        missing, unexpected = model.generator.load_state_dict(state, strict=False)
        if unexpected or any(not k.startswith("noise.") for k in missing):
            raise SystemExit("error: --init-from does not fit the gan generator: "
                             f"{len(missing)} missing, {len(unexpected)} unexpected keys")

    def step(self, net, lightness, ab, opt, scaler, amp: bool, step: int) -> torch.Tensor:
        model = net.module if hasattr(net, "module") else net
        with torch.autocast(lightness.device.type, dtype=torch.float16, enabled=amp):
            critic_loss = net(lightness, ab, "critic")
        opt.zero_grad(set_to_none=True)
        scaler.scale(critic_loss).backward()
        scaler.step(opt)
        scaler.update()
        if step < self.critic_steps:  # NoGAN's critic pretraining: the generator waits
            return critic_loss
        parts = dict(model.parts)
        with torch.autocast(lightness.device.type, dtype=torch.float16, enabled=amp):
            loss = net(lightness, ab, "generator")
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        for p in model.critic.parameters():  # the generator's step must not move the critic
            p.grad = None
        scaler.step(opt)
        scaler.update()
        model.parts = {**parts, **model.parts}
        return loss

    def loss_parts(self, model: GANTrainingModel) -> dict[str, float]:
        return model.parts

    def inputs(self, lightness: torch.Tensor, ab: torch.Tensor) -> tuple:
        return (lightness,)  # validation: the zero-noise sample

    def decode(self, pred: torch.Tensor, size) -> torch.Tensor:
        return pred

    @staticmethod
    def shipped_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The generator alone: the critic, class head and teacher only train it."""
        return {k.removeprefix("generator."): v for k, v in state.items() if k.startswith("generator.")}


class PaletteTask(Task):
    """Classification into the K colors of a k-means palette (the University of Toronto report's U-Net,
    on the shared trunk with LeakyReLU): the cross-entropy against each pixel's nearest palette color,
    its colors weighted by ``--rebalance`` (0, the report's: alike).

    The palette is ``--prior`` (``python -m training prior --palette K``); without it, the one in the
    ``--init-from`` weights, or else K = ``--palette`` colors computed from ``--data`` at the start; the
    last two are saved as RUN_DIR/palette.npz, whose path then goes into the run's arguments. It and
    the class weights are copied into the model's buffers, so the shipped weights carry them (the
    plugin's ``rebalance`` option takes the weights' effect out again, in part or all).
    """

    model_cls = PaletteModel
    top = 3  # validation decodes the top-3 average, as the plugin's first sample

    def __init__(self, args, main_proc: bool = True):
        from training.palette import class_weights, compute_palette, load_palette, save_palette

        if args.loss:
            raise SystemExit("error: --loss is for the regression backend; palette uses the cross-entropy over its colors")
        if args.prior:
            palette = load_palette(args.prior)
        else:
            if args.init_from:
                state = runs.load_init_weights(Path(args.init_from))
                if "palette" not in state or "shares" not in state:
                    raise SystemExit(f"error: --init-from {args.init_from} holds no palette: give --prior")
                palette = {"palette": state["palette"].numpy(), "shares": state["shares"].numpy(), "photos": 0}
            else:
                if args.palette < 2:
                    raise SystemExit(f"error: --palette needs at least 2 colors, not {args.palette}")
                log.info("no --prior: computing a %d-color palette from %s", args.palette, args.data)
                palette = compute_palette(args.data, args.palette)
            args.prior = str(Path(args.out) / "palette.npz")
            if main_proc:
                save_palette(args.prior, palette)
        self.palette = torch.from_numpy(palette["palette"]).float()
        self.shares = torch.from_numpy(palette["shares"]).float()
        args.palette = len(self.palette)
        self.weights = torch.from_numpy(class_weights(palette["shares"], args.rebalance))

    def config_cls(self, finetune_from: int, working_size: int) -> PaletteConfig:
        return PaletteConfig(colors=len(self.palette), finetune_from=finetune_from, working_size=working_size)

    @torch.no_grad()
    def init_model(self, model: PaletteModel) -> None:
        """The palette into the model; the head starts from the best constant answer, logits ∝ log(p·w)."""
        model.palette.copy_(self.palette)
        model.shares.copy_(self.shares)
        model.class_weights.copy_(self.weights)  # so the plugin can take the rebalancing out again
        target = self.shares * self.weights
        model.trunk.decoder.head.bias.copy_(torch.log(target / target.sum() + 1e-6))

    def load_init_weights(self, model: PaletteModel, state: dict[str, torch.Tensor]) -> None:
        if "palette" not in state:  # another backend's trunk, e.g. regression's
            return self.load_other_trunk(model, state)
        super().load_init_weights(model, state)
        if not torch.allclose(model.palette, self.palette, atol=0.05):  # fp16 weights round the palette
            raise SystemExit("error: --init-from's palette is not --prior's: train those weights on their own palette")
        with torch.no_grad():
            model.class_weights.copy_(self.weights)  # this run's --rebalance

    def loss(self, pred: torch.Tensor, ab: torch.Tensor, lightness: torch.Tensor) -> torch.Tensor:
        from training.palette import palette_cross_entropy

        return palette_cross_entropy(pred, ab, self.palette.to(pred.device), self.weights.to(pred.device))

    def decode(self, pred: torch.Tensor, size) -> torch.Tensor:
        from plugins.backends.cic.model import upsample_ab
        from plugins.backends.palette.decoding import top_k_mean

        return upsample_ab(top_k_mean(pred.float(), self.palette.to(pred.device), self.top), size)


class DeepColorTask(Task):
    """Cheng et al.'s per-pixel regression: each step trains on ``--pixels`` sampled pixels of each photo
    of the batch (:mod:`training.deepcolor`), the loss ``--loss`` (default l2, the paper's least squares)
    on their ab. The encoder is always frozen, as the paper's features are. Validation scores every
    pixel, before the plugin's edge-aware filter.
    """

    model_cls = DeepColorModel

    def __init__(self, args, main_proc: bool = True):
        if args.prior:
            raise SystemExit("error: --prior is for the cic and palette backends")
        args.loss = args.loss or "l2"
        if args.loss in ("blurred", "log_blurred", *LIGHTNESS_LOSSES):
            raise SystemExit(f"error: --loss {args.loss} compares whole photos; "
                             "deepcolor trains on scattered pixels (l1, l2, smooth_l1)")
        if args.encoder != "freeze":
            log.info("deepcolor: the encoder stays frozen (Cheng et al.'s features are fixed)")
            args.encoder = "freeze"
        if args.pixels < 1:
            raise SystemExit(f"error: --pixels is how many pixels of each photo a step trains on, not {args.pixels}")
        self.loss_fn = LOSSES[args.loss]
        self.pixels = args.pixels

    def config_cls(self, finetune_from: int, working_size: int) -> DeepColorConfig:
        return DeepColorConfig(working_size=working_size)

    def step(self, net, lightness, ab, opt, scaler, amp: bool, step: int) -> torch.Tensor:
        from training.deepcolor import ab_at, sample_pixels

        n, _, h, w = lightness.shape
        rows, cols = sample_pixels(n, h, w, self.pixels, lightness.device)
        with torch.autocast(lightness.device.type, dtype=torch.float16, enabled=amp):
            pred = net(lightness, (rows, cols))
        loss = self.loss_fn(pred.float(), ab_at(ab, rows, cols))
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        return loss

    def decode(self, pred: torch.Tensor, size) -> torch.Tensor:
        return pred


class GuidedTask(RegressionTask):
    """ideepcolor's training on the regression network with a hint branch (:mod:`plugins.backends.guided`):
    each training photo gets hints simulated from its truth (:func:`training.guided.draw_hint_patches`
    and :func:`~training.guided.paint_hints`; none for one photo in eight; with ``--recolor P`` a share
    P of them has the first hint's object recolored in the truth first, :func:`~training.guided.recolor_objects`)
    and one in four its own ab histogram as the global hint (:func:`training.guided.simulate_global_hints`);
    the loss is ``--loss`` (default blurred) as for regression.

    ``--init-from`` regression weights starts the trunk from them with the hint branch at zero (the
    model is then exactly that regression model); guided weights start all of it. Validation scores
    0 hints (``val_psnr``) and 10 hints placed as ``training eval --hints 10`` places them
    (``val_extra``'s ``hints10_psnr``); the best checkpoint is the one with the best mean of the two,
    so that neither colorizing alone nor following hints is traded away.
    """

    config_cls, model_cls = GuidedConfig, GuidedModel
    HINT_LR_MULT = 4.0  # the hint branch starts from nothing while the trunk is fine-tuned: it needs to move faster

    def __init__(self, args, main_proc: bool = True):
        if args.prior:
            raise SystemExit("error: --prior is for the cic and palette backends")
        super().__init__(args, main_proc)
        self.propagate = bool(getattr(args, "propagate", False))
        self.hint_input = bool(getattr(args, "hint_input", False))
        if self.hint_input and (getattr(args, "freeze_trunk", False) or args.encoder != "finetune" or args.finetune_from != 0):
            raise SystemExit("error: --hint-input trains the whole encoder: give --finetune-from 0, without --freeze-trunk")
        if self.hint_input and self.propagate:
            raise SystemExit("error: --hint-input and --propagate do not go together: the propagation keeps the hints "
                             "out of the trunk")
        self.placement = getattr(args, "hint_placement", None) or "centre"
        self.learned_affinity = bool(getattr(args, "learned_affinity", False))
        if self.learned_affinity and not self.propagate:
            raise SystemExit("error: --learned-affinity learns the propagation's links: give --propagate too")
        self.gate_penalty = float(getattr(args, "gate_penalty", 0.0) or 0.0)
        if self.gate_penalty and not self.learned_affinity:
            raise SystemExit("error: --gate-penalty weighs how open the learnt links are: give --learned-affinity too")
        self.spread_limit = getattr(args, "learned_spread_limit", None)
        if self.spread_limit is not None and (not self.learned_affinity or self.spread_limit <= 0):
            raise SystemExit("error: --learned-spread-limit is a positive number of ab units, with --learned-affinity")
        self.spread_hints = getattr(args, "learned_spread_hints", None)
        if self.spread_hints is not None and (self.spread_limit is None or self.spread_hints <= 0):
            raise SystemExit("error: --learned-spread-hints is a positive number of hints, with --learned-spread-limit")
        self.spread_spot = getattr(args, "learned_spread_spot", None)
        if self.spread_spot is not None and (self.spread_hints is None or not 0 < self.spread_spot < 1):
            raise SystemExit("error: --learned-spread-spot is a share of the short side (0-1), with --learned-spread-hints")
        self.recolor = float(getattr(args, "recolor", 0.0) or 0.0)
        if not 0.0 <= self.recolor <= 1.0:
            raise SystemExit(f"error: --recolor is a share of the training photos, from 0 to 1, not {self.recolor}")

    def config_cls(self, finetune_from: int, working_size: int) -> GuidedConfig:
        return GuidedConfig(finetune_from=finetune_from, working_size=working_size,
                            propagate=self.propagate, hint_input=self.hint_input,
                            learned_affinity=self.learned_affinity, learned_spread_limit=self.spread_limit,
                            learned_spread_hints=self.spread_hints, learned_spread_spot=self.spread_spot)

    def param_groups(self, model: GuidedModel, args) -> list[dict]:
        hints = list(model.hints.parameters())
        if getattr(args, "freeze_trunk", False):
            model.freeze_trunk()
            return [{"params": hints, "lr": args.lr * self.HINT_LR_MULT}]
        ids = {id(p) for p in hints}
        groups = super().param_groups(model, args)
        for group in groups:
            group["params"] = [p for p in group["params"] if id(p) not in ids]
        return groups + [{"params": hints, "lr": args.lr * self.HINT_LR_MULT}]

    def load_init_weights(self, model: GuidedModel, state: dict[str, torch.Tensor]) -> None:
        """Regression weights (``trunk.*``: the hint branch stays at zero) or guided weights (all of them)."""
        try:
            missing, unexpected = model.load_state_dict(state, strict=False)
        except RuntimeError as error:
            raise SystemExit(f"error: --init-from does not fit the guided model: {str(error).splitlines()[0]}") from error
        if unexpected or any(not k.startswith("hints.") for k in missing):
            raise SystemExit("error: --init-from does not fit the guided model: "
                             f"{len(missing)} missing, {len(unexpected)} unexpected keys")
        if missing:
            log.info("--init-from: the trunk from %d tensors; the hint branch starts at zero", len(state))

    def train_batch(self, lightness: torch.Tensor, ab: torch.Tensor) -> tuple[tuple, torch.Tensor]:
        from training.guided import draw_hint_patches, paint_hints, recolor_objects, simulate_global_hints

        n, _, height, width = ab.shape
        patches = draw_hint_patches(n, height, width, placement=self.placement)
        ab = recolor_objects(ab, patches, self.recolor)
        return (lightness, *paint_hints(ab, patches), simulate_global_hints(ab)), ab

    def penalty(self, model: GuidedModel) -> torch.Tensor | float:
        """``--gate-penalty`` × how open the learnt links are (0: all the host's, 1: all Levin's): spreading
        a hint far is then paid for, and done only where it buys color."""
        if not self.gate_penalty or model.link_openness is None:
            return 0.0
        return self.gate_penalty * model.link_openness

    def loss_parts(self, model) -> dict[str, float]:
        openness = getattr(model, "link_openness", None)
        return {} if openness is None else {"link_openness": float(openness.detach())}

    def extra_validations(self) -> dict:
        from training.guided import VALIDATION_HINTS, HintedValidation

        return {f"hints{VALIDATION_HINTS}": HintedValidation(VALIDATION_HINTS)}

    def selection_score(self, result: dict[str, float]) -> float:
        from training.guided import VALIDATION_HINTS

        return (result["val_psnr"] + result[f"val_hints{VALIDATION_HINTS}_psnr"]) / 2


class RestorerTask(Task):
    """The ``learned`` restoration step (:mod:`plugins.restore.learned_model`): photos worn on the fly
    (:mod:`training.restorer`), the squared error of the cleaned lightness against the photo faded
    alike. The loader's pairs are (worn L*, target L*) in place of (L*, ab); validation scores the
    lightness's PSNR.
    The loss is the squared error, as PSNR is: under an absolute error the 1-2 % of pixels that dust
    and scratches cover weigh no more than any others, and a first run (L1) left them unrepaired."""

    pretrained_encoder = False

    def __init__(self, args, main_proc: bool = True):
        if args.prior:
            raise SystemExit("error: --prior is for the cic and palette backends")
        from training.restorer import validate

        self.validate = validate

    @staticmethod
    def config_cls(finetune_from: int, working_size: int):
        from plugins.restore.learned_model import RestorerConfig

        return RestorerConfig(working_size=working_size)

    @staticmethod
    def model_cls(config):
        from plugins.restore.learned_model import RestorerNet

        return RestorerNet(config)

    def wrap_dataset(self, photos, train: bool, run_dir: Path):
        from training.restorer import WornPhotos, defect_bank

        return WornPhotos(photos, defect_bank(run_dir / "defects.npy") if train else None)

    def param_groups(self, model, args) -> list[dict]:
        return [{"params": [p for p in model.parameters() if p.requires_grad], "lr": args.lr}]

    def loss(self, pred: torch.Tensor, clean: torch.Tensor, worn: torch.Tensor) -> torch.Tensor:
        return ((pred - clean) / 50.0).square().mean()


TASKS = {"regression": RegressionTask, "cic": CICTask, "pixcolor": PixColorTask, "gan": GANTask,
         "palette": PaletteTask, "deepcolor": DeepColorTask, "guided": GuidedTask,
         "restorer": RestorerTask}
