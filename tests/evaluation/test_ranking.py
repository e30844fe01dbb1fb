"""ROC and precision-recall curves and their areas: hand-computed cases, and scikit-learn's values on random data."""
import numpy as np
import pytest

from textclass.evaluation.ranking import auc, average_precision, precision_recall_curve, roc_curve


def test_a_hand_computed_case():
    truth = np.array([0, 0, 1, 1], bool)
    score = np.array([0.1, 0.4, 0.35, 0.8])
    fpr, tpr, thresholds = roc_curve(truth, score)
    assert fpr.tolist() == [0, 0, 0.5, 0.5, 1] and tpr.tolist() == [0, 0.5, 0.5, 1, 1]
    assert thresholds[0] == np.inf and thresholds[1:].tolist() == [0.8, 0.4, 0.35, 0.1]
    assert auc(fpr, tpr) == 0.75
    precision, recall, _ = precision_recall_curve(truth, score)
    assert precision.tolist() == pytest.approx([0.5, 2 / 3, 0.5, 1, 1]) and recall.tolist() == [1, 1, 0.5, 0.5, 0]
    assert average_precision(truth, score) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)


def test_tied_scores_make_one_point():
    fpr, tpr, _ = roc_curve([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5])
    assert fpr.tolist() == [0, 1] and tpr.tolist() == [0, 1] and auc(fpr, tpr) == 0.5


@pytest.mark.parametrize("truth", [[1, 1, 1], [0, 0, 0]])
def test_a_single_class_has_no_curve(truth):
    with pytest.raises(ValueError, match="both positive and negative"):
        roc_curve(truth, [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="both positive and negative"):
        average_precision(truth, [0.1, 0.2, 0.3])


def test_auc_refuses_a_falling_x():
    with pytest.raises(ValueError, match="x rising"):
        auc([1, 0.5, 0], [0, 1, 1])


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_scikit_learn(seed):
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 400))
    truth = rng.random(n) < rng.uniform(0.05, 0.95)
    truth[:2] = [True, False]
    # Coarse scores on some seeds, so ties are exercised as well as distinct values.
    score = rng.random(n).round(int(rng.integers(1, 4))) if seed % 2 else rng.random(n)
    fpr, tpr, thresholds = roc_curve(truth, score)
    sk_fpr, sk_tpr, sk_thresholds = metrics.roc_curve(truth, score)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)
    np.testing.assert_array_equal(thresholds, sk_thresholds)
    precision, recall, pr_thresholds = precision_recall_curve(truth, score)
    sk_precision, sk_recall, sk_pr_thresholds = metrics.precision_recall_curve(truth, score)
    np.testing.assert_allclose(precision, sk_precision)
    np.testing.assert_allclose(recall, sk_recall)
    np.testing.assert_array_equal(pr_thresholds, sk_pr_thresholds)
    assert auc(fpr, tpr) == pytest.approx(metrics.auc(sk_fpr, sk_tpr), abs=1e-12)
    assert auc(fpr, tpr) == pytest.approx(metrics.roc_auc_score(truth, score), abs=1e-12)
    assert average_precision(truth, score) == pytest.approx(metrics.average_precision_score(truth, score), abs=1e-12)
