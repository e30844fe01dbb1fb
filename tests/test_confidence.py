"""Calibration, decision thresholds and abstention through TextClassifier: fitted, saved, loaded, applied."""
import numpy as np
import pytest

from textclass import TextClassifier
from textclass.calibration import UNCERTAIN
from textclass.errors import ConfigError

NGRAM = dict(epochs=4, batch_size=16, num_buckets=1 << 16, progress=False)


def noisy(pairs):
    """Every eighth label flipped: validation then has mistakes, and a temperature to fit."""
    flip = {"pos": "neg", "neg": "pos"}
    return [(text, flip[label] if i % 8 == 0 else label) for i, (text, label) in enumerate(pairs)]


@pytest.fixture(scope="module")
def binary(sentiment_task):
    return TextClassifier("ngram", threshold_objective="precision:0.99", **NGRAM).fit(noisy(sentiment_task(400, 0)))


def test_calibration_is_fitted_on_validation_by_default(binary):
    assert binary.calibration_["fitted_on"] == "validation"
    assert binary.temperature_ != 1.0
    assert binary.calibration_["valid_nll_after"] <= binary.calibration_["valid_nll_before"]
    # Used because it generalises within validation; the record says so.
    assert binary.calibration_["held_out_nll_gain"] > 0
    assert binary.calibration_["fitted_temperature"] == binary.temperature_
    raw = binary.predict_proba(["w1 good w2"], calibrate=False)
    scaled = binary.predict_proba(["w1 good w2"])
    assert raw.argmax() == scaled.argmax() and not np.allclose(raw, scaled)


def test_a_flawless_validation_split_leaves_the_softmax_alone(sentiment_task, caplog):
    clf = TextClassifier("ngram", **NGRAM).fit(sentiment_task(300, 0))
    assert clf.temperature_ == 1.0 and "no mistake" in caplog.text


def test_no_calibrate_keeps_the_raw_softmax(sentiment_task):
    clf = TextClassifier("ngram", calibrate=False, **NGRAM).fit(sentiment_task(200, 0))
    assert clf.temperature_ == 1.0 and clf.config()["training"]["calibrate"] is False
    np.testing.assert_allclose(clf.predict_proba(["good"]), clf.predict_proba(["good"], calibrate=False))


def test_threshold_is_tuned_and_used(binary):
    decision = binary.decision_
    assert decision["positive_label"] == "pos" and decision["objective"] == "precision:0.99"
    proba = binary.predict_proba(["w3 w4", "good", "bad"])
    expected = ["pos" if p >= decision["threshold"] else "neg" for p in proba[:, 1]]
    assert binary.predict(["w3 w4", "good", "bad"]) == expected


def test_abstention_returns_the_reserved_label(binary):
    texts = ["w1 good w2", "w5 w6 w7", "bad w8"]
    decided = binary.decide(binary.predict_proba(texts))
    confidences = sorted(p for _, p in decided)
    floor = (confidences[0] + confidences[-1]) / 2
    assert confidences[0] < floor <= confidences[-1]
    assert binary.predict(texts, abstain_below=floor) == [
        label if p >= floor else UNCERTAIN for label, p in decided]
    assert binary.predict(texts, abstain_below=0.0) == [label for label, _ in decided]
    with pytest.raises(ConfigError, match="abstain_below"):
        binary.predict(texts, abstain_below=1.5)


def test_a_class_named_uncertain_cannot_abstain():
    clf = TextClassifier("ngram", valid_fraction=0, **NGRAM).fit([("yes a", "uncertain"), ("no b", "sure")] * 5)
    assert clf.predict(["yes"]) == ["uncertain"]
    with pytest.raises(ConfigError, match="reserved"):
        clf.predict(["yes"], abstain_below=0.5)


def test_saved_runs_keep_temperature_and_threshold(binary, tmp_path, sentiment_task):
    binary.save(tmp_path / "run")
    loaded = TextClassifier.load(tmp_path / "run")
    assert loaded.temperature_ == binary.temperature_ and loaded.decision_ == binary.decision_
    assert loaded.get_params()["threshold_objective"] == "precision:0.99"
    texts = [text for text, _ in sentiment_task(30, 5)]
    np.testing.assert_allclose(loaded.predict_proba(texts), binary.predict_proba(texts), rtol=1e-5)
    assert loaded.predict(texts) == binary.predict(texts)


def test_evaluate_reports_calibration_coverage_and_predictions(binary, sentiment_task):
    test = sentiment_task(100, 9)
    report = binary.evaluate(test)
    cal = report["calibration"]
    assert cal["ece_bins"] == 15 and set(cal["before"]) == set(cal["after"]) == {"nll", "brier", "ece"}
    assert report["coverage"][0]["coverage"] == 1.0 and report["coverage"][0]["accuracy"] == report["accuracy"]
    predictions = report["predictions"]
    assert len(predictions["true"]) == len(predictions["predicted"]) == 100
    assert np.mean(np.array(predictions["true"]) == np.array(predictions["predicted"])) == report["accuracy"]
    assert report["decision_threshold"]["objective"] == "precision:0.99"
    assert binary.evaluate(list(reversed(test)))["predictions"]["sha256"] != predictions["sha256"]


def test_multiclass_ignores_the_threshold_objective(topics, caplog):
    train, _ = topics
    clf = TextClassifier("ngram", threshold_objective="f1", **NGRAM).fit(train)
    assert clf.decision_ is None
    assert "two-class" in caplog.text


def test_prediction_rows_follow_the_threshold_and_abstain():
    from textclass.inference.rows import RowSpec

    proba = np.array([[0.7, 0.3], [0.9, 0.1]], dtype=np.float32)
    rows = RowSpec(("neg", "pos"), threshold=0.25, abstain_below=0.5).rows(["a", "b"], proba)
    assert [(row["label"], row["confidence"]) for row in rows] == [(UNCERTAIN, pytest.approx(0.3)),
                                                                   ("neg", pytest.approx(0.9))]
    with pytest.raises(ConfigError, match="reserved"):
        RowSpec(("uncertain", "sure"), abstain_below=0.5)


@pytest.mark.parametrize("section,value", [
    ("calibration", {"temperature": None}), ("calibration", {"temperature": -1.0}), ("calibration", 3),
    ("calibration", {"temperature": "hot"}), ("decision", {"threshold": 1.5}), ("decision", "0.3"),
])
def test_a_damaged_temperature_or_threshold_is_refused_on_load(binary, tmp_path, section, value):
    import json

    from textclass.errors import ArtifactError

    binary.save(tmp_path / "run")
    config_path = tmp_path / "run" / "config.json"
    config = json.loads(config_path.read_text())
    config[section] = value
    (tmp_path / "run" / "textclass-run.json").unlink()  # without the manifest, only the checks stand guard
    del config["manifest"]
    config_path.write_text(json.dumps(config))
    with pytest.raises(ArtifactError, match=section):
        TextClassifier.load(tmp_path / "run")
