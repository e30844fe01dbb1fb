"""The training loop. It knows batches, logits and labels; nothing about any particular model."""
from __future__ import annotations

import functools
import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..batching import EncodedSplit, bucketed_batches, collate, iterate_batches
from ..errors import ConfigError
from . import distributed
from .checkpoint import Checkpointer, fingerprint, restore_rng_states, rng_states
from .device import autocast_for, resolve_device, seed_everything
from .schedules import SCHEDULES, build_schedule

log = logging.getLogger("textclass.training")

MONITORS = {"accuracy": "max", "macro_f1": "max", "loss": "min"}
SCORES = ("loss", "accuracy", "macro_f1")  # validation figures, in the order ranks exchange them


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
    world_size: int = 1  # processes that trained together (torchrun)


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
                pad_id: int = 0, on_epoch_end: Callable[[dict], None] | None = None,
                checkpoints: Checkpointer | None = None) -> TrainingResult:
    """Trains in place; on return the model holds the weights of the best validation epoch.

    ``on_epoch_end(row)`` sees each epoch's figures (the history row, validation scores included) as soon as
    they exist; an exception it raises (a tuner pruning the trial) ends training and propagates.
    ``checkpoints`` writes the whole training state at the end of each epoch and every ``every_steps``
    optimizer steps, and, with ``resume``, continues from the newest one: the result is the same as if the
    training had never stopped.
    """
    seed_everything(cfg.seed)
    group = distributed.current()  # set when torchrun started this process as one of several
    world, is_main = (group.world, group.is_main) if group else (1, True)
    if group is not None:
        torch.manual_seed(cfg.seed + group.rank)  # each rank its own dropout; rank 0 draws what one process would
    device = group.device if group else resolve_device(cfg.device)
    model.to(device)
    net = group.wrap(model) if group else model
    autocast, scaler = autocast_for(device)
    optimizer = _optimizer(model, cfg)
    batches_per_epoch = -(-len(train) // (cfg.batch_size * world))  # global batches
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
    result, best_value, best_state, stale = TrainingResult(world_size=world), None, None, 0
    if group is not None:
        log.info("distributed: %d processes (%s), each on batches of %d: global batch %d", world,
                 torch.distributed.get_backend(), cfg.batch_size, cfg.batch_size * world)
    # Where the loop stands: the epoch in progress, batches of it done, optimizer steps so far, its running sums.
    epoch, done, step, totals = 1, 0, 0, {"seen": 0, "loss_sum": 0.0, "correct": 0, "seconds": 0.0}
    # Progress bars and the device do not change what is computed (up to the device's arithmetic).
    settings = {k: v for k, v in cfg.to_dict().items() if k not in ("progress", "device")}
    identity = None if checkpoints is None else fingerprint(  # hashing the data costs time: only when needed
        settings, world, type(model).__name__, {k: list(v.shape) for k, v in model.state_dict().items()},
        train.ids.values, train.ids.offsets, train.labels, *(() if valid is None else (valid.ids.values, valid.labels)))
    epoch_rng = rng.bit_generator.state

    def snapshot() -> dict:
        if group is not None:  # what differs between ranks: their random streams and running sums
            own = [totals["seen"], totals["loss_sum"], totals["correct"], totals["seconds"]]
            ranks = {"rank_torch_rng": group.gather(torch.get_rng_state()),
                     "rank_totals": group.gather(torch.tensor(own, dtype=torch.float64))}
            if device.type == "cuda":
                ranks["rank_cuda_rng"] = group.gather(torch.cuda.get_rng_state(device))
        else:
            ranks = {}
        return {"identity": identity, **ranks, "epoch": epoch, "done": done, "step": step, "totals": dict(totals),
                "epoch_rng": epoch_rng, "rng": rng_states(), "model": model.state_dict(),
                "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                "scaler": None if scaler is None else scaler.state_dict(), "history": result.history,
                "best_epoch": result.best_epoch, "best_value": best_value, "best_state": best_state, "stale": stale}

    if checkpoints is not None:
        checkpoints.check_start()
    saved = checkpoints.load_latest() if checkpoints is not None and checkpoints.resume else None
    if saved is not None:
        if saved["identity"] != identity:
            raise ConfigError(f"the checkpoint in {checkpoints.directory} was made by a training with other "
                              "settings or data; run without resuming, or remove that folder")
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        if scaler is not None and saved["scaler"] is not None:
            scaler.load_state_dict(saved["scaler"])
        epoch, done, step, totals, epoch_rng = (saved[k] for k in ("epoch", "done", "step", "totals", "epoch_rng"))
        result.history, result.best_epoch = saved["history"], saved["best_epoch"]
        best_value, best_state, stale = saved["best_value"], saved["best_state"], saved["stale"]
        restore_rng_states(saved["rng"])
        if group is not None:
            torch.set_rng_state(saved["rank_torch_rng"][group.rank])
            if "rank_cuda_rng" in saved and device.type == "cuda":
                torch.cuda.set_rng_state(saved["rank_cuda_rng"][group.rank], device)
            seen, loss_sum, correct, seconds = saved["rank_totals"][group.rank].tolist()
            totals = {"seen": int(seen), "loss_sum": loss_sum, "correct": int(correct), "seconds": seconds}
        log.info("resumed at epoch %d, batch %d of %d (optimizer step %d)", epoch, done, batches_per_epoch, step)

    while epoch <= cfg.epochs:
        model.train()
        rng.bit_generator.state = epoch_rng  # this epoch's batch order, the same whether resumed or not
        global_batches = bucketed_batches(train.ids.lengths, cfg.batch_size * world, rng,
                                          50 if cfg.length_bucketing else 1)
        order = group.shard(global_batches) if group else [(batch, len(batch)) for batch in global_batches]
        started = time.perf_counter() - totals["seconds"]
        bar = tqdm(total=len(train), initial=totals["seen"], desc=f"epoch {epoch}/{cfg.epochs}", unit="text",
                   unit_scale=True, disable=not (cfg.progress and is_main), leave=False)
        for i in range(done, len(order)):
            indices, global_size = order[i]
            batch = collate(train, indices, model.input_format, pad_id).to(device)
            with autocast():
                logits = net(batch)
                if group is None:
                    loss = loss_fn(logits.float(), batch.labels)
                    loss_total = loss.item() * len(batch)
                else:  # DDP averages the ranks' gradients: scaled so, that average is the global batch's mean
                    summed = nn.functional.cross_entropy(logits.float(), batch.labels, reduction="sum")
                    loss, loss_total = summed * (world / global_size), summed.item()
            # Each step averages over its batches; an epoch's last group may hold fewer than grad_accum_steps.
            group_start = i - i % cfg.grad_accum_steps
            accumulated = min(cfg.grad_accum_steps, len(order) - group_start)
            (scaler.scale(loss / accumulated) if scaler is not None else loss / accumulated).backward()
            n = len(batch)
            totals["seen"] += n
            totals["loss_sum"] += loss_total
            totals["correct"] += int((logits.argmax(1) == batch.labels).sum())
            bar.update(n)
            bar.set_postfix(loss=f"{totals['loss_sum'] / totals['seen']:.4f}", refresh=False)
            if i + 1 == group_start + accumulated:
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
                step += 1
                if checkpoints is not None and checkpoints.due(step) and i + 1 < len(order):
                    done, totals["seconds"] = i + 1, time.perf_counter() - started
                    state = snapshot()  # on every rank: gathering the ranks' states is collective
                    if is_main:
                        checkpoints.save(f"{step:09d}", state)
        bar.close()
        seconds = time.perf_counter() - started
        seen, loss_sum, correct = totals["seen"], totals["loss_sum"], totals["correct"]
        if group is not None:
            seen, loss_sum, correct = group.sum([seen, loss_sum, correct])
        row = {"epoch": epoch, "train_loss": loss_sum / seen, "train_accuracy": correct / seen,
               "seconds": seconds, "texts_per_second": seen / seconds, "lr": optimizer.param_groups[0]["lr"]}
        if valid is not None:
            scores = validation_scores(model, valid, cfg, pad_id, device) if is_main else dict.fromkeys(SCORES, 0.0)
            if group is not None:  # one evaluation, and every rank decides on its figures
                scores = dict(zip(SCORES, group.broadcast([scores[k] for k in SCORES])))
            row.update({f"valid_{k}": v for k, v in scores.items()})
        result.history.append(row)
        log.info(_epoch_line(row, cfg.epochs))
        if on_epoch_end is not None:
            on_epoch_end(dict(row))

        epoch, done, totals = epoch + 1, 0, {"seen": 0, "loss_sum": 0.0, "correct": 0, "seconds": 0.0}
        epoch_rng = rng.bit_generator.state
        if valid is None:
            result.best_epoch = epoch - 1
        else:
            value = row[f"valid_{cfg.monitor}"]
            if not per_batch:
                scheduler.step(value)
            if best_value is None or _better(value, best_value, MONITORS[cfg.monitor]):
                best_value, result.best_epoch, stale = value, epoch - 1, 0
                best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
            else:
                stale += 1
                if cfg.patience and stale >= cfg.patience:
                    log.info("early stop: validation %s has not improved for %d epochs", cfg.monitor, stale)
                    result.stopped_early = True
                    break
        if checkpoints is not None and epoch <= cfg.epochs:
            state = snapshot()
            if is_main:
                checkpoints.save(f"{step:09d}-epoch-end", state)

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
