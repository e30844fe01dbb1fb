"""Device choice, seeding and mixed precision, in one place so the loop stays device-agnostic."""
from __future__ import annotations

import contextlib
import os
import random
import time

import numpy as np
import torch

from ..errors import ConfigError


def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise ConfigError(f"unknown device {name!r}: {exc}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {name!r} requested but CUDA is not available on this machine")
    return device


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def autocast_for(device: torch.device):
    """bf16 autocast where the GPU supports it (no loss scaling needed), fp16 otherwise, nothing on CPU."""
    if device.type != "cuda":
        return contextlib.nullcontext, None
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda") if dtype == torch.float16 else None
    return (lambda: torch.autocast("cuda", dtype=dtype)), scaler


def idle_cores() -> int | None:
    """CPU cores nothing else is running on right now (at least one); None where /proc cannot say."""
    others = 0
    try:
        # A few samples a moment apart catch a process that runs most of the time but not at one instant.
        for _ in range(5):
            others = max(others, _others_running())
            time.sleep(0.002)
    except (OSError, ValueError, IndexError):  # no /proc (not Linux)
        return None
    return max(1, (os.cpu_count() or 1) - others)


def _others_running() -> int:
    """Threads of other processes running or ready to run at this instant (Linux /proc; OSError elsewhere)."""
    # /proc/loadavg's fourth field is "runnable/total" for the whole machine; this process's own runnable
    # threads (torch's workers finishing a parallel op, this very thread) are not competition.
    with open("/proc/loadavg") as stream:
        everyone = int(stream.read().split()[3].split("/")[0])
    own = 0
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/stat") as stream:
            own += stream.read().rsplit(")", 1)[1].split()[0] == "R"
    return max(everyone - own, 0)
