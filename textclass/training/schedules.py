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
    if warmup_steps < 0 or (total_steps and warmup_steps >= total_steps and name in ("linear", "cosine")):
        raise ConfigError(f"warmup_steps={warmup_steps} must be >= 0 and below the {total_steps} training steps")
    if name == "plateau":
        return lr_scheduler.ReduceLROnPlateau(optimizer, mode=mode, factor=0.5, patience=1), False
    if name == "onecycle":
        return lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=max(total_steps, 1)), True

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
