import hashlib
import json
import os
import pickle
import stat
from pathlib import Path

import numpy as np
import pytest
import torch

from textclass import ArtifactError, TextClassifier
from textclass import artifact
from textclass.models import MODELS

PROBE = ["goal for the team", "bake the sauce", "", "stock market loan " * 50, "nothing known here"]


def tree_digest(directory: Path) -> dict[str, str]:
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def leftovers(parent: Path) -> list[str]:
    """Staging or retired folders a save may leave next to the run."""
    return sorted(p.name for p in parent.iterdir() if p.name.endswith(".partial") or ".old-" in p.name)


@pytest.fixture
def saved(fitted, tmp_path):
    return fitted.save(tmp_path / "run", metrics={"accuracy": 1.0})


def test_run_directory_contents(saved, fitted):
    names = {p.name for p in saved.iterdir()}
    assert {"config.json", "labels.json", "vocab.json", "model.safetensors", "metrics.json",
            "history.json"} <= names
    config = json.loads((saved / "config.json").read_text())
    assert config["format"] == artifact.FORMAT and config["format_version"] == artifact.FORMAT_VERSION
    assert config["model"]["name"] == "bilstm_v1"
    assert config["model"]["params"]["hidden_dim"] == 16
    assert config["encoder"]["name"] == "vocab_v1"
    assert json.loads((saved / "labels.json").read_text()) == fitted.labels_ == ["cooking", "finance", "sports"]
    assert json.loads((saved / "metrics.json").read_text()) == {"accuracy": 1.0}
    assert len(json.loads((saved / "history.json").read_text())) == len(fitted.history_)
    assert leftovers(saved.parent) == []


def test_run_is_readable_by_others(saved):
    assert stat.S_IMODE(saved.stat().st_mode) & 0o055 == 0o055
    assert stat.S_IMODE((saved / "model.safetensors").stat().st_mode) & 0o044 == 0o044


def test_load_gives_exactly_the_same_predictions(saved, fitted):
    loaded = TextClassifier.load(saved)
    assert loaded.labels_ == fitted.labels_
    expected = fitted.predict_proba(PROBE)
    assert np.array_equal(loaded.predict_proba(PROBE), expected)
    assert loaded.predict(PROBE) == fitted.predict(PROBE)
    assert loaded.best_epoch_ == fitted.best_epoch_
    for key, value in loaded.model_.state_dict().items():
        assert torch.equal(value, fitted.model_.state_dict()[key])


def test_loaded_classifier_has_the_same_settings(saved, fitted):
    ours, theirs = fitted.get_params(), TextClassifier.load(saved).get_params()
    assert MODELS.canonical(theirs["model"]) == MODELS.canonical(ours["model"])
    for key in ("epochs", "batch_size", "lr", "seed", "hidden_dim", "embedding_dim", "num_layers", "min_freq"):
        assert theirs[key] == ours[key], key


PICKLE_PROTOCOL_MAGIC = [bytes([0x80, protocol]) for protocol in range(6)]


def test_no_file_is_a_pickle(saved):
    for path in saved.rglob("*"):
        if path.is_file():
            head = path.read_bytes()[:4]
            assert head[:2] not in PICKLE_PROTOCOL_MAGIC, path
            assert head != b"PK\x03\x04", f"{path} is a zip (torch.save's pickle container)"
    json.loads((saved / "config.json").read_text())
    json.loads((saved / "vocab.json").read_text())


def test_loading_never_unpickles(saved, fitted, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("loading a run must not unpickle")

    monkeypatch.setattr(torch, "load", forbidden)
    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "Unpickler", forbidden)
    loaded = TextClassifier.load(saved)
    assert np.array_equal(loaded.predict_proba(PROBE), fitted.predict_proba(PROBE))


def test_interrupted_save_leaves_the_previous_run_intact(saved, fitted, monkeypatch):
    before = tree_digest(saved)

    def crash(model, filename, *args, **kwargs):
        Path(filename).write_bytes(b"half a weights file")
        raise KeyboardInterrupt  # as if the user pressed Ctrl-C mid-write

    monkeypatch.setattr(artifact, "save_model", crash)
    with pytest.raises(KeyboardInterrupt):
        fitted.save(saved)
    assert tree_digest(saved) == before
    assert leftovers(saved.parent) == []
    monkeypatch.undo()
    assert np.array_equal(TextClassifier.load(saved).predict_proba(PROBE), fitted.predict_proba(PROBE))


def test_interrupted_first_save_leaves_nothing(fitted, tmp_path, monkeypatch):
    monkeypatch.setattr(artifact, "save_model", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        fitted.save(tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


def test_saving_over_a_run_replaces_it(saved, fitted):
    (saved / "stale.txt").write_text("from an older run")
    fitted.save(saved)
    assert not (saved / "stale.txt").exists()
    assert not (saved / "metrics.json").exists()  # not given this time: no stale metrics either
    assert leftovers(saved.parent) == []
    assert np.array_equal(TextClassifier.load(saved).predict_proba(PROBE), fitted.predict_proba(PROBE))


def test_refuses_to_overwrite_something_that_is_not_a_run(fitted, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thesis.tex").write_text("precious")
    with pytest.raises(ArtifactError, match="not a textclass run"):
        fitted.save(folder)
    assert (folder / "thesis.tex").read_text() == "precious"
    a_file = tmp_path / "notes.txt"
    a_file.write_text("precious")
    with pytest.raises(ArtifactError, match="not a textclass run"):
        fitted.save(a_file)
    assert a_file.read_text() == "precious"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("missing", ["config.json", "labels.json", "model.safetensors"])
def test_incomplete_run_is_an_artifact_error(saved, missing):
    (saved / missing).unlink()
    with pytest.raises(ArtifactError, match=missing):
        TextClassifier.load(saved)


def test_missing_vocabulary_is_an_artifact_error(saved):
    (saved / "vocab.json").unlink()
    with pytest.raises(ArtifactError, match="vocab.json"):
        TextClassifier.load(saved)


def test_no_run_directory(tmp_path):
    with pytest.raises(ArtifactError, match="no such run directory"):
        TextClassifier.load(tmp_path / "nothing")


def test_truncated_weights_are_an_artifact_error(saved):
    weights = saved / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(ArtifactError, match="model.safetensors"):
        TextClassifier.load(saved)


def test_weights_of_another_shape_are_an_artifact_error(saved):
    config = json.loads((saved / "config.json").read_text())
    config["model"]["params"]["hidden_dim"] = 8
    (saved / "config.json").write_text(json.dumps(config))
    with pytest.raises(ArtifactError, match="model.safetensors"):
        TextClassifier.load(saved)


def test_corrupt_or_foreign_config_is_an_artifact_error(saved):
    (saved / "config.json").write_text("{not json")
    with pytest.raises(ArtifactError, match="config.json"):
        TextClassifier.load(saved)
    (saved / "config.json").write_text(json.dumps({"format": "something-else", "format_version": 1}))
    with pytest.raises(ArtifactError, match="not readable"):
        TextClassifier.load(saved)
    (saved / "config.json").write_text(json.dumps({"format": artifact.FORMAT,
                                                   "format_version": artifact.FORMAT_VERSION + 1}))
    with pytest.raises(ArtifactError, match="not readable"):
        TextClassifier.load(saved)


def test_save_unfitted_is_an_error(tmp_path):
    with pytest.raises(RuntimeError, match="not fitted"):
        TextClassifier("bilstm").save(tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_run_dir_can_be_moved(saved, fitted, tmp_path):
    moved = tmp_path / "elsewhere" / "copy"
    moved.parent.mkdir()
    os.replace(saved, moved)
    assert np.array_equal(TextClassifier.load(moved).predict_proba(PROBE), fitted.predict_proba(PROBE))


def test_damaged_files_are_artifact_errors(saved):
    (saved / "vocab.json").write_text("{oops")
    with pytest.raises(ArtifactError, match="encoder"):
        TextClassifier.load(saved)


def test_config_without_its_sections_is_an_artifact_error(saved):
    config = json.loads((saved / "config.json").read_text())
    del config["encoder"]
    (saved / "config.json").write_text(json.dumps(config))
    with pytest.raises(ArtifactError, match="encoder"):
        TextClassifier.load(saved)


@pytest.mark.parametrize("labels", [{"a": 1}, [], [1, 2]])
def test_labels_must_be_a_list_of_names(saved, labels):
    (saved / "labels.json").write_text(json.dumps(labels))
    with pytest.raises(ArtifactError, match="labels.json"):
        TextClassifier.load(saved)
