import numpy as np
import pytest

from textclass import calibration
from textclass.errors import ConfigError


def sampled_task(n=4000, classes=4, scale=3.0, seed=0):
    """Labels drawn from softmax(true logits); the model reports the logits ``scale`` times too large."""
    rng = np.random.default_rng(seed)
    true_logits = rng.normal(0, 2, (n, classes))
    proba = calibration.softmax(true_logits)
    labels = np.array([rng.choice(classes, p=p) for p in proba])
    return true_logits * scale, labels


def test_fit_temperature_recovers_an_overconfident_models_scale():
    logits, labels = sampled_task(scale=3.0)
    assert calibration.fit_temperature(logits, labels) == pytest.approx(3.0, rel=0.1)


def test_fit_temperature_minimises_nll():
    logits, labels = sampled_task(scale=0.5, seed=1)
    t = calibration.fit_temperature(logits, labels)
    best = calibration.nll(logits, labels, t)
    assert best <= calibration.nll(logits, labels, 1.0)
    assert best <= min(calibration.nll(logits, labels, t * f) for f in (0.95, 1.05)) + 1e-9


def test_no_temperature_without_validation_mistakes():
    # NLL falls all the way to T -> 0 (every confidence 1): no finite temperature to fit.
    logits = np.array([[1.0, -1.0], [-1.0, 1.0]])
    assert calibration.fit_temperature(logits, np.array([0, 1])) is None
    assert calibration.fit_temperature(logits, np.array([0, 0])) is not None


def test_tune_threshold_for_f1_precision_and_recall():
    proba = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1, 0.05])
    truth = np.array([1, 1, 1, 0, 1, 0, 1, 0, 0, 0], bool)
    f1 = calibration.tune_threshold(proba, truth, "f1")
    assert f1["threshold"] == 0.3 and f1["valid_f1"] == pytest.approx(10 / 12)  # 0.6 gives 8 / 10
    precise = calibration.tune_threshold(proba, truth, "precision:1.0")
    assert precise["threshold"] == 0.8 and precise["valid_recall"] == pytest.approx(0.6) and precise["met"]
    recall = calibration.tune_threshold(proba, truth, "recall:1.0")
    assert recall["threshold"] == 0.3 and recall["valid_precision"] == pytest.approx(5 / 7)


def test_an_unreachable_floor_falls_back_to_best_f1_and_says_so():
    proba = np.array([0.9, 0.8, 0.2])
    truth = np.array([0, 1, 1], bool)
    result = calibration.tune_threshold(proba, truth, "precision:1.0")
    assert not result["met"]
    assert result["threshold"] == calibration.tune_threshold(proba, truth, "f1")["threshold"]


@pytest.mark.parametrize("bad", ["f2", "precision", "precision:1.5", "recall:0", "recall:x", "f1:0.5"])
def test_bad_objectives_are_refused(bad):
    with pytest.raises(ConfigError, match="threshold_objective"):
        calibration.ThresholdObjective.parse(bad)


def test_decide_uses_the_threshold_for_two_classes_only():
    two = np.array([[0.7, 0.3], [0.4, 0.6]])
    assert calibration.decide(two).tolist() == [0, 1]
    assert calibration.decide(two, threshold=0.25).tolist() == [1, 1]
    three = np.array([[0.2, 0.5, 0.3]])
    assert calibration.decide(three, threshold=0.1).tolist() == [1]


def test_a_miscalibrated_model_keeps_its_fitted_temperature():
    logits, labels = sampled_task(n=1000, scale=3.0)
    temperature, fitted, gain = calibration.choose_temperature(logits, labels)
    assert gain > 0 and temperature == fitted == pytest.approx(calibration.fit_temperature(logits, labels))


def test_a_calibrated_model_keeps_its_softmax_when_the_fit_does_not_generalise():
    # Labels drawn from the model's own softmax: T = 1 is right, and the T fitted on 1,000 texts differs
    # from 1 only by noise, which held-out folds do not reward.
    kept = []
    for seed in range(5):
        logits, labels = sampled_task(n=1000, scale=1.0, seed=seed)
        temperature, fitted, gain = calibration.choose_temperature(logits, labels)
        assert fitted == calibration.fit_temperature(logits, labels) != 1.0
        kept.append(temperature == 1.0)
        assert (temperature == 1.0) == (gain <= 0)
    assert sum(kept) >= 3


def test_held_out_gain_is_measured_on_texts_the_temperature_never_saw():
    logits, labels = sampled_task(n=200, scale=3.0, seed=2)
    gain = calibration.held_out_nll_gain(logits, labels, folds=5)
    in_sample = calibration.nll(logits, labels) - calibration.nll(logits, labels,
                                                                  calibration.fit_temperature(logits, labels))
    assert 0 < gain < in_sample
