"""Search-space declarations: what a model family's ``search_space`` lists, without depending on a tuner.

Each range knows how to ask a trial for a value (``suggest(trial, name)``, the method names of an Optuna
trial), so a model module can declare its ranges while Optuna stays an optional extra.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class Range(Protocol):
    def suggest(self, trial, name: str) -> Any: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class IntRange:
    low: int
    high: int
    log: bool = False

    def suggest(self, trial, name: str) -> int:
        return trial.suggest_int(name, self.low, self.high, log=self.log)

    def describe(self) -> str:
        return f"int {self.low}..{self.high}{' (log)' if self.log else ''}"


@dataclass(frozen=True)
class FloatRange:
    low: float
    high: float
    log: bool = False

    def suggest(self, trial, name: str) -> float:
        return trial.suggest_float(name, self.low, self.high, log=self.log)

    def describe(self) -> str:
        return f"float {self.low:g}..{self.high:g}{' (log)' if self.log else ''}"


@dataclass(frozen=True)
class Choice:
    options: tuple

    def suggest(self, trial, name: str):
        return trial.suggest_categorical(name, list(self.options))

    def describe(self) -> str:
        return "one of " + ", ".join(map(str, self.options))
