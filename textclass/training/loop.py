"""The training loop. It knows batches, logits and labels; nothing about any particular model."""
from __future__ import annotations

import functools
import logging
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..batching import EncodedSplit, iterate_batches
from ..errors import ConfigError
from .device import autocast_for, resolve_device, seed_everything
from .schedules import SCHEDULES, build_schedule

log = logging.getLogger("textclass.training")

MONITORS = {"accuracy": "max", "macro_f1": "max", "loss": "min"}


@dataclass
class TrainingConfig:
    epochs: int = 5
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    clip_grad_norm: float | None = 1.0
    lr_schedule: str = "constant"
    warmup_steps: int = 0
    warmup_ratio: float = 0.0  # share of all optimizer steps spent warming up; warmup_steps > 0 overrides it
    grad_accum_steps: int = 1  # batches whose gradients are summed into one optimizer step
    patience: int | None = None  # epochs without improvement before stopping; None or 0 trains every epoch
    monitor: str = "accuracy"  # validation metric that picks the kept epoch
    seed: int = 0
    device: str = "auto"
    progress: bool = True
    length_bucketing: bool = True  # False: plain shuffled batches, as the tutorial makes them

    def __post_init__(self):
        if self.monitor not in MONITORS:
            raise ConfigError(f"unknown monitor {self.monitor!r}; known: {', '.join(MONITORS)}")
        for name in ("epochs", "batch_size", "grad_accum_steps"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.lr <= 0:
            raise ConfigError(f"lr must be positive, got {self.lr}")
        if not 0 <= self.warmup_ratio < 1:
            raise ConfigError(f"warmup_ratio must be in [0, 1), got {self.warmup_ratio}")
        if self.lr_schedule not in SCHEDULES:
            raise ConfigError(f"unknown lr schedule {self.lr_schedule!r}; known: {', '.join(SCHEDULES)}")
        if self.warmup_steps < 0:
            raise ConfigError(f"warmup_steps must be >= 0, got {self.warmup_steps}")
        if self.patience is not None and self.patience < 0:
            raise ConfigError(f"patience must be >= 0 epochs (0 or None: no early stopping), got {self.patience}")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainingResult:
    history: list[dict] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False


def _optimizer(model: nn.Module, cfg: TrainingConfig):
    # A model with special needs (sparse embeddings, parameter groups) says so; the rest get Adam.
    if hasattr(model, "configure_optimizer"):
        return model.configure_optimizer(lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)


def _model_threads(fn):
    """Runs ``fn(model, ...)`` with at most the model's ``intra_op_threads`` CPU threads, when it names a number.

    A model made of many small ops (sparse bag lookups of a few thousand rows) loses more to synchronising
    threads inside each op than they give it, and far more on a busy machine.
    """

    @functools.wraps(fn)
    def run(model, *args, **kwargs):
        wanted, before = getattr(model, "intra_op_threads", None), torch.get_num_threads()
        if wanted is None or wanted >= before:
            return fn(model, *args, **kwargs)
        torch.set_num_threads(wanted)
        try:
            return fn(model, *args, **kwargs)
        finally:
            torch.set_num_threads(before)

    return run


@_model_threads
def train_model(model: nn.Module, train: EncodedSplit, valid: EncodedSplit | None, cfg: TrainingConfig,
                pad_id: int = 0) -> TrainingResult:
    """Trains in place; on return the model holds the weights of the best validation epoch."""
    seed_everything(cfg.seed)
    device = resolve_device(cfg.device)
    model.to(device)
    autocast, scaler = autocast_for(device)
    optimizer = _optimizer(model, cfg)
    batches_per_epoch = -(-len(train) // cfg.batch_size)
    total_steps = -(-batches_per_epoch // cfg.grad_accum_steps) * cfg.epochs  # optimizer steps, not batches
    warmup_steps = cfg.warmup_steps or round(cfg.warmup_ratio * total_steps)
    scheduler, per_batch = build_schedule(cfg.lr_schedule, optimizer, total_steps=total_steps,
                                          warmup_steps=warmup_steps, lr=cfg.lr, mode=MONITORS[cfg.monitor])
    if valid is None and (cfg.patience or cfg.lr_schedule == "plateau"):
        # Worth a warning: a model whose default relies on early stopping (the cnn) then runs its whole budget.
        log.warning("no validation data, so early stopping (patience) and the plateau schedule, which read "
                    "validation scores, are off: all %d epochs run and the last is kept", cfg.epochs)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(cfg.seed)
    result, best_value, best_loss, best_state, stale = TrainingResult(), None, None, None, 0

    for epoch in range(1, cfg.epochs + 1):
        model.train()
        started, seen, loss_sum, correct = time.perf_counter(), 0, 0.0, 0
        bar = tqdm(total=len(train), desc=f"epoch {epoch}/{cfg.epochs}", unit="text", unit_scale=True,
                   disable=not cfg.progress, leave=False)
        batches = iterate_batches(train, cfg.batch_size, model.input_format, pad_id=pad_id, rng=rng,
                                  bucket_factor=50 if cfg.length_bucketing else 1)
        for i, (_, batch) in enumerate(batches):
            batch = batch.to(device)
            with autocast():
                logits = model(batch)
                loss = loss_fn(logits.float(), batch.labels)
            # Each step averages over its batches; an epoch's last group may hold fewer than grad_accum_steps.
            group_start = i - i % cfg.grad_accum_steps
            group = min(cfg.grad_accum_steps, batches_per_epoch - group_start)
            (scaler.scale(loss / group) if scaler is not None else loss / group).backward()
            if i + 1 == group_start + group:
                if scaler is not None:
                    scaler.unscale_(optimizer)
                if cfg.clip_grad_norm:
                    nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_grad_norm)
                if scaler is not None:
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                if per_batch:
                    scheduler.step()
            n = len(batch)
            seen += n
            loss_sum += loss.item() * n
            correct += int((logits.argmax(1) == batch.labels).sum())
            bar.update(n)
            bar.set_postfix(loss=f"{loss_sum / seen:.4f}", refresh=False)
        bar.close()
        seconds = time.perf_counter() - started
        row = {"epoch": epoch, "train_loss": loss_sum / seen, "train_accuracy": correct / seen,
               "seconds": seconds, "texts_per_second": seen / seconds, "lr": optimizer.param_groups[0]["lr"]}
        if valid is not None:
            row.update({f"valid_{k}": v for k, v in validation_scores(model, valid, cfg, pad_id, device).items()})
        result.history.append(row)
        log.info(_epoch_line(row, cfg.epochs))

        if valid is None:
            result.best_epoch = epoch
            continue
        value = row[f"valid_{cfg.monitor}"]
        if not per_batch:
            scheduler.step(value)
        # A tie on the monitored metric (accuracy stuck at 1.0 on a small validation set) goes to the lower
        # validation loss: the later epoch's confidences are the ones that kept improving.
        if (best_value is None or _better(value, best_value, MONITORS[cfg.monitor])
                or (value == best_value and row["valid_loss"] < best_loss)):
            best_value, best_loss, result.best_epoch, stale = value, row["valid_loss"], epoch, 0
            best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        else:
            stale += 1
            if cfg.patience and stale >= cfg.patience:
                log.info("early stop: validation %s has not improved for %d epochs", cfg.monitor, stale)
                result.stopped_early = True
                break

    if best_state is not None:
        model.load_state_dict(best_state)
        log.info("kept epoch %d (validation %s %.4f)", result.best_epoch, cfg.monitor, best_value)
    return result


def _better(value: float, best: float, mode: str) -> bool:
    return value > best if mode == "max" else value < best


def _epoch_line(row: dict, epochs: int) -> str:
    line = (f"epoch {row['epoch']}/{epochs}  train loss {row['train_loss']:.4f} acc {row['train_accuracy']:.4f}")
    if "valid_loss" in row:
        line += f"  |  valid loss {row['valid_loss']:.4f} acc {row['valid_accuracy']:.4f}"
    return line + f"  |  {row['seconds']:.1f}s ({row['texts_per_second']:.0f} texts/s)"


def validation_scores(model, split: EncodedSplit, cfg: TrainingConfig, pad_id: int, device) -> dict:
    from ..evaluation import classification_report  # evaluation depends on nothing here; import late

    logits = predict_logits(model, split, cfg.batch_size, pad_id=pad_id, device=device)
    loss = float(nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(split.labels)))
    report = classification_report(split.labels, logits.argmax(1), list(range(logits.shape[1])))
    return {"loss": loss, "accuracy": report["accuracy"], "macro_f1": report["macro_f1"]}


@_model_threads
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
