"""Data-parallel training on PyTorch's own engine: torchrun starts the processes, DDP keeps them in step.

Every process (rank) reads and encodes the whole data the same way, then trains on its shard of each global
batch: the global batches are exactly those one process would make with ``batch_size * world_size``, and rank
r takes every world_size-th text of each (texts in a batch are sorted by length, so the shards stay even).
Each rank's loss is scaled so that DDP's average of the ranks' gradients is the gradient of the global batch's
mean loss: the same step one process takes on the whole global batch. Only rank 0 validates (the scores are
broadcast, so every rank takes the same early-stopping and schedule decisions), logs and writes files.
"""
from __future__ import annotations

import datetime
import logging
import os
from dataclasses import dataclass

import numpy as np
import torch
from torch import distributed as dist
from torch import nn

from ..errors import ConfigError

log = logging.getLogger("textclass.training")

# How long a collective may wait for a rank before the job fails (a dead rank is usually noticed much sooner,
# when its sockets close; this bounds the rest).
TIMEOUT = datetime.timedelta(minutes=10)


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


@dataclass
class Distributed:
    rank: int
    world: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def shard(self, global_batches: list[np.ndarray]) -> list[tuple[np.ndarray, int]]:
        """This rank's part of each global batch, with the global batch's size (for the loss scale).

        A global batch with fewer texts than ranks (only the short last one can be) joins its neighbour, so that
        every rank has texts at every step and every text is seen exactly once per epoch.
        """
        merged: list[np.ndarray] = []
        for batch in global_batches:
            if merged and (len(batch) < self.world or len(merged[-1]) < self.world):
                merged[-1] = np.concatenate([merged[-1], batch])
            else:
                merged.append(batch)
        if merged and len(merged[-1]) < self.world:
            raise ConfigError(f"{sum(map(len, global_batches))} training texts cannot be shared by "
                              f"{self.world} processes")
        return [(batch[self.rank::self.world], len(batch)) for batch in merged]

    def wrap(self, model: nn.Module) -> nn.Module:
        if self.device.type == "cuda":
            # NCCL has no sparse all-reduce: embedding tables send dense gradients there (gloo, on CPU, keeps
            # them sparse; on this project's CPU the two measured alike, BENCHMARKS.md).
            for module in model.modules():
                if isinstance(module, (nn.Embedding, nn.EmbeddingBag)) and module.sparse:
                    module.sparse = False
                    log.info("NCCL: %s sends dense gradients (no sparse all-reduce)", type(module).__name__)
            return nn.parallel.DistributedDataParallel(model, device_ids=[self.device.index])
        return nn.parallel.DistributedDataParallel(model)

    def sum(self, values: list[float]) -> list[float]:
        tensor = torch.tensor(values, dtype=torch.float64, device=self._comm_device)
        dist.all_reduce(tensor)
        return tensor.tolist()

    def broadcast(self, values: list[float]) -> list[float]:
        """Rank 0's ``values`` on every rank (the others pass placeholders of the same length)."""
        tensor = torch.tensor(values, dtype=torch.float64, device=self._comm_device)
        dist.broadcast(tensor, src=0)
        return tensor.tolist()

    def gather(self, tensor: torch.Tensor) -> list[torch.Tensor]:
        """Every rank's ``tensor`` (same shape and dtype on each), in rank order, on every rank."""
        tensor = tensor.to(self._comm_device)
        out = [torch.empty_like(tensor) for _ in range(self.world)]
        dist.all_gather(out, tensor)
        return [t.cpu() for t in out]

    @property
    def _comm_device(self) -> torch.device:
        return self.device if self.device.type == "cuda" else torch.device("cpu")


def current() -> Distributed | None:
    """The process group this process belongs to, or None when it trains alone."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() < 2:
        return None
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    backend = dist.get_backend()
    device = torch.device("cuda", local_rank) if backend == "nccl" else torch.device("cpu")
    return Distributed(dist.get_rank(), dist.get_world_size(), local_rank, device)


def init_from_environment(device: str = "auto") -> Distributed | None:
    """Joins the process group torchrun set up (its environment variables), or returns None outside torchrun.

    NCCL when this process trains on a GPU, gloo on CPU.
    """
    if not launched_by_torchrun():
        return None
    if not dist.is_initialized():
        use_cuda = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
        if use_cuda:
            if not torch.cuda.is_available():
                raise ConfigError(f"device {device!r} requested but CUDA is not available on this machine")
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        elif device not in ("auto", "cpu"):
            raise ConfigError(f"distributed training runs on cpu or cuda, not {device!r}")
        dist.init_process_group("nccl" if use_cuda else "gloo", timeout=TIMEOUT)
    return current()


def shutdown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
