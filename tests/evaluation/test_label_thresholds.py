import numpy as np
import pytest

from textclass.evaluation import apply_thresholds, tune_thresholds


def test_threshold_maximises_f1_between_scores():
    # Label 0: positives score 0.3 and 0.2, negatives 0.25 and 0.1: the best cut keeps the top 3 (F1 0.8)
    # or only the top 1 (F1 0.667); keeping all four gives 0.667.
    true = np.array([[1], [1], [0], [0]])
    proba = np.array([[0.3], [0.2], [0.25], [0.1]])
    thresholds, tuned = tune_thresholds(true, proba)
    assert tuned.tolist() == [True]
    assert thresholds[0] == pytest.approx((0.2 + 0.1) / 2)
    assert apply_thresholds(proba, thresholds)[:, 0].tolist() == [1, 1, 1, 0]


def test_perfectly_separable_label_cuts_between_the_groups():
    true = np.array([[1], [1], [0]])
    thresholds, _ = tune_thresholds(true, np.array([[0.9], [0.6], [0.4]]))
    assert thresholds[0] == pytest.approx(0.5)


def test_ties_in_score_are_one_cut():
    true = np.array([[1], [0], [0]])
    thresholds, _ = tune_thresholds(true, np.array([[0.7], [0.7], [0.1]]))
    assert thresholds[0] == pytest.approx(0.4)  # both 0.7s are kept: no threshold separates them


def test_labels_without_validation_positives_fall_back():
    true = np.array([[1, 0], [0, 0], [1, 0]])
    proba = np.array([[0.8, 0.9], [0.1, 0.2], [0.7, 0.3]])
    thresholds, tuned = tune_thresholds(true, proba, fallback=0.5)
    assert tuned.tolist() == [True, False] and thresholds[1] == 0.5


def test_best_cut_of_random_data_matches_brute_force():
    rng = np.random.default_rng(1)
    true = (rng.random((300, 1)) < 0.2).astype(int)
    proba = np.clip(true * 0.2 + rng.random((300, 1)) * 0.8, 0, 1)
    thresholds, _ = tune_thresholds(true, proba)

    def f1(t):
        pred = proba[:, 0] >= t
        tp = int((pred & (true[:, 0] == 1)).sum())
        return 2 * tp / (pred.sum() + true.sum())

    allowed = [t for t in np.unique(proba) if (proba[:, 0] >= t).sum() <= 3 * true.sum()]
    assert f1(thresholds[0]) == pytest.approx(max(f1(t) for t in allowed))


def test_a_label_told_from_chance_is_not_predicted_for_every_text():
    # 10 positives among 1000 texts, all scored in the middle of the ranking (low scores: a rare label's
    # sigmoid): the best F1 keeps the top 510 texts (0.038). Capped at 3 x 10 predictions, no cut finds a
    # positive, so the label falls back to 0.5, which none of its scores reaches.
    proba = np.linspace(0.2, 0.0, 1000)[:, None]
    true = np.zeros((1000, 1), dtype=int)
    true[500:510] = 1
    thresholds, tuned = tune_thresholds(true, proba)
    assert not tuned[0] and apply_thresholds(proba, thresholds).sum() == 0
    unbounded, _ = tune_thresholds(true, proba, max_predicted_per_positive=float("inf"))
    assert apply_thresholds(proba, unbounded).sum() == 510
