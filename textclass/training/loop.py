"""The training loop. It knows batches, logits and labels; nothing about any particular model."""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..batching import EncodedSplit, bucketed_batches, collate, iterate_batches
from ..errors import ConfigError
from . import distributed
from .checkpoint import Checkpointer, fingerprint, restore_rng_states, rng_states
from .config import MONITORS, TrainingConfig
from .device import autocast_for, resolve_device, seed_everything
from .objectives import OBJECTIVES, Objective
from .schedules import build_schedule
from .step import OptimizerStep
from .stopping import EarlyStopping

if TYPE_CHECKING:
    from ..models.base import TextModel

log = logging.getLogger("textclass.training")

SCORES = ("loss", "accuracy", "macro_f1")  # validation figures, in the order ranks exchange them


@dataclass
class TrainingResult:
    history: list[dict] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False
    world_size: int = 1  # processes that trained together (torchrun)


@contextlib.contextmanager
def _threads(count: int | None):
    """At most ``count`` CPU threads inside the block; None leaves torch's setting alone."""
    before = torch.get_num_threads()
    if count is None or count >= before:
        yield
        return
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def train_model(model: "TextModel", train: EncodedSplit, valid: EncodedSplit | None, cfg: TrainingConfig,
                pad_id: int = 0, objective: Objective = OBJECTIVES["single_label"],
                on_epoch_end: Callable[[dict], None] | None = None,
                checkpoints: Checkpointer | None = None) -> TrainingResult:
    """Trains in place; on return the model holds the weights of the best validation epoch.

    ``objective`` (textclass.training.objectives) gives the loss and the validation scores: softmax
    cross-entropy for one label per text, per-label sigmoid cross-entropy for label sets.

    ``on_epoch_end(row)`` sees each epoch's figures (the history row, validation scores included) as soon as
    they exist; an exception it raises (a tuner pruning the trial) ends training and propagates.
    ``checkpoints`` writes the whole training state at the end of each epoch and every ``every_steps``
    optimizer steps, and, with ``resume``, continues from the newest one: the result is the same as if the
    training had never stopped. Started by torchrun as one of several processes, it trains data-parallel
    (``distributed.py``).
    """
    seed_everything(cfg.seed)
    group = distributed.current()
    world, is_main = (group.world, group.is_main) if group else (1, True)
    if group is not None:
        torch.manual_seed(cfg.seed + group.rank)  # each rank its own dropout; rank 0 draws what one process would
    device = group.device if group else resolve_device(cfg.device)
    model.to(device)
    net = group.wrap(model) if group else model
    autocast, scaler = autocast_for(device)
    optimizer = model.configure_optimizer(lr=cfg.lr, weight_decay=cfg.weight_decay)
    batches_per_epoch = -(-len(train) // (cfg.batch_size * world))  # global batches
    total_steps = -(-batches_per_epoch // cfg.grad_accum_steps) * cfg.epochs  # optimizer steps, not batches
    warmup_steps = cfg.warmup_steps or round(cfg.warmup_ratio * total_steps)
    scheduler, per_batch = build_schedule(cfg.lr_schedule, optimizer, total_steps=total_steps,
                                          warmup_steps=warmup_steps, lr=cfg.lr, mode=MONITORS[cfg.monitor])
    stepper = OptimizerStep(model, optimizer, batches_per_epoch=batches_per_epoch, accumulate=cfg.grad_accum_steps,
                            clip_grad_norm=cfg.clip_grad_norm, scaler=scaler, scheduler=scheduler if per_batch else None)
    if valid is None and (cfg.patience or cfg.lr_schedule == "plateau"):
        # Worth a warning: a model whose default relies on early stopping (the cnn) then runs its whole budget.
        log.warning("no validation data, so early stopping (patience) and the plateau schedule, which read "
                    "validation scores, are off: all %d epochs run and the last is kept", cfg.epochs)
    stopping = EarlyStopping(MONITORS[cfg.monitor], cfg.patience)
    rng = np.random.default_rng(cfg.seed)
    result = TrainingResult(world_size=world)
    if group is not None:
        log.info("distributed: %d processes (%s), each on batches of %d: global batch %d", world,
                 torch.distributed.get_backend(), cfg.batch_size, cfg.batch_size * world)
    # Where training stands: the epoch in progress, the batch-order generator at its start, optimizer steps.
    epoch, epoch_rng, progress = 1, rng.bit_generator.state, EpochProgress()

    def snapshot() -> dict:
        ranks = {}
        if group is not None:  # what differs between ranks: their random streams and running sums
            ranks = {"rank_torch_rng": group.gather(torch.get_rng_state()),
                     "rank_progress": group.gather(torch.tensor(progress.sums(), dtype=torch.float64))}
            if device.type == "cuda":
                ranks["rank_cuda_rng"] = group.gather(torch.cuda.get_rng_state(device))
        return {"identity": identity, **ranks, "epoch": epoch, "epoch_rng": epoch_rng, "progress": progress.state(),
                "rng": rng_states(), "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "scaler": None if scaler is None else scaler.state_dict(),
                "history": result.history, "stopping": stopping.state_dict(), "best_weights": stopping.best_weights}

    def save(name: str) -> None:
        state = snapshot()  # on every rank: gathering the ranks' states is collective
        if is_main:
            checkpoints.save(name, state)

    identity = None
    if checkpoints is not None:
        checkpoints.check_start()
        # Progress bars and the device do not change what is computed (up to the device's arithmetic).
        settings = {k: v for k, v in cfg.to_dict().items() if k not in ("progress", "device")}
        identity = fingerprint(settings, world, type(model).__name__,
                               {k: list(v.shape) for k, v in model.state_dict().items()}, train.ids,
                               train.ids.offsets, train.labels, *(() if valid is None else (valid.ids, valid.labels)))
        saved = checkpoints.load_latest() if checkpoints.resume else None
        if saved is not None:
            if saved["identity"] != identity:
                raise ConfigError(f"the checkpoint in {checkpoints.directory} was made by a training with other "
                                  "settings or data; run without resuming, or remove that folder")
            model.load_state_dict(saved["model"])
            optimizer.load_state_dict(saved["optimizer"])
            scheduler.load_state_dict(saved["scheduler"])
            if scaler is not None and saved["scaler"] is not None:
                scaler.load_state_dict(saved["scaler"])
            stopping.load_state_dict(saved["stopping"])
            stopping.best_weights = saved["best_weights"]
            epoch, epoch_rng, result.history = saved["epoch"], saved["epoch_rng"], saved["history"]
            progress = EpochProgress.from_state(saved["progress"])
            restore_rng_states(saved["rng"])
            if group is not None:
                torch.set_rng_state(saved["rank_torch_rng"][group.rank])
                if "rank_cuda_rng" in saved and device.type == "cuda":
                    torch.cuda.set_rng_state(saved["rank_cuda_rng"][group.rank], device)
                progress.set_sums(saved["rank_progress"][group.rank].tolist())
            log.info("resumed at epoch %d, batch %d of %d (optimizer step %d)", epoch, progress.done,
                     batches_per_epoch, progress.steps)

    def after_step() -> None:
        if checkpoints is not None and checkpoints.due(progress.steps) and progress.done < len(order):
            save(f"{progress.steps:09d}")

    with _threads(model.intra_op_threads()):
        while epoch <= cfg.epochs:
            rng.bit_generator.state = epoch_rng  # this epoch's batch order, the same whether resumed or not
            global_batches = bucketed_batches(train.ids.lengths, cfg.batch_size * world, rng,
                                              50 if cfg.length_bucketing else 1)
            order = group.shard(global_batches) if group else [(batch, len(batch)) for batch in global_batches]
            stepper.batches_per_epoch = len(order)  # a too-short last global batch may have joined another
            row = {"epoch": epoch, **run_epoch(net, train, order, stepper, autocast, device, progress, pad_id=pad_id,
                                               world=world, after_step=after_step, desc=f"epoch {epoch}/{cfg.epochs}",
                                               bar=cfg.progress and is_main, group=group, objective=objective),
                   "lr": optimizer.param_groups[0]["lr"]}
            if valid is not None:
                scores = validation_scores(model, valid, cfg.batch_size, pad_id, device, objective) if is_main else None
                if group is not None:  # one evaluation, and every rank decides on its figures
                    scores = dict(zip(SCORES, group.broadcast([scores[k] for k in SCORES] if is_main
                                                              else [0.0] * len(SCORES))))
                row.update({f"valid_{k}": v for k, v in scores.items()})
            result.history.append(row)
            log.info(_epoch_line(row, cfg.epochs))
            if on_epoch_end is not None:
                on_epoch_end(dict(row))
            epoch, epoch_rng, progress = epoch + 1, rng.bit_generator.state, EpochProgress(steps=progress.steps)
            if valid is None:
                result.best_epoch = epoch - 1
            else:
                if not per_batch:
                    scheduler.step(row[f"valid_{cfg.monitor}"])
                _, stop = stopping.update(row[f"valid_{cfg.monitor}"], row["valid_loss"], epoch=epoch - 1,
                                          model=model)
                if stop:
                    log.info("early stop: validation %s has not improved for %d epochs", cfg.monitor,
                             stopping.stale)
                    result.stopped_early = True
                    break
            if checkpoints is not None and epoch <= cfg.epochs:
                save(f"{progress.steps:09d}-epoch-end")
    if stopping.restore_best(model):
        result.best_epoch = stopping.best_epoch
        log.info("kept epoch %d (validation %s %.4f)", result.best_epoch, cfg.monitor, stopping.best_value)
    return result


@dataclass
class EpochProgress:
    """How far an epoch has got: batches done, optimizer steps so far (all epochs), running sums, seconds."""

    done: int = 0
    steps: int = 0
    seen: int = 0
    loss_sum: float = 0.0
    correct: int = 0
    seconds: float = 0.0

    def sums(self) -> list[float]:
        return [self.seen, self.loss_sum, self.correct, self.seconds]

    def set_sums(self, sums: list[float]) -> None:
        seen, self.loss_sum, correct, self.seconds = sums
        self.seen, self.correct = int(seen), int(correct)

    def state(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_state(cls, state: dict) -> "EpochProgress":
        return cls(**state)


def run_epoch(net: nn.Module, split: EncodedSplit, order: list[tuple[np.ndarray, int]], stepper: OptimizerStep,
              autocast, device, progress: EpochProgress, *, pad_id: int, world: int = 1, after_step=None,
              desc: str = "", bar: bool = True, group=None, objective: Objective = OBJECTIVES["single_label"]) -> dict:
    """The rest of one pass over ``order`` (from batch ``progress.done``), stepping the optimizer.

    ``order`` holds (indices, size of the global batch they belong to); with several processes (``world``)
    each rank's loss is scaled so that DDP's average of their gradients is the global batch's mean loss.
    ``after_step()`` runs after each optimizer step, with ``progress`` up to date. Returns the epoch's
    training figures, summed over the ranks.
    """
    net.train()
    model = net.module if group is not None else net
    started = time.perf_counter() - progress.seconds
    with tqdm(total=sum(len(indices) for indices, _ in order), initial=progress.seen, desc=desc, unit="text",
              unit_scale=True, disable=not bar, leave=False) as shown:
        for i in range(progress.done, len(order)):
            indices, global_size = order[i]
            batch = collate(split, indices, model.input_format, pad_id, model.width_multiple).to(device)
            with autocast():
                if group is None:  # the family's own objective (sampled softmax over many classes)
                    loss, exact = model.training_loss(batch, objective)
                else:  # DDP reduces gradients only through its wrapper's forward pass
                    logits = net(batch)
                    loss, exact = objective.loss(logits.float(), batch.labels), objective.exact(logits, batch.labels)
            loss_total = loss.item() * len(batch)
            if world > 1:  # this rank's share of the global batch's mean, times world: DDP divides by it
                loss = loss * (len(batch) * world / global_size)
            stepped = stepper.backward(loss, i)
            n = len(batch)
            progress.done, progress.seen = i + 1, progress.seen + n
            progress.loss_sum += loss_total
            progress.correct += exact
            shown.update(n)
            shown.set_postfix(loss=f"{progress.loss_sum / progress.seen:.4f}", refresh=False)
            if stepped:
                progress.steps += 1
                progress.seconds = time.perf_counter() - started
                if after_step is not None:
                    after_step()
    seconds = time.perf_counter() - started
    seen, loss_sum, correct = progress.seen, progress.loss_sum, progress.correct
    if group is not None:
        seen, loss_sum, correct = group.sum([seen, loss_sum, correct])
    return {"train_loss": loss_sum / seen, "train_accuracy": correct / seen, "seconds": seconds,
            "texts_per_second": seen / seconds}


def _epoch_line(row: dict, epochs: int) -> str:
    line = (f"epoch {row['epoch']}/{epochs}  train loss {row['train_loss']:.4f} acc {row['train_accuracy']:.4f}")
    if "valid_loss" in row:
        line += f"  |  valid loss {row['valid_loss']:.4f} acc {row['valid_accuracy']:.4f}"
    return line + f"  |  {row['seconds']:.1f}s ({row['texts_per_second']:.0f} texts/s)"


def validation_scores(model, split: EncodedSplit, batch_size: int, pad_id: int, device,
                      objective: Objective = OBJECTIVES["single_label"]) -> dict:
    logits = predict_logits(model, split, batch_size, pad_id=pad_id, device=device)
    return objective.scores(logits, split.labels)


@torch.no_grad()
def _logit_batches(model: nn.Module, split: EncodedSplit, batch_size: int, pad_id: int, device):
    """(indices into the split, float32 CPU logits) per length-sorted batch."""
    device = device or next(model.parameters()).device
    autocast, _ = autocast_for(torch.device(device))
    model.eval()
    for indices, batch in iterate_batches(split, batch_size, model.input_format, pad_id=pad_id,
                                          width_multiple=model.width_multiple):
        with autocast():
            yield indices, model(batch.to(device)).float().cpu()


def predict_logits(model: nn.Module, split: EncodedSplit, batch_size: int, *, pad_id: int = 0,
                   device=None) -> np.ndarray:
    """Logits for every text of the split, in the split's order, computed in length-sorted batches."""
    out = None
    with _threads(model.inference_threads()):
        for indices, logits in _logit_batches(model, split, batch_size, pad_id, device):
            if out is None:
                out = np.empty((len(split), logits.shape[1]), dtype=np.float32)
            out[indices] = logits.numpy()
    return out
