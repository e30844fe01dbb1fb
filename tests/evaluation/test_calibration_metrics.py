import numpy as np
import pytest

from textclass.evaluation.calibration_metrics import brier, coverage_curve, ece, nll, reliability_bins


def test_values_on_a_hand_computed_example():
    proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]])
    labels = np.array([0, 1, 1])
    assert nll(proba, labels) == pytest.approx(-(np.log(0.9) + np.log(0.4) + np.log(0.8)) / 3)
    assert brier(proba, labels) == pytest.approx((0.02 + 0.72 + 0.08) / 3)
    # Bins: 0.9 -> (0.8667, 0.9333] right; 0.6 -> (0.6, 0.6667]... 0.6 sits at a bin edge and goes to the lower bin.
    rows = [row for row in reliability_bins(proba, labels) if row["count"]]
    assert [row["count"] for row in rows] == [1, 1, 1]
    assert ece(proba, labels) == pytest.approx((0.1 + 0.6 + 0.2) / 3)


def test_ece_is_near_zero_when_confidences_match_hit_rates():
    rng = np.random.default_rng(0)
    confidence = rng.uniform(0.5, 1.0, 20000)
    correct = rng.uniform(size=confidence.size) < confidence
    proba = np.stack([confidence, 1 - confidence], 1)
    labels = np.where(correct, 0, 1)
    assert ece(proba, labels) < 0.02
    assert ece(np.stack([np.full(20000, 0.99), np.full(20000, 0.01)], 1), labels) > 0.15


def test_coverage_curve_answers_fewer_texts_more_accurately():
    confidence = np.array([0.95, 0.9, 0.7, 0.55])
    correct = np.array([True, True, False, False])
    rows = {row["abstain_below"]: row for row in coverage_curve(confidence, correct, floors=(0.0, 0.6, 0.9, 0.99))}
    assert rows[0.0]["coverage"] == 1.0 and rows[0.0]["accuracy"] == 0.5
    assert rows[0.6]["coverage"] == 0.75 and rows[0.6]["accuracy"] == pytest.approx(2 / 3)
    assert rows[0.9]["accuracy"] == 1.0
    assert rows[0.99]["answered"] == 0 and rows[0.99]["accuracy"] is None
