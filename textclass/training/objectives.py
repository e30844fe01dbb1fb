"""What a model is trained to do, as the training loop needs to know it: the loss, and the validation scores.

``single_label``: one class per text, softmax cross-entropy. ``multi_label``: a set of labels per text,
one sigmoid per label with binary cross-entropy; labels arrive as a 0/1 float matrix [batch, labels].
"""
from __future__ import annotations

from typing import Protocol

import numpy as np
import torch
from torch import nn


class Objective(Protocol):
    name: str

    def loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Mean loss of a batch."""

    def exact(self, logits: torch.Tensor, labels: torch.Tensor) -> int:
        """Texts of the batch predicted entirely right (the training accuracy's numerator)."""

    def scores(self, logits: np.ndarray, labels: np.ndarray) -> dict:
        """``loss``, ``accuracy`` and ``macro_f1`` on a labeled split, the figures a monitor can pick from."""


class SingleLabel:
    name = "single_label"

    def loss(self, logits, labels):
        return nn.functional.cross_entropy(logits, labels)

    def exact(self, logits, labels):
        return int((logits.argmax(1) == labels).sum())

    def scores(self, logits, labels):
        from ..evaluation import classification_report  # evaluation depends on nothing here; import late

        loss = float(nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(labels)))
        report = classification_report(labels, logits.argmax(1), list(range(logits.shape[1])))
        return {"loss": loss, "accuracy": report["accuracy"], "macro_f1": report["macro_f1"]}


class MultiLabel:
    name = "multi_label"

    def loss(self, logits, labels):
        return nn.functional.binary_cross_entropy_with_logits(logits, labels)

    def exact(self, logits, labels):
        return int(((logits >= 0) == (labels > 0.5)).all(1).sum())

    def scores(self, logits, labels):
        """``accuracy`` is subset accuracy at 0.5; ``macro_f1`` is at thresholds tuned on this very split:
        the figure prediction reaches once thresholds are tuned on validation, as they are after training."""
        from ..evaluation import apply_thresholds, multilabel_report, tune_thresholds

        loss = float(nn.functional.binary_cross_entropy_with_logits(torch.from_numpy(logits),
                                                                     torch.from_numpy(labels)))
        proba = torch.sigmoid(torch.from_numpy(logits)).numpy()
        names = [str(j) for j in range(logits.shape[1])]
        thresholds, _ = tune_thresholds(labels, proba)
        tuned = multilabel_report(labels, apply_thresholds(proba, thresholds), names)
        at_half = multilabel_report(labels, apply_thresholds(proba, np.full(len(names), 0.5)), names)
        return {"loss": loss, "accuracy": at_half["subset_accuracy"], "macro_f1": tuned["macro_f1"]}


OBJECTIVES: dict[str, Objective] = {"single_label": SingleLabel(), "multi_label": MultiLabel()}
