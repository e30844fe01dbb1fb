"""What a model is trained to do, as the training loop needs to know it: the loss, and the validation scores.

``single_label``: one class per text, softmax cross-entropy. ``multi_label``: a set of labels per text,
one sigmoid per label with binary cross-entropy; labels arrive as a 0/1 float matrix [batch, labels].
``objective_for(task, labels)`` builds the one a training set needs: the multi-label loss weights each label's
positive texts by how rare the label is (``positive_weights``).
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


def positive_weights(labels: np.ndarray) -> np.ndarray:
    """Per label, sqrt(texts without it / texts with it) in the training 0/1 matrix; 1 for a label that no
    text (or every text) has.

    With plain binary cross-entropy a rare label's few positive texts are outweighed by its thousands of
    negatives in every batch, and a model sharing one representation across labels learns the common ones
    first; multi-label sets are usually long-tailed and macro-F1 weighs every label alike. The square root
    counts a rare label's positives more without letting a handful of texts dominate the gradient, as the
    full ratio does. On GoEmotions (28 labels, 0.2-33% of texts each) the default ``ngram`` went from
    test macro-F1 0.435 to 0.463 with it and to 0.441 with the full ratio (BENCHMARKS.md).
    """
    labels = np.asarray(labels, np.float64)
    positives, count = labels.sum(0), len(labels)
    usable = (positives > 0) & (positives < count)
    weights = np.ones(labels.shape[1])
    weights[usable] = np.sqrt((count - positives[usable]) / positives[usable])
    return weights


class MultiLabel:
    """Per-label binary cross-entropy, each label's positive terms weighted by ``pos_weight`` (none: 1).

    The weighted loss is minimised by logits larger than the log-odds by log(pos_weight) (for a model that
    can fit the data), so ``logit_offsets`` gives the per-label shift that turns the trained scores back
    into probabilities of the label, for models that can apply it (``TextModel.shift_class_scores``).
    """

    name = "multi_label"

    def __init__(self, pos_weight: np.ndarray | None = None):
        self.pos_weight = None if pos_weight is None else torch.as_tensor(np.asarray(pos_weight), dtype=torch.float32)

    def logit_offsets(self) -> np.ndarray | None:
        return None if self.pos_weight is None else -np.log(self.pos_weight.numpy())

    def loss(self, logits, labels):
        weight = None if self.pos_weight is None else self.pos_weight.to(logits.device)
        return nn.functional.binary_cross_entropy_with_logits(logits, labels, pos_weight=weight)

    def exact(self, logits, labels):
        return int(((logits >= 0) == (labels > 0.5)).all(1).sum())

    def scores(self, logits, labels):
        """``accuracy`` is subset accuracy at 0.5; ``macro_f1`` is at thresholds tuned on this very split:
        the figure prediction reaches once thresholds are tuned on validation, as they are after training."""
        from ..evaluation import apply_thresholds, multilabel_report, tune_thresholds

        # The training loss (weighted as trained), so a ``loss`` monitor follows what the model optimises.
        loss = float(self.loss(torch.from_numpy(logits), torch.from_numpy(labels)))
        proba = torch.sigmoid(torch.from_numpy(logits)).numpy()
        names = [str(j) for j in range(logits.shape[1])]
        thresholds, _ = tune_thresholds(labels, proba)
        tuned = multilabel_report(labels, apply_thresholds(proba, thresholds), names)
        at_half = multilabel_report(labels, apply_thresholds(proba, np.full(len(names), 0.5)), names)
        return {"loss": loss, "accuracy": at_half["subset_accuracy"], "macro_f1": tuned["macro_f1"]}


OBJECTIVES: dict[str, Objective] = {"single_label": SingleLabel(), "multi_label": MultiLabel()}


def objective_for(task: str, labels: np.ndarray) -> Objective:
    """The objective to train on these training labels: multi-label weighs rare labels' positives up."""
    if task == "multi_label":
        return MultiLabel(positive_weights(labels))
    return OBJECTIVES[task]
