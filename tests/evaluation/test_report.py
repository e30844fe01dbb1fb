import json
import os
import sys

import pytest

from textclass.evaluation import classification_report, format_report, write_metrics

LONG_LABEL = "an_extremely_long_intent_label_that_will_not_fit_in_any_column"


def binary_report():
    return classification_report([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], [1, 1, 1, 0, 0, 0, 0, 0, 1, 1], ["neg", "pos"], loss=0.1234)


def many_class_report(n_classes=25):
    labels = [f"label_{i:02d}" for i in range(n_classes)]
    y_true, y_pred = [], []
    for i in range(n_classes):
        y_true += [i] * 5
        y_pred += [i] * 5
    # Confusions with distinct counts, so the expected top-10 order is unambiguous: 3 -> 7 is the largest.
    for rank, (true, pred) in enumerate([(3, 7)] + [(i, (i + 1) % n_classes) for i in range(12)]):
        count = 20 - rank
        y_true += [true] * count
        y_pred += [pred] * count
    return classification_report(y_true, y_pred, labels)


def test_headline_shows_counts_scores_and_loss():
    text = format_report(binary_report(), title="Validation")
    assert text.startswith("Validation\n")
    assert "0.7000" in text
    assert "0.1234" in text
    assert text.splitlines()[2].split() == ["examples", "10"]


def test_loss_line_absent_without_loss():
    report = classification_report([0, 1], [0, 1], ["a", "b"])
    assert "loss" not in format_report(report)


def test_every_label_and_average_row_appears():
    report = classification_report([0, 1, 2, 2], [0, 1, 1, 1], ["alpha", "beta", "gamma"])
    text = format_report(report)
    for label in ["alpha", "beta", "gamma", "macro avg", "weighted avg"]:
        assert label in text
    assert f"{report['accuracy']:.4f}" in text
    assert "Never predicted" in text and "gamma" in text.split("Never predicted")[1]


def test_per_class_table_columns_line_up():
    text = format_report(binary_report())
    table = text.split("\n\n")[1].splitlines()
    assert table[0].split() == ["label", "precision", "recall", "f1", "support"]
    assert len({len(line) for line in table}) == 1
    header = table[0]
    value_rows = [line for line in table[1:] if not line.startswith("-")]
    for column in ["precision", "recall", "f1", "support"]:
        end = header.index(column) + len(column)
        for line in value_rows:
            assert line[end - 1].isdigit() and line[end:end + 1] in ("", " "), (column, line)


def test_small_class_count_prints_confusion_matrix_true_on_rows():
    text = format_report(classification_report([0, 0, 0], [1, 1, 1], ["neg", "pos"]))
    assert "Confusion matrix" in text
    matrix = text.split("Confusion matrix")[1].splitlines()
    assert matrix[2].split() == ["neg", "0", "3"]
    assert matrix[3].split() == ["pos", "0", "0"]
    assert "Most confused" not in text


def test_large_class_count_prints_top_confused_pairs():
    text = format_report(many_class_report(), max_confusion_classes=20)
    assert "Confusion matrix" not in text
    pairs = text.split("Most confused pairs")[1].splitlines()[1:]
    assert len(pairs) == 10
    assert pairs[0].strip() == "label_03 -> label_07: 20"
    assert pairs[1].strip() == "label_00 -> label_01: 19"


def test_threshold_is_inclusive():
    report = many_class_report(n_classes=20)
    assert "Confusion matrix" in format_report(report, max_confusion_classes=20)
    assert "Most confused pairs" in format_report(report, max_confusion_classes=19)


def test_long_labels_truncated_for_display_only(tmp_path):
    report = classification_report([0, 1, 1], [0, 1, 0], ["short", LONG_LABEL])
    text = format_report(report)
    assert LONG_LABEL not in text
    assert LONG_LABEL[:10] in text and "…" in text
    path = tmp_path / "metrics.json"
    write_metrics(report, path)
    assert json.loads(path.read_text(encoding="utf-8"))["labels"] == ["short", LONG_LABEL]


def test_write_metrics_round_trip_keeps_key_order(tmp_path):
    report = binary_report()
    path = tmp_path / "metrics.json"
    write_metrics(report, path, extra={"split": "test", "model": "fasttext"})
    text = path.read_text(encoding="utf-8")
    loaded = json.loads(text)
    assert loaded == {**report, "split": "test", "model": "fasttext"}
    assert list(loaded) == list(report) + ["split", "model"]
    assert text.startswith('{\n  "')


def test_write_metrics_replaces_existing_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text("old contents", encoding="utf-8")
    write_metrics(binary_report(), path)
    assert json.loads(path.read_text(encoding="utf-8"))["n"] == 10
    assert os.listdir(tmp_path) == ["metrics.json"]


def test_failed_write_keeps_old_file_and_cleans_up(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text('{"previous": true}', encoding="utf-8")
    with pytest.raises(TypeError):
        write_metrics(binary_report(), path, extra={"unserializable": object()})
    assert path.read_text(encoding="utf-8") == '{"previous": true}'
    assert os.listdir(tmp_path) == ["metrics.json"]


def test_write_metrics_syncs_before_replacing(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append("fsync") or real_fsync(fd))
    monkeypatch.setattr(os, "replace", lambda src, dst: calls.append("replace") or real_replace(src, dst))
    write_metrics(binary_report(), tmp_path / "metrics.json")
    assert calls == ["fsync", "replace"]


def test_extra_may_not_overwrite_report_fields(tmp_path):
    path = tmp_path / "metrics.json"
    with pytest.raises(ValueError, match="accuracy"):
        write_metrics(binary_report(), path, extra={"accuracy": 1.0})
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_written_file_follows_umask_not_private_temp_mode(tmp_path):
    previous = os.umask(0o022)
    try:
        write_metrics(binary_report(), tmp_path / "metrics.json")
    finally:
        os.umask(previous)
    assert (tmp_path / "metrics.json").stat().st_mode & 0o777 == 0o644
