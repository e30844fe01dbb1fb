"""Malformed run contents give one ArtifactError naming the file, before anything is sized by them.

The runs here have their manifest removed, as runs saved by earlier versions do: the manifest would catch every
one of these edits first, and these checks are what stands behind it.
"""
import json
import shutil
import struct

import numpy as np
import pytest
from safetensors.torch import load_file, save_file

from textclass import ArtifactError, TextClassifier
from textclass import artifact

PROBE = ["goal for the team", "bake the sauce", ""]


@pytest.fixture(scope="module")
def ngram_run(topics, tmp_path_factory):
    train, _ = topics
    clf = TextClassifier("ngram", epochs=1, progress=False, seed=0).fit(train)
    return clf.save(tmp_path_factory.mktemp("ngram") / "run")


@pytest.fixture(scope="module")
def bilstm_run(fitted, tmp_path_factory):
    return fitted.save(tmp_path_factory.mktemp("bilstm") / "run")


def unverified_copy(run, tmp_path):
    copy = shutil.copytree(run, tmp_path / "copy")
    (copy / artifact.MANIFEST).unlink()
    config = json.loads((copy / "config.json").read_text())
    del config["manifest"]
    (copy / "config.json").write_text(json.dumps(config))
    return copy


def edit_config(run, edit):
    config = json.loads((run / "config.json").read_text())
    edit(config)
    (run / "config.json").write_text(json.dumps(config))


@pytest.fixture
def ngram(ngram_run, tmp_path):
    return unverified_copy(ngram_run, tmp_path)


@pytest.fixture
def bilstm(bilstm_run, tmp_path):
    return unverified_copy(bilstm_run, tmp_path)


def test_an_unverified_copy_still_loads(ngram, ngram_run):
    assert np.array_equal(TextClassifier.load(ngram).predict_proba(PROBE),
                          TextClassifier.load(ngram_run).predict_proba(PROBE))


@pytest.mark.parametrize("value", [10**12, 2**32 + 1, 0, -5, "many", 1.5, True, None])
def test_num_buckets_is_bounded_before_anything_is_sized_by_it(ngram, value):
    edit_config(ngram, lambda c: c["encoder"]["params"].update(num_buckets=value))
    with pytest.raises(ArtifactError, match="config.json|num_buckets"):
        TextClassifier.load(ngram)


def test_num_buckets_below_the_stored_buckets_is_an_error(ngram):
    edit_config(ngram, lambda c: c["encoder"]["params"].update(num_buckets=1000))
    with pytest.raises(ArtifactError, match="ngram_features.safetensors"):
        TextClassifier.load(ngram)


@pytest.mark.parametrize("tensors", [
    {"buckets": np.array([5, 3, 9], dtype=np.int64)},       # not increasing
    {"buckets": np.array([-1, 3], dtype=np.int64)},         # negative
    {"buckets": np.array([1.0, 2.0], dtype=np.float32)},    # wrong dtype
    {"buckets": np.zeros((2, 2), dtype=np.int64)},          # not 1-d
    {"other": np.zeros(2, dtype=np.int64)},                 # wrong name
])
def test_malformed_bucket_files_are_errors(ngram, tensors):
    from safetensors.numpy import save_file as save_numpy

    save_numpy(tensors, str(ngram / "ngram_features.safetensors"))
    with pytest.raises(ArtifactError, match="ngram_features.safetensors"):
        TextClassifier.load(ngram)


@pytest.mark.parametrize("name", ["ngram_features.safetensors", "model.safetensors"])
@pytest.mark.parametrize("keep", [0, 7, 8, 20, -1])
def test_truncated_safetensors_are_errors(ngram, name, keep):
    path = ngram / name
    data = path.read_bytes()
    path.write_bytes(data[:keep] if keep >= 0 else data[:-1])
    with pytest.raises(ArtifactError, match=name):
        TextClassifier.load(ngram)


@pytest.mark.parametrize("key, value", [("hidden_dim", 10**6), ("embedding_dim", 10**7), ("num_layers", 3)])
def test_sizes_that_disagree_with_the_weights_fail_before_allocation(bilstm, key, value):
    edit_config(bilstm, lambda c: c["model"]["params"].update({key: value}))
    with pytest.raises(ArtifactError, match="model.safetensors does not fit the model"):
        TextClassifier.load(bilstm)


def test_weights_of_another_dtype_are_an_error(bilstm):
    path = bilstm / "model.safetensors"
    save_file({k: v.half() for k, v in load_file(path).items()}, str(path))
    with pytest.raises(ArtifactError, match="F16 in the file but F32"):
        TextClassifier.load(bilstm)


def test_weights_missing_a_tensor_are_an_error(bilstm):
    path = bilstm / "model.safetensors"
    tensors = load_file(path)
    tensors.pop("head.weight")
    save_file(tensors, str(path))
    with pytest.raises(ArtifactError, match="head.weight is missing"):
        TextClassifier.load(bilstm)


@pytest.mark.parametrize("content", ['{"tokens": 5}', "5", '["<pad>", "<unk>"]', '{"tokens": ["<pad>", "<unk>", 3]}',
                                     '{"tokens": ["<pad>", "<unk>", "a", "a"]}', '{"tokens": ["a", "b"]}', "{oops"])
def test_mangled_vocabularies_are_one_clear_error(bilstm, content):
    (bilstm / "vocab.json").write_text(content)
    with pytest.raises(ArtifactError, match="vocab"):
        TextClassifier.load(bilstm)


@pytest.mark.parametrize("edit", [
    lambda c: c.update(model=[1]),
    lambda c: c["model"].update(params=[1]),
    lambda c: c["model"].update(name=7),
    lambda c: c["encoder"].update(params="x"),
    lambda c: c.update(training=None),
    lambda c: c.update(augment=[1]),
    lambda c: c.update(best_epoch="2"),
    lambda c: c["training"].update(epochs="many"),
    lambda c: c["model"]["params"].update(no_such_param=1),
    lambda c: c.update(format_version="1"),
    lambda c: c.update(task=["single_label"]),
    lambda c: c.update(distributed=None),
])
def test_malformed_config_sections_are_one_clear_error(bilstm, edit):
    edit_config(bilstm, edit)
    with pytest.raises(ArtifactError, match="config.json"):
        TextClassifier.load(bilstm)


def test_a_header_claiming_more_than_the_file_holds_is_an_error(bilstm):
    path = bilstm / "model.safetensors"
    data = path.read_bytes()
    size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + size])
    name = next(k for k in header if k != "__metadata__")
    header[name]["data_offsets"][1] += 10**9
    blob = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(blob)) + blob + data[8 + size:])
    with pytest.raises(ArtifactError, match="model.safetensors"):
        TextClassifier.load(bilstm)
