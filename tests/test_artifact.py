import hashlib
import json
import logging
import os
import pickle
import shutil
import stat
import subprocess
import sys
import threading
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


def without_manifest(run: Path) -> Path:
    """``run`` as an earlier textclass saved it: no manifest, so only the checks of the contents can catch
    damage (what these tests are about)."""
    (run / artifact.MANIFEST).unlink()
    config = json.loads((run / "config.json").read_text())
    del config["manifest"]
    (run / "config.json").write_text(json.dumps(config))
    return run


@pytest.fixture
def unverified(saved):
    return without_manifest(saved)


def test_run_directory_contents(saved, fitted):
    names = {p.name for p in saved.iterdir()}
    assert {"config.json", "labels.json", "vocab.json", "model.safetensors", "metrics.json",
            "history.json", artifact.MANIFEST} == names
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
        fitted.save(saved, overwrite=True)
    assert tree_digest(saved) == before
    assert leftovers(saved.parent) == []
    monkeypatch.undo()
    assert np.array_equal(TextClassifier.load(saved).predict_proba(PROBE), fitted.predict_proba(PROBE))


def test_interrupted_first_save_leaves_nothing(fitted, tmp_path, monkeypatch):
    monkeypatch.setattr(artifact, "save_model", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        fitted.save(tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


def test_saving_over_a_run_replaces_it_only_when_asked(saved, fitted):
    before = tree_digest(saved)
    with pytest.raises(artifact.RunExistsError, match="overwrite=True"):
        fitted.save(saved)
    assert tree_digest(saved) == before
    fitted.save(saved, overwrite=True)
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
    with pytest.raises(ArtifactError, match="is a file, not a textclass run"):
        fitted.save(a_file, overwrite=True)
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


def test_truncated_weights_are_an_artifact_error(unverified):
    weights = unverified / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(ArtifactError, match="model.safetensors"):
        TextClassifier.load(unverified)


def test_weights_of_another_shape_are_an_artifact_error(unverified):
    config = json.loads((unverified / "config.json").read_text())
    config["model"]["params"]["hidden_dim"] = 8
    (unverified / "config.json").write_text(json.dumps(config))
    with pytest.raises(ArtifactError, match="model.safetensors"):
        TextClassifier.load(unverified)


def test_corrupt_or_foreign_config_is_an_artifact_error(unverified):
    (unverified / "config.json").write_text("{not json")
    with pytest.raises(ArtifactError, match="config.json"):
        TextClassifier.load(unverified)
    (unverified / "config.json").write_text(json.dumps({"format": "something-else", "format_version": 1}))
    with pytest.raises(ArtifactError, match="not readable"):
        TextClassifier.load(unverified)
    (unverified / "config.json").write_text(json.dumps({"format": artifact.FORMAT,
                                                   "format_version": artifact.FORMAT_VERSION + 1}))
    with pytest.raises(ArtifactError, match="not readable"):
        TextClassifier.load(unverified)


def test_save_unfitted_is_an_error(tmp_path):
    with pytest.raises(RuntimeError, match="not fitted"):
        TextClassifier("bilstm").save(tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_run_dir_can_be_moved(saved, fitted, tmp_path):
    moved = tmp_path / "elsewhere" / "copy"
    moved.parent.mkdir()
    os.replace(saved, moved)
    assert np.array_equal(TextClassifier.load(moved).predict_proba(PROBE), fitted.predict_proba(PROBE))


def test_damaged_files_are_artifact_errors(unverified):
    (unverified / "vocab.json").write_text("{oops")
    with pytest.raises(ArtifactError, match="encoder"):
        TextClassifier.load(unverified)


def test_config_without_its_sections_is_an_artifact_error(unverified):
    config = json.loads((unverified / "config.json").read_text())
    del config["encoder"]
    (unverified / "config.json").write_text(json.dumps(config))
    with pytest.raises(ArtifactError, match="encoder"):
        TextClassifier.load(unverified)


@pytest.mark.parametrize("labels", [{"a": 1}, [], [1, 2], ["a", "b", "a"]])
def test_labels_must_be_a_list_of_names(unverified, labels):
    (unverified / "labels.json").write_text(json.dumps(labels))
    with pytest.raises(ArtifactError, match="labels.json"):
        TextClassifier.load(unverified)


# ---------------------------------------------------------------------------------- where a run may be saved


def test_a_folder_with_a_config_json_is_not_a_run(fitted, tmp_path):
    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "thesis.tex").write_text("precious")
    before = tree_digest(folder)
    with pytest.raises(ArtifactError, match="not a textclass run"):
        fitted.save(folder, overwrite=True)
    assert tree_digest(folder) == before


def test_an_empty_folder_takes_a_run(fitted, tmp_path):
    (tmp_path / "empty").mkdir()
    fitted.save(tmp_path / "empty")
    assert artifact.is_run(tmp_path / "empty")


@pytest.mark.parametrize("where, message", [
    (lambda tmp, run: tmp, "current directory"),
    (lambda tmp, run: tmp.parent, "current directory or one of its parents"),
    (lambda tmp, run: Path("."), "current directory"),
    (lambda tmp, run: Path("/"), "root of the file system"),
    (lambda tmp, run: run / "inner", "inside the run"),
    (lambda tmp, run: run / "labels.json", "inside the run"),
    (lambda tmp, run: "", "empty path"),
])
def test_odd_targets_are_refused_naming_the_path(saved, fitted, tmp_path, monkeypatch, where, message):
    monkeypatch.chdir(tmp_path)
    before = tree_digest(saved)
    with pytest.raises(ArtifactError, match=message):
        fitted.save(where(tmp_path, saved), overwrite=True)
    assert tree_digest(saved) == before


def test_a_symlink_target_is_refused(saved, fitted, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(saved)
    with pytest.raises(ArtifactError, match="symbolic link"):
        fitted.save(link, overwrite=True)


def test_a_run_holding_other_files_is_not_replaced(saved, fitted):
    (saved / "notes.txt").write_text("my notes on this run")
    with pytest.raises(ArtifactError, match="notes.txt"):
        fitted.save(saved, overwrite=True)
    assert (saved / "notes.txt").read_text() == "my notes on this run"


def test_a_run_saved_before_markers_is_a_run_only_with_its_full_layout(fitted, tmp_path):
    old = Path(__file__).parent / "fixtures" / "runs_8ba0215" / "bilstm"
    copy = Path(shutil.copytree(old, tmp_path / "old"))
    assert artifact.is_run(copy)
    with pytest.raises(artifact.RunExistsError):
        fitted.save(copy)
    (copy / "thesis.tex").write_text("precious")
    with pytest.raises(ArtifactError, match="thesis.tex"):
        fitted.save(copy, overwrite=True)
    (copy / "thesis.tex").unlink()
    (copy / "labels.json").unlink()
    assert not artifact.is_run(copy)
    with pytest.raises(ArtifactError, match="not a textclass run"):
        fitted.save(copy, overwrite=True)
    (copy / "labels.json").write_text('["a"]')
    fitted.save(copy, overwrite=True)
    assert (copy / artifact.MANIFEST).is_file()


# ------------------------------------------------------------------------------------- one writer at a time

# Another process holding the lock as textclass does (flock on .NAME.lock, its pid inside), without paying
# for importing torch in a subprocess.
HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, f"{os.getpid()}\\n".encode())
print("held", flush=True)
time.sleep(60)
"""


def test_a_second_writer_fails_naming_the_first(saved, fitted):
    target = saved.parent / "other"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(saved.parent / ".other.lock")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ArtifactError, match=f"another textclass process \\(pid {holder.pid}\\)"):
            fitted.save(target)
    finally:
        holder.kill()
        holder.wait()
    fitted.save(target)  # the lock died with its holder
    assert leftovers(saved.parent) == [] and not (saved.parent / ".other.lock").exists()


def test_the_lock_is_reentrant_in_one_thread_and_exclusive_across_threads(saved, fitted):
    with artifact.writing(saved, overwrite=True):
        fitted.save(saved, overwrite=True)  # the CLI holds the lock through training, then saves
        errors = []
        thread = threading.Thread(target=lambda: errors.append(_save_error(fitted, saved)))
        thread.start()
        thread.join()
        assert "another thread" in errors[0]


def _save_error(clf, path) -> str:
    try:
        clf.save(path, overwrite=True)
    except ArtifactError as exc:
        return str(exc)
    return ""


def test_staging_folders_of_dead_processes_are_removed_by_the_next_save(saved, fitted):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = saved.parent / f".{saved.name}.{dead.pid}-0badcafe.partial"
    retired = saved.parent / f".{saved.name}.old-{dead.pid}"
    live = saved.parent / f".{saved.name}.{os.getppid()}-0badcafe.partial"
    for folder in (stale, retired, live):
        folder.mkdir()
        (folder / "model.safetensors").write_bytes(b"half")
    fitted.save(saved, overwrite=True)
    assert not stale.exists() and not retired.exists()
    assert live.exists()  # its process is running: it may be saving still


# ------------------------------------------------------------------------------------ manifest and loading


def test_the_manifest_lists_every_file_with_size_and_sha256(saved):
    manifest = json.loads((saved / artifact.MANIFEST).read_text())
    assert manifest["format"] == artifact.FORMAT
    files = {p.relative_to(saved).as_posix(): p for p in saved.rglob("*") if p.is_file()}
    del files[artifact.MANIFEST]
    assert set(manifest["files"]) == set(files)
    for name, path in files.items():
        assert manifest["files"][name] == {"size": path.stat().st_size,
                                           "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


@pytest.mark.parametrize("name", ["config.json", "labels.json", "vocab.json", "model.safetensors", "history.json"])
def test_any_changed_byte_is_an_error_naming_the_file(saved, name):
    path = saved / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match=f"{name} differs from the manifest"):
        TextClassifier.load(saved)


def test_zeroed_weights_with_their_header_intact_are_caught(saved):
    path = saved / "model.safetensors"
    data = path.read_bytes()
    header = 8 + int.from_bytes(data[:8], "little")
    path.write_bytes(data[:header] + bytes(len(data) - header))
    with pytest.raises(ArtifactError, match="model.safetensors differs"):
        TextClassifier.load(saved)


def test_a_deleted_manifest_is_an_error_not_a_silent_downgrade(saved):
    (saved / artifact.MANIFEST).unlink()
    with pytest.raises(ArtifactError, match=f"{artifact.MANIFEST} is missing"):
        TextClassifier.load(saved)


def test_a_damaged_manifest_is_an_error(saved):
    manifest = json.loads((saved / artifact.MANIFEST).read_text())
    manifest["files"]["../../etc/passwd"] = {"size": 1, "sha256": "0" * 64}
    (saved / artifact.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="damaged"):
        TextClassifier.load(saved)


def test_extra_files_warn_at_the_top_and_fail_in_subfolders(saved, fitted, caplog):
    (saved / "notes.txt").write_text("mine")
    with caplog.at_level(logging.WARNING, logger="textclass"):
        loaded = TextClassifier.load(saved)
    assert "notes.txt is not part of the run" in caplog.text
    assert np.array_equal(loaded.predict_proba(PROBE), fitted.predict_proba(PROBE))
    (saved / "tokenizer").mkdir()
    (saved / "tokenizer" / "added_tokens.json").write_text("{}")
    with pytest.raises(ArtifactError, match="added_tokens.json is not part of the run"):
        TextClassifier.load(saved)


def test_links_are_never_followed(saved, tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text('["x", "y", "z"]')
    (saved / "labels.json").unlink()
    (saved / "labels.json").symlink_to(outside)
    with pytest.raises(ArtifactError, match="labels.json is a symbolic link"):
        TextClassifier.load(saved)
    (saved / "labels.json").unlink()
    (saved / "sub").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(ArtifactError, match="sub is a symbolic link"):
        TextClassifier.load(saved)


def test_a_fifo_in_a_run_is_refused_not_read(saved):
    (saved / "history.json").unlink()
    os.mkfifo(saved / "history.json")
    with pytest.raises(ArtifactError, match="history.json is not a regular file"):
        TextClassifier.load(saved)


def test_a_link_to_the_run_folder_itself_loads(saved, fitted, tmp_path):
    (tmp_path / "current").symlink_to(saved, target_is_directory=True)
    assert np.array_equal(TextClassifier.load(tmp_path / "current").predict_proba(PROBE), fitted.predict_proba(PROBE))


def test_a_run_without_manifest_loads_with_a_warning(unverified, fitted, caplog):
    with caplog.at_level(logging.WARNING, logger="textclass"):
        loaded = TextClassifier.load(unverified)
    assert "cannot be verified" in caplog.text
    assert np.array_equal(loaded.predict_proba(PROBE), fitted.predict_proba(PROBE))


def test_a_folder_made_from_the_run_does_not_stop_it_loading(saved, fitted):
    """An ONNX export lives in RUN/onnx/ and is not part of the run's manifest; loading never reads it."""
    (saved / "onnx").mkdir()
    (saved / "onnx" / "config.json").write_text("{}")
    assert np.array_equal(TextClassifier.load(saved).predict_proba(PROBE), fitted.predict_proba(PROBE))
