"""Every training option, defined once: its type, default, allowed values and help text.

``TrainingConfig`` is the single source the rest derives from: ``TextClassifier`` takes each field as a keyword
argument, ``textclass train`` makes a flag of each (``batch_size`` -> ``--batch-size``), and the help text,
choices and checks come from here. Adding an option is adding a field; a model family that needs another
default says so in its ``training_defaults``.
"""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from .schedules import SCHEDULES

# Validation metric -> which direction is better. The kept epoch is the best by this metric.
MONITORS = {"accuracy": "max", "macro_f1": "max", "loss": "min"}


def option(default, help: str, *, choices: tuple | None = None, low: float | None = None, low_open: bool = False,
           high: float | None = None, high_open: bool = False, none_ok: bool = False):
    """A field with its constraints next to it (scikit-learn's declared-constraints idea, in dataclass form).

    ``low``/``high`` bound numbers, excluded themselves when ``low_open``/``high_open``; ``none_ok`` admits None.
    """
    return dataclasses.field(default=default, metadata={
        "help": help, "choices": choices, "low": low, "low_open": low_open, "high": high, "high_open": high_open,
        "none_ok": none_ok})


@dataclass
class TrainingConfig:
    epochs: int = option(5, "passes over the training data", low=1)
    batch_size: int = option(64, "texts per batch", low=1)
    lr: float = option(1e-3, "learning rate", low=0.0, low_open=True)
    weight_decay: float = option(0.0, "L2 weight decay", low=0.0)
    clip_grad_norm: float | None = option(1.0, "gradient norm clip; 0 or none disables", low=0.0, none_ok=True)
    lr_schedule: str = option("constant", "learning-rate schedule", choices=SCHEDULES)
    warmup_steps: int = option(0, "linear warm-up optimizer steps; overrides warmup_ratio when above 0", low=0)
    warmup_ratio: float = option(0.0, "share of all optimizer steps spent warming up", low=0.0, high=1.0,
                                 high_open=True)
    grad_accum_steps: int = option(1, "batches whose gradients are summed into one optimizer step (a large "
                                      "effective batch in little memory)", low=1)
    patience: int | None = option(None, "epochs without validation improvement before stopping; 0 or none trains "
                                        "every epoch", low=0, none_ok=True)
    monitor: str = option("accuracy", "validation metric that selects the kept epoch (ties go to the lower "
                                      "validation loss)", choices=tuple(MONITORS))
    valid_fraction: float = option(0.1, "share of train held out (stratified, seeded) for validation when no "
                                        "validation data is given; 0 holds out nothing", low=0.0, high=1.0,
                                   high_open=True)
    class_balance: str = option("auto", "shift decisions towards rare classes by a share of each class's log "
                                        "prior, chosen on validation: auto does so when the largest class has 3x "
                                        "the examples of the smallest and that one at least 10, on always, off "
                                        "never", choices=("auto", "on", "off"))
    seed: int = option(0, "seed for splits, sampling and initialisation")
    device: str = option("auto", "auto (CUDA when present), cpu, cuda, cuda:1 ...")
    progress: bool = option(True, "progress bars")
    length_bucketing: bool = option(True, "batch texts of similar length together (off: plain shuffled batches, "
                                           "as the tutorial makes them)")

    def __post_init__(self):
        for f in dataclasses.fields(self):
            check_option(f.name, getattr(self, f.name))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


OPTIONS: dict[str, dataclasses.Field] = {f.name: f for f in dataclasses.fields(TrainingConfig)}


def option_type(name: str) -> type:
    """The option's value type (``int`` for ``int | None``)."""
    hint = typing.get_type_hints(TrainingConfig)[name]
    return next(t for t in typing.get_args(hint) or (hint,) if t is not type(None))


def check_option(name: str, value: Any) -> None:
    """Raise ConfigError, in the option's own name, if ``value`` breaks what ``TrainingConfig`` declares."""
    meta = OPTIONS[name].metadata
    if value is None:
        if meta["none_ok"]:
            return
        raise ConfigError(f"{name} must be set, got None")
    kind = option_type(name)
    # bool is an int to Python, but epochs=True is a mistake; an int is a fine float.
    if isinstance(value, bool) != (kind is bool) or not isinstance(value, (int, float) if kind is float else kind):
        raise ConfigError(f"{name} must be {kind.__name__}, got {value!r}")
    if meta["choices"] is not None and value not in meta["choices"]:
        raise ConfigError(f"unknown {name} {value!r}; known: {', '.join(map(str, meta['choices']))}")
    low, high = meta["low"], meta["high"]
    if low is not None and (value <= low if meta["low_open"] else value < low):
        raise ConfigError(f"{name} must be {'above' if meta['low_open'] else 'at least'} {low:g}, got {value}")
    if high is not None and (value >= high if meta["high_open"] else value > high):
        raise ConfigError(f"{name} must be {'below' if meta['high_open'] else 'at most'} {high:g}, got {value}")
