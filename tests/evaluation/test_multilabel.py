"""Multi-label metrics against hand-computed values and scikit-learn, and their text report."""
import numpy as np
import pytest
from sklearn import metrics as sk

from textclass.evaluation import format_report, multilabel_report

LABELS = ["a", "b", "c"]
# Four texts. a: tp 2, fp 1, fn 0. b: tp 1, fp 0, fn 1. c: never true, never predicted.
TRUE = np.array([[1, 1, 0], [1, 0, 0], [0, 1, 0], [0, 0, 0]])
PRED = np.array([[1, 1, 0], [1, 0, 0], [1, 0, 0], [0, 0, 0]])


def test_hand_computed_values():
    r = multilabel_report(TRUE, PRED, LABELS, loss=0.25)
    assert r["task"] == "multi_label" and r["n"] == 4 and r["loss"] == 0.25
    assert r["per_class"]["a"] == {"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2, "predicted": 3}
    assert r["per_class"]["b"] == {"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2, "predicted": 1}
    assert r["per_class"]["c"]["f1"] == 0.0 and r["undefined_precision"] == ["c"]
    assert r["macro_f1"] == pytest.approx((0.8 + 2 / 3 + 0) / 3)
    assert r["micro_precision"] == 3 / 4 and r["micro_recall"] == 3 / 4 and r["micro_f1"] == 3 / 4
    # Texts: perfect, perfect, {b} vs {a} (0), nothing vs nothing (right: 1).
    assert r["samples_f1"] == pytest.approx(3 / 4)
    assert r["hamming_loss"] == pytest.approx(2 / 12)
    assert r["subset_accuracy"] == 3 / 4
    assert r["label_cardinality"] == 1.0 and r["predicted_cardinality"] == 1.0


def test_agrees_with_scikit_learn_on_random_data():
    rng = np.random.default_rng(0)
    true = (rng.random((200, 6)) < [0.5, 0.3, 0.1, 0.05, 0.02, 0.0]).astype(int)
    pred = (rng.random((200, 6)) < [0.4, 0.3, 0.2, 0.0, 0.05, 0.01]).astype(int)
    r = multilabel_report(true, pred, list("uvwxyz"))
    for average in ("micro", "macro"):
        assert r[f"{average}_f1"] == pytest.approx(sk.f1_score(true, pred, average=average, zero_division=0))
        assert r[f"{average}_precision"] == pytest.approx(
            sk.precision_score(true, pred, average=average, zero_division=0))
        assert r[f"{average}_recall"] == pytest.approx(sk.recall_score(true, pred, average=average, zero_division=0))
    assert r["samples_f1"] == pytest.approx(sk.f1_score(true, pred, average="samples", zero_division=1))
    assert r["hamming_loss"] == pytest.approx(sk.hamming_loss(true, pred))
    assert r["subset_accuracy"] == pytest.approx(sk.accuracy_score(true, pred))
    per_label = sk.f1_score(true, pred, average=None, zero_division=0)
    assert [r["per_class"][label]["f1"] for label in "uvwxyz"] == pytest.approx(per_label)


@pytest.mark.parametrize("pred, message", [(np.full((4, 3), 0.7), "0/1"), (np.zeros((4, 2)), "shape")])
def test_probabilities_or_wrong_shapes_are_refused(pred, message):
    with pytest.raises(ValueError, match=message):
        multilabel_report(TRUE, pred, LABELS)


def test_text_report_shows_every_figure_and_thresholds():
    r = multilabel_report(TRUE, PRED, LABELS, loss=0.25, thresholds=[0.5, 0.25, 0.125])
    text = format_report(r, title="Test report")
    for phrase in ("micro F1", "macro F1", "samples F1", "subset accuracy", "Hamming loss", "labels per text",
                   "loss (BCE)", "threshold", "0.125", "Never predicted"):
        assert phrase in text
    assert "confusion" not in text.lower()
