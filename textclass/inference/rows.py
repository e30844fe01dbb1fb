"""Predictions as rows of named fields: the one shape shared by the Python API, the CLI and every file format.

Fields, in order: ``label``, ``confidence``, ``empty`` (the text is empty or whitespace only: its label says
nothing about it, whatever the confidence), then with ``top_k`` ``top1_label``, ``top1_probability``, ...,
then with ``probabilities`` one ``p_<label>`` per label. ``prefix`` is put before every name, for inputs
that already have a column called ``label``.

A multi-label run (``thresholds`` given, one per label) has ``labels`` (the list of labels at or above their
thresholds, possibly empty) and ``confidences`` (each chosen label's own probability) in place of ``label``
and ``confidence``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import ConfigError


@dataclass(frozen=True)
class RowSpec:
    """Which fields a prediction row holds and how its floats are written."""

    labels: tuple[str, ...]
    top_k: int = 0
    probabilities: bool = False
    digits: int | None = None  # significant digits; None keeps every digit of the float32
    prefix: str = ""
    thresholds: tuple[float, ...] | None = None  # per label: a multi-label run

    def __post_init__(self):
        if not 0 <= self.top_k <= len(self.labels):
            raise ConfigError(f"top_k must be between 0 and the run's {len(self.labels)} labels, got {self.top_k}")
        if self.digits is not None and not 1 <= self.digits <= 17:
            raise ConfigError(f"digits must be between 1 and 17 (significant digits), got {self.digits}")

    @property
    def fields(self) -> list[str]:
        names = ["labels", "confidences", "empty"] if self.thresholds is not None else ["label", "confidence", "empty"]
        for rank in range(1, self.top_k + 1):
            names += [f"top{rank}_label", f"top{rank}_probability"]
        if self.probabilities:
            names += [f"p_{label}" for label in self.labels]
        return [self.prefix + name for name in names]

    @property
    def label_field(self) -> str:
        return self.prefix + ("labels" if self.thresholds is not None else "label")

    def rows(self, texts: Sequence[str], proba: np.ndarray) -> list[dict]:
        """One dict per text, in ``fields`` order, from ``proba`` (``[len(texts), len(labels)]``)."""
        rounded = _round(proba, self.digits)
        best = proba.argmax(1).tolist()
        order = np.argsort(-proba, axis=1, kind="stable")[:, : self.top_k].tolist() if self.top_k else None
        names = self.fields
        rows = []
        for i, text in enumerate(texts):
            p = rounded[i]
            if self.thresholds is not None:
                chosen = [j for j, threshold in enumerate(self.thresholds) if proba[i, j] >= threshold]
                values = [[self.labels[j] for j in chosen], [p[j] for j in chosen], not text.strip()]
            else:
                values = [self.labels[best[i]], p[best[i]], not text.strip()]
            if order is not None:
                for j in order[i]:
                    values += [self.labels[j], p[j]]
            if self.probabilities:
                values += p
            rows.append(dict(zip(names, values)))
        return rows


def thresholds_of(classifier) -> tuple[float, ...] | None:
    """A multi-label classifier's per-label decision thresholds; None for a single-label one."""
    return tuple(float(t) for t in classifier.thresholds_) if classifier.multi_label else None


def _round(proba: np.ndarray, digits: int | None) -> list[list[float]]:
    values = proba.astype(np.float64).tolist()
    if digits is None:
        return values
    # Significant, not decimal, digits (3e-7 keeps its magnitude instead of becoming 0); through the decimal
    # string, so that json and csv write the short form (0.9988, not 0.9988000000000001).
    spec = f".{digits}g"
    return [[float(format(v, spec)) for v in row] for row in values]


def predict_rows(classifier, texts: Sequence[str], *, top_k: int = 0, probabilities: bool = False,
                 digits: int | None = None, prefix: str = "", batch_size: int | None = None,
                 device: str | None = None) -> list[dict]:
    """Predictions for ``texts`` as rows: ``{"label", "confidence", "empty", ...}`` (see the module's doc).

    >>> predict_rows(clf, ["great film", "  "])
    [{'label': 'pos', 'confidence': 0.97, 'empty': False}, {'label': 'neg', 'confidence': 0.61, 'empty': True}]
    """
    texts = list(texts)
    spec = RowSpec(tuple(classifier.labels_), top_k, probabilities, digits, prefix, thresholds_of(classifier))
    return spec.rows(texts, classifier.predict_proba(texts, batch_size=batch_size, device=device))
