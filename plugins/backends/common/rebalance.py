"""Taking class rebalancing back out of a classifier's logits at inference (``cic``, ``palette``).

Trained with each class's pixels weighted by w (Zhang et al.'s class rebalancing), a model predicts
q ∝ w·p rather than the plain posterior p; logits − log w recover p. Keeping a fraction of the
rebalancing trades colorfulness (rare, saturated colors) against being right more often, and is
chosen on validation photos without retraining.
"""

from __future__ import annotations

import torch


def rebalanced_logits(logits: torch.Tensor, class_weights: torch.Tensor, rebalance: float) -> torch.Tensor:
    """Logits ``(N, Q, h, w)`` keeping ``rebalance`` (0..1) of the rebalancing they were trained with.

    1 keeps the trained logits (rare, saturated colors favoured); 0 removes it all (the plain
    posterior: duller, more often right).
    """
    log_w = torch.log(class_weights.float().clamp_min(1e-6)).to(logits)
    return logits - (1.0 - float(rebalance)) * log_w[None, :, None, None]
