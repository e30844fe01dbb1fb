"""The training loop. It knows batches, logits and labels; nothing about any particular model."""
from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..batching import EncodedSplit, iterate_batches
from .config import MONITORS, TrainingConfig
from .device import autocast_for, resolve_device, seed_everything
from .schedules import build_schedule
from .step import OptimizerStep
from .stopping import EarlyStopping

if TYPE_CHECKING:
    from ..models.base import TextModel

log = logging.getLogger("textclass.training")


@dataclass
class TrainingResult:
    history: list[dict] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False


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
                pad_id: int = 0) -> TrainingResult:
    """Trains in place; on return the model holds the weights of the best validation epoch."""
    seed_everything(cfg.seed)
    device = resolve_device(cfg.device)
    model.to(device)
    autocast, scaler = autocast_for(device)
    optimizer = model.configure_optimizer(lr=cfg.lr, weight_decay=cfg.weight_decay)
    batches_per_epoch = -(-len(train) // cfg.batch_size)
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
    result = TrainingResult()
    with _threads(model.intra_op_threads()):
        for epoch in range(1, cfg.epochs + 1):
            batches = iterate_batches(train, cfg.batch_size, model.input_format, pad_id=pad_id, rng=rng,
                                      bucket_factor=50 if cfg.length_bucketing else 1)
            row = {"epoch": epoch, **run_epoch(model, batches, stepper, autocast, device, total=len(train),
                                               desc=f"epoch {epoch}/{cfg.epochs}", progress=cfg.progress),
                   "lr": optimizer.param_groups[0]["lr"]}
            if valid is not None:
                scores = validation_scores(model, valid, cfg.batch_size, pad_id, device)
                row.update({f"valid_{k}": v for k, v in scores.items()})
            result.history.append(row)
            log.info(_epoch_line(row, cfg.epochs))
            if valid is None:
                result.best_epoch = epoch
                continue
            if not per_batch:
                scheduler.step(row[f"valid_{cfg.monitor}"])
            _, stop = stopping.update(row[f"valid_{cfg.monitor}"], row["valid_loss"], epoch=epoch, model=model)
            if stop:
                log.info("early stop: validation %s has not improved for %d epochs", cfg.monitor, stopping.stale)
                result.stopped_early = True
                break
    if stopping.restore_best(model):
        result.best_epoch = stopping.best_epoch
        log.info("kept epoch %d (validation %s %.4f)", result.best_epoch, cfg.monitor, stopping.best_value)
    return result


def run_epoch(model: nn.Module, batches, stepper: OptimizerStep, autocast, device, *, total: int, desc: str,
              progress: bool) -> dict:
    """One pass over ``batches``, stepping the optimizer; returns the epoch's training figures."""
    model.train()
    loss_fn = nn.CrossEntropyLoss()
    started, seen, loss_sum, correct = time.perf_counter(), 0, 0.0, 0
    with tqdm(total=total, desc=desc, unit="text", unit_scale=True, disable=not progress, leave=False) as bar:
        for i, (_, batch) in enumerate(batches):
            batch = batch.to(device)
            with autocast():
                logits = model(batch)
                loss = loss_fn(logits.float(), batch.labels)
            stepper.backward(loss, i)
            n = len(batch)
            seen += n
            loss_sum += loss.item() * n
            correct += int((logits.argmax(1) == batch.labels).sum())
            bar.update(n)
            bar.set_postfix(loss=f"{loss_sum / seen:.4f}", refresh=False)
    seconds = time.perf_counter() - started
    return {"train_loss": loss_sum / seen, "train_accuracy": correct / seen, "seconds": seconds,
            "texts_per_second": seen / seconds}


def _epoch_line(row: dict, epochs: int) -> str:
    line = (f"epoch {row['epoch']}/{epochs}  train loss {row['train_loss']:.4f} acc {row['train_accuracy']:.4f}")
    if "valid_loss" in row:
        line += f"  |  valid loss {row['valid_loss']:.4f} acc {row['valid_accuracy']:.4f}"
    return line + f"  |  {row['seconds']:.1f}s ({row['texts_per_second']:.0f} texts/s)"


def validation_scores(model, split: EncodedSplit, batch_size: int, pad_id: int, device) -> dict:
    from ..evaluation import classification_report  # evaluation depends on nothing here; import late

    logits = predict_logits(model, split, batch_size, pad_id=pad_id, device=device)
    loss = float(nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(split.labels)))
    report = classification_report(split.labels, logits.argmax(1), list(range(logits.shape[1])))
    return {"loss": loss, "accuracy": report["accuracy"], "macro_f1": report["macro_f1"]}


@torch.no_grad()
def predict_logits(model: nn.Module, split: EncodedSplit, batch_size: int, *, pad_id: int = 0,
                   device=None) -> np.ndarray:
    """Logits for every text of the split, in the split's order, computed in length-sorted batches."""
    device = device or next(model.parameters()).device
    autocast, _ = autocast_for(torch.device(device))
    model.eval()
    out = None
    for indices, batch in iterate_batches(split, batch_size, model.input_format, pad_id=pad_id):
        with autocast():
            logits = model(batch.to(device)).float().cpu().numpy()
        if out is None:
            out = np.empty((len(split), logits.shape[1]), dtype=np.float32)
        out[indices] = logits
    return out
