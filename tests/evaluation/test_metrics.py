import json

import numpy as np
import pytest

from textclass.evaluation import classification_report

EXPECTED_KEYS = {
    "accuracy",
    "macro_f1",
    "weighted_f1",
    "macro_precision",
    "macro_recall",
    "weighted_precision",
    "weighted_recall",
    "per_class",
    "labels",
    "confusion_matrix",
    "top_confusions",
    "n",
    "undefined_precision",
}


def binary_report(**kwargs):
    # 6 negatives (4 right, 2 called positive), 4 positives (3 right, 1 called negative).
    y_true = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    y_pred = [1, 1, 1, 0, 0, 0, 0, 0, 1, 1]
    return classification_report(y_true, y_pred, ["neg", "pos"], **kwargs)


def test_binary_hand_computed():
    report = binary_report()
    assert report["n"] == 10
    assert report["confusion_matrix"] == [[4, 2], [1, 3]]
    assert report["accuracy"] == pytest.approx(0.7)
    neg, pos = report["per_class"]["neg"], report["per_class"]["pos"]
    assert neg == pytest.approx({"precision": 0.8, "recall": 4 / 6, "f1": 8 / 11, "support": 6})
    assert pos == pytest.approx({"precision": 0.6, "recall": 0.75, "f1": 2 / 3, "support": 4})
    assert report["macro_precision"] == pytest.approx(0.7)
    assert report["macro_recall"] == pytest.approx(17 / 24)
    assert report["macro_f1"] == pytest.approx(23 / 33)
    assert report["weighted_precision"] == pytest.approx(0.72)
    assert report["weighted_recall"] == pytest.approx(0.7)
    assert report["weighted_f1"] == pytest.approx(232 / 330)
    assert report["undefined_precision"] == []


def test_three_classes_with_a_class_never_predicted():
    report = classification_report(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 1]), ["a", "b", "c"])
    assert report["confusion_matrix"] == [[1, 0, 0], [0, 1, 0], [0, 2, 0]]
    assert report["accuracy"] == pytest.approx(0.5)
    assert report["per_class"]["a"] == pytest.approx({"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1})
    assert report["per_class"]["b"] == pytest.approx({"precision": 1 / 3, "recall": 1.0, "f1": 0.5, "support": 1})
    assert report["per_class"]["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2}
    assert report["undefined_precision"] == ["c"]
    assert report["macro_precision"] == pytest.approx(4 / 9)
    assert report["macro_recall"] == pytest.approx(2 / 3)
    assert report["macro_f1"] == pytest.approx(0.5)
    assert report["weighted_precision"] == pytest.approx(1 / 3)
    assert report["weighted_recall"] == pytest.approx(0.5)
    assert report["weighted_f1"] == pytest.approx(0.375)


def test_macro_and_weighted_differ_on_imbalanced_data():
    # Always predicting the majority class looks good weighted and bad macro.
    report = classification_report([0] * 90 + [1] * 10, [0] * 100, ["common", "rare"])
    assert report["macro_f1"] == pytest.approx(9 / 19)
    assert report["weighted_f1"] == pytest.approx(0.9 * 18 / 19)
    assert report["macro_recall"] == pytest.approx(0.5)
    assert report["weighted_recall"] == pytest.approx(0.9)
    assert report["undefined_precision"] == ["rare"]


def test_confusion_matrix_rows_are_true_and_columns_are_predicted():
    report = classification_report([0, 0, 0, 2], [1, 1, 2, 2], ["x", "y", "z"])
    assert report["confusion_matrix"] == [[0, 2, 1], [0, 0, 0], [0, 0, 1]]
    assert report["per_class"]["x"]["support"] == 3
    assert report["per_class"]["y"]["support"] == 0


def test_class_absent_from_truth_gets_zero_recall_and_support():
    report = classification_report([0, 0], [0, 1], ["x", "y"])
    assert report["per_class"]["y"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert report["undefined_precision"] == []


def test_keys_order_of_labels_and_json_types():
    labels = ["zeta", "alpha", "mid"]
    report = classification_report(np.array([2, 1, 0], dtype=np.int32), [2, 1, 1], labels)
    assert set(report) == EXPECTED_KEYS
    assert report["labels"] == labels
    assert list(report["per_class"]) == labels
    assert json.loads(json.dumps(report)) == report
    scalars = [report[key] for key in EXPECTED_KEYS - {"per_class", "labels", "confusion_matrix", "top_confusions", "undefined_precision", "n"}]
    scalars += [value for stats in report["per_class"].values() for value in stats.values()]
    assert all(type(value) in (float, int) for value in scalars)
    assert type(report["n"]) is int
    assert all(type(count) is int for row in report["confusion_matrix"] for count in row)


def test_loss_is_stored_only_when_given():
    assert "loss" not in binary_report()
    report = binary_report(loss=np.float32(0.25))
    assert report["loss"] == pytest.approx(0.25)
    assert type(report["loss"]) is float


def test_many_classes_and_rows():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 77, size=30_000)
    y_pred = np.where(rng.random(30_000) < 0.8, y_true, rng.integers(0, 77, size=30_000))
    report = classification_report(y_true, y_pred, [f"c{i}" for i in range(77)])
    matrix = np.array(report["confusion_matrix"])
    assert matrix.shape == (77, 77)
    assert matrix.sum() == 30_000
    assert report["accuracy"] == pytest.approx(np.mean(y_true == y_pred))


@pytest.mark.parametrize(
    ("y_true", "y_pred", "labels", "message"),
    [
        ([], [], ["a", "b"], "zero examples"),
        ([0, 1], [0], ["a", "b"], "entries"),
        ([0, 2], [0, 1], ["a", "b"], "outside"),
        ([0, -1], [0, 1], ["a", "b"], "outside"),
        ([0.9, 0.1], [0, 1], ["a", "b"], "integer"),
        ([[0, 1]], [[0, 1]], ["a", "b"], "one-dimensional"),
        ([0, 1], [0, 1], ["a", "a"], "unique"),
        ([0], [0], [], "labels"),
    ],
)
def test_invalid_input_raises_value_error(y_true, y_pred, labels, message):
    with pytest.raises(ValueError, match=message):
        classification_report(y_true, y_pred, labels)


def test_agrees_with_sklearn_on_random_data():
    sk_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(1234)
    n_classes = 9
    y_true = rng.integers(0, n_classes, size=2_000)
    # Predictions never use the last two classes, so zero-division handling is exercised too.
    y_pred = rng.integers(0, n_classes - 2, size=2_000)
    labels = [f"class_{i}" for i in range(n_classes)]
    report = classification_report(y_true, y_pred, labels)

    indices = list(range(n_classes))
    precision, recall, f1, support = sk_metrics.precision_recall_fscore_support(
        y_true, y_pred, labels=indices, zero_division=0
    )
    ours = report["per_class"]
    np.testing.assert_allclose([ours[label]["precision"] for label in labels], precision)
    np.testing.assert_allclose([ours[label]["recall"] for label in labels], recall)
    np.testing.assert_allclose([ours[label]["f1"] for label in labels], f1)
    assert [ours[label]["support"] for label in labels] == support.tolist()
    for average in ("macro", "weighted"):
        p, r, f, _ = sk_metrics.precision_recall_fscore_support(
            y_true, y_pred, labels=indices, average=average, zero_division=0
        )
        assert report[f"{average}_precision"] == pytest.approx(p)
        assert report[f"{average}_recall"] == pytest.approx(r)
        assert report[f"{average}_f1"] == pytest.approx(f)
    assert report["accuracy"] == pytest.approx(sk_metrics.accuracy_score(y_true, y_pred))
    assert report["confusion_matrix"] == sk_metrics.confusion_matrix(y_true, y_pred, labels=indices).tolist()
    assert report["undefined_precision"] == labels[-2:]


def test_many_classes_keep_no_confusion_matrix_but_the_top_mistakes():
    from textclass.evaluation.metrics import CONFUSION_MAX_CLASSES

    classes = CONFUSION_MAX_CLASSES + 1
    true = np.array([0, 1, 1, 2, 2, 2])
    pred = np.array([0, 2, 2, 1, 2, 0])
    report = classification_report(true, pred, [f"c{i}" for i in range(classes)])
    assert report["confusion_matrix"] is None
    assert report["top_confusions"] == [[1, 2, 2], [2, 0, 1], [2, 1, 1]]
    assert report["per_class"]["c2"]["recall"] == 1 / 3
