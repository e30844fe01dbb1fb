"""Learning-rate schedules by name. Step-based ones are stepped after every optimizer step;
``plateau`` is stepped once per epoch with the monitored validation value."""
from __future__ import annotations

import math

from torch.optim import lr_scheduler

from ..errors import ConfigError

SCHEDULES = ("constant", "linear", "cosine", "onecycle", "plateau")


def build_schedule(name: str, optimizer, *, total_steps: int, warmup_steps: int = 0, lr: float, mode: str = "max"):
    """Returns (scheduler, steps_per_batch). ``steps_per_batch`` False means step it per epoch (plateau)."""
    if name not in SCHEDULES:
        raise ConfigError(f"unknown lr schedule {name!r}; known: {', '.join(SCHEDULES)}")
    # Linear and cosine need steps left to decay over; one-cycle needs a step after its peak.
    room = {"linear": total_steps, "cosine": total_steps, "onecycle": total_steps - 1}.get(name)
    if warmup_steps < 0:
        raise ConfigError(f"warmup_steps must be >= 0, got {warmup_steps}")
    if warmup_steps and room is not None and warmup_steps >= room:
        raise ConfigError(f"warmup_steps={warmup_steps} must be below {room} for the {name} schedule "
                          f"({total_steps} training steps)")
    if name == "plateau":
        return lr_scheduler.ReduceLROnPlateau(optimizer, mode=mode, factor=0.5, patience=1), False
    if name == "onecycle":
        # The rise ends at the peak, reached at step ``warmup_steps``; without one, OneCycle's own 30% rise.
        pct_start = (warmup_steps + 1) / total_steps if warmup_steps else 0.3
        return lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=max(total_steps, 1),
                                       pct_start=pct_start), True

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        if name == "constant":
            return 1.0
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        progress = min(progress, 1.0)
        if name == "linear":
            return 1.0 - progress
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    return lr_scheduler.LambdaLR(optimizer, factor), True
