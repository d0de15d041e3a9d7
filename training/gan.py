"""What trains the ``gan`` backend besides its generator: the critic, the class teacher and the losses.

* :class:`PatchCritic`: a PatchGAN on (L, ab) with spectral norm, looking at a
  quarter of the photo's resolution, where the generator's ab lives: it judges
  whether colors are plausible, not whether the chroma is as sharp as a photo's.
* :class:`ClassTeacher`: ChromaGAN's class-distribution term. The frozen
  EfficientNet-Lite0 ImageNet classifier sees the true color photo; a linear
  head on the generator's pooled encoder feature learns to match its class
  distribution (KL), which keeps the encoder semantic.
* :class:`GANTrainingModel`: the generator, critic, class head and teacher as one
  module whose ``forward`` computes one phase's loss (so that DDP wraps it whole).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from plugins.backbones import EfficientNetLite0, load_pretrained_weights, normalize_rgb
from plugins.backends.gan.model import GANConfig, GANGenerator
from training.losses import AB_SCALE
from training.srgb import lab_to_srgb

CRITIC_STRIDE = 4  # the critic sees (L, ab) area-downsampled to the generator's own output stride


class PatchCritic(nn.Module):
    """(L, ab) at full size → a realness score per patch ``(N, 1, H/16, W/16)`` (about 90 px seen each)."""

    def __init__(self, width: int = 64):
        super().__init__()

        def conv(cin: int, cout: int, kernel: int, stride: int) -> nn.Module:
            return spectral_norm(nn.Conv2d(cin, cout, kernel, stride, padding=(kernel - 1) // 2 if stride == 1 else 1))

        self.net = nn.Sequential(
            conv(3, width, 3, 1), nn.LeakyReLU(0.2, inplace=True),
            conv(width, 2 * width, 4, 2), nn.LeakyReLU(0.2, inplace=True),
            conv(2 * width, 4 * width, 4, 2), nn.LeakyReLU(0.2, inplace=True),
            conv(4 * width, 4 * width, 3, 1), nn.LeakyReLU(0.2, inplace=True),
            conv(4 * width, 1, 3, 1),
        )

    def forward(self, lightness: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
        x = torch.cat([lightness / 50.0 - 1.0, ab / AB_SCALE], dim=1)
        return self.net(F.avg_pool2d(x, CRITIC_STRIDE, ceil_mode=True))


class ClassTeacher(nn.Module):
    """The frozen ImageNet classifier's class distribution for a true color photo."""

    def __init__(self, pretrained: bool = True):
        super().__init__()
        self.net = EfficientNetLite0(num_classes=1000)
        if pretrained:
            load_pretrained_weights(self.net)
        self.net.requires_grad_(False).eval()

    def train(self, mode: bool = True) -> "ClassTeacher":
        return super().train(False)

    @torch.no_grad()
    def forward(self, lightness: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
        rgb = lab_to_srgb(lightness.float(), ab.float())
        return torch.softmax(self.net.classify(normalize_rgb(rgb)), dim=1)


@dataclass
class GANWeights:
    """How the generator's loss adds up (pix2pix's λ = 100 on the reconstruction of the zero-noise sample)."""

    recon: float = 100.0
    recon_noisy: float = 10.0  # a weak anchor for noisy samples: the critic and the diversity term lead them
    diversity: float = 20.0
    diversity_cap: float = 0.1  # DSGAN's τ: the ab change (÷110) per unit of noise worth paying for
    classes: float = 0.003  # ChromaGAN's class-distribution weight
    critic_sees_noisy: bool = False
    """Whether the critic learns from the noisy samples too. Off: it learns real against the zero-noise
    sample only (with them, the wild noisy colors taught it that saturation is fake, and the zero-noise
    sample got duller as training went on); the noisy samples still get its verdict as the generator's loss."""


class GANTrainingModel(nn.Module):
    """``forward(L, ab, phase)``: ``"sample"`` → zero-noise ab (validation), ``"critic"`` → the critic's
    hinge loss, ``"generator"`` → the generator's loss; the parts go to ``self.parts`` for the log."""

    def __init__(self, config: GANConfig, weights: GANWeights | None = None, recon_loss=None,
                 pretrained_teacher: bool = True):
        super().__init__()
        self.config = config
        self.weights = weights or GANWeights()
        self.generator = GANGenerator(config)
        self.critic = PatchCritic()
        self.class_head = nn.Linear(EfficientNetLite0.global_channels, 1000) if self.weights.classes else None
        self.teacher = ClassTeacher(pretrained_teacher) if self.weights.classes else None
        self.recon_loss = recon_loss
        self.parts: dict[str, float] = {}

    @property
    def trunk(self):
        return self.generator.trunk

    def train(self, mode: bool = True) -> "GANTrainingModel":
        """The generator's BatchNorm statistics stay the regression's: updated in training, they
        blended the noisy samples' features into the zero-noise path's normalisation (and moved
        even while only the critic trained), which shifted sample 1's colors."""
        super().train(mode)
        for module in self.generator.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.eval()
        return self

    def forward(self, lightness: torch.Tensor, ab: torch.Tensor | None = None, phase: str = "sample"):
        if phase == "sample":
            return self.generator(lightness)
        if phase == "critic":
            return self.critic_loss(lightness, ab)
        return self.generator_loss(lightness, ab)

    def fakes(self, lightness: torch.Tensor):
        encoded = self.generator.trunk.encode(lightness)
        noise = torch.randn(self.generator.noise_shape(lightness), device=lightness.device)
        plain = self.generator.decode(encoded, lightness, None)
        noisy = self.generator.decode(encoded, lightness, noise)
        return encoded, noise, plain, noisy

    def critic_loss(self, lightness: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            _, _, plain, noisy = self.fakes(lightness)
        real = self.critic(lightness, ab)
        if self.weights.critic_sees_noisy:
            fake = self.critic(torch.cat([lightness, lightness]), torch.cat([plain, noisy]).float())
        else:
            fake = self.critic(lightness, plain.float())
        loss = F.relu(1 - real).mean() + F.relu(1 + fake).mean()
        self.parts = {"critic": loss.item(), "real": real.mean().item(), "fake": fake.mean().item()}
        return loss

    def generator_loss(self, lightness: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
        w = self.weights
        encoded, noise, plain, noisy = self.fakes(lightness)
        plain, noisy = plain.float(), noisy.float()
        adversarial = -self.critic(torch.cat([lightness, lightness]), torch.cat([plain, noisy])).mean()
        recon = self.recon_loss(plain, ab, lightness)
        recon_noisy = self.recon_loss(noisy, ab, lightness)
        spread = (noisy - plain).abs().mean() / AB_SCALE / noise.abs().mean().clamp_min(1e-6)
        loss = w.recon * recon + w.recon_noisy * recon_noisy + adversarial - w.diversity * spread.clamp(max=w.diversity_cap)
        self.parts = {"recon": recon.item(), "adv": adversarial.item(), "spread": spread.item()}
        if self.class_head is not None:
            target = self.teacher(lightness, ab)
            log_q = torch.log_softmax(self.class_head(encoded[1].float()), dim=1)
            classes = F.kl_div(log_q, target, reduction="batchmean")
            loss = loss + w.classes * classes
            self.parts["classes"] = classes.item()
        return loss
