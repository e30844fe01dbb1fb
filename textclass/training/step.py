"""One optimizer step from a group of batches: accumulation, loss scaling, clipping, per-step schedules."""
from __future__ import annotations

import torch
from torch import nn


class OptimizerStep:
    """Call ``backward(loss, i)`` for batch ``i`` of an epoch; it steps when a group of batches is complete.

    A step averages the gradients of ``accumulate`` batches; an epoch's last group may hold fewer, and is
    averaged over what it holds. With fp16 a ``GradScaler`` scales the loss; gradients are unscaled before
    clipping so the clip norm means the same with and without mixed precision.
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, *, batches_per_epoch: int,
                 accumulate: int = 1, clip_grad_norm: float | None = None, scaler=None, scheduler=None):
        self.model, self.optimizer, self.scaler, self.scheduler = model, optimizer, scaler, scheduler
        self.batches_per_epoch, self.accumulate, self.clip = batches_per_epoch, accumulate, clip_grad_norm

    def backward(self, loss: torch.Tensor, i: int) -> bool:
        """Back-propagate batch ``i``'s loss; True when this batch completed a step."""
        group_start = i - i % self.accumulate
        group = min(self.accumulate, self.batches_per_epoch - group_start)
        (self.scaler.scale(loss / group) if self.scaler is not None else loss / group).backward()
        if i + 1 != group_start + group:
            return False
        self._step()
        return True

    def _step(self) -> None:
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        if self.clip:
            nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        if self.scheduler is not None:
            self.scheduler.step()
