"""Which epoch to keep, and when to stop: one small stateful object, separate from the loop that feeds it."""
from __future__ import annotations

import torch
from torch import nn


class EarlyStopping:
    """Tracks the best validation value, a copy of the weights that reached it, and epochs without gain.

    ``update(value, loss)`` after each validation: returns ``(improved, stop)``. A value equal to the best
    counts as an improvement when the validation loss is lower (accuracy often plateaus while the model keeps
    getting more sure of the right answers; the later epoch is the better-calibrated one). ``patience`` None or
    0 never stops. ``state_dict()`` holds everything but the weights, so a resumed run decides exactly as an
    uninterrupted one would.
    """

    def __init__(self, mode: str, patience: int | None = None):
        if mode not in ("max", "min"):
            raise ValueError(f"mode must be max or min, got {mode!r}")
        self.mode, self.patience = mode, patience
        self.best_value: float | None = None
        self.best_loss: float | None = None
        self.best_epoch: int | None = None
        self.stale = 0
        self.best_weights: dict[str, torch.Tensor] | None = None

    def update(self, value: float, loss: float | None = None, *, epoch: int | None = None,
               model: nn.Module | None = None) -> tuple[bool, bool]:
        improved = self._improves(value, loss)
        if improved:
            self.best_value, self.best_loss, self.best_epoch, self.stale = value, loss, epoch, 0
            if model is not None:
                self.best_weights = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        else:
            self.stale += 1
        return improved, bool(self.patience) and self.stale >= self.patience

    def _improves(self, value: float, loss: float | None) -> bool:
        if self.best_value is None:
            return True
        if value != self.best_value:
            return value > self.best_value if self.mode == "max" else value < self.best_value
        return loss is not None and self.best_loss is not None and loss < self.best_loss

    def restore_best(self, model: nn.Module) -> bool:
        """Load the best weights into ``model``; False when none were kept."""
        if self.best_weights is None:
            return False
        model.load_state_dict(self.best_weights)
        return True

    def state_dict(self) -> dict:
        return {"mode": self.mode, "patience": self.patience, "best_value": self.best_value,
                "best_loss": self.best_loss, "best_epoch": self.best_epoch, "stale": self.stale}

    def load_state_dict(self, state: dict) -> None:
        for key in ("best_value", "best_loss", "best_epoch", "stale"):
            setattr(self, key, state[key])
