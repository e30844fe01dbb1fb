"""The runtime predicts without PyTorch, refuses what it cannot read, and stands in for TextClassifier."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from textclass.errors import ArtifactError, ConfigError
from textclass.runtime import OnnxPredictor, find_export, load_predictor

ROOT = Path(__file__).resolve().parents[2]

TORCH_FREE = """
import json, sys
from textclass.runtime import load_predictor
predictor = load_predictor(sys.argv[1], "onnx")
labels = predictor.predict(json.loads(sys.argv[2]))
import textclass  # the package itself must not pull torch in either
print(json.dumps({"labels": labels, "torch": "torch" in sys.modules,
                  "transformers": "transformers" in sys.modules}))
"""


@pytest.mark.parametrize("name", ["ngram", "bilstm", "transformer"])  # hashed, vocabulary, HF tokenizer
def test_predicting_never_imports_torch(name, family_run, exported, topics):
    clf, _ = family_run(name)
    texts = topics[1].texts[:5]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", TORCH_FREE, str(exported(name)), json.dumps(texts)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"labels": clf.predict(texts), "torch": False, "transformers": False}


def test_load_predictor_backends(family_run, exported):
    clf, run = family_run("ngram")
    folder = exported("ngram")
    assert find_export(run) == folder == find_export(folder)  # a run finds its default export inside it
    onnx = load_predictor(run, "onnx")
    torch_backend = load_predictor(run, "torch")
    assert isinstance(onnx, OnnxPredictor) and type(torch_backend).__name__ == "TextClassifier"
    assert onnx.labels_ == torch_backend.labels_ == clf.labels_
    with pytest.raises(ConfigError, match="backend must be one of torch, onnx"):
        load_predictor(run, "tensorflow")


def test_a_run_without_export_says_how_to_make_one(copy_of_run):
    run = copy_of_run("ngram")
    with pytest.raises(ArtifactError, match="no ONNX export.*textclass export"):
        load_predictor(run, "onnx")


def test_edge_inputs(exported):
    predictor = OnnxPredictor(exported("bilstm"))
    assert predictor.predict_proba([]).shape == (0, len(predictor.labels))
    assert predictor.predict([]) == []
    with pytest.raises(TypeError, match="not a single string"):
        predictor.predict("one text")
    with pytest.raises(TypeError, match="text 1 is int"):
        predictor.predict(["fine", 3])
    with pytest.raises(ConfigError, match="runs on the CPU"):
        predictor.predict(["x"], device="cuda")


@pytest.mark.parametrize("damage,message", [
    (lambda d: (d / "export.json").unlink(), "not a textclass ONNX export"),
    (lambda d: (d / "export.json").write_text("{\"format\": \"other\"}"), "not an export this textclass reads"),
    (lambda d: (d / "export.json").write_text("{not json"), "cannot read"),
    (lambda d: (d / "model.onnx").unlink(), "damaged or missing"),
    (lambda d: (d / "labels.json").write_text("{}"), "expected a list of label names"),
    (lambda d: (d / "vocab.json").unlink(), "missing vocab.json"),
])
def test_damaged_export_is_refused_with_one_clear_error(damage, message, exported, tmp_path):
    folder = shutil.copytree(exported("bilstm"), tmp_path / "export")
    damage(folder)
    with pytest.raises(ArtifactError, match=message):
        OnnxPredictor(folder)


def test_the_runs_temperature_and_threshold_apply_to_the_onnx_backend(exported, topics, tmp_path):
    import numpy as np


    folder = shutil.copytree(exported("ngram"), tmp_path / "export")
    config = json.loads((folder / "config.json").read_text())
    config["calibration"] = {"temperature": 2.5, "fitted_on": "validation"}
    (folder / "config.json").write_text(json.dumps(config))
    texts = topics[1].texts[:20]
    raw = OnnxPredictor(exported("ngram")).predict_proba(texts)
    calibrated = OnnxPredictor(folder).predict_proba(texts)
    expected = np.exp(np.log(raw) / 2.5)
    np.testing.assert_allclose(calibrated, expected / expected.sum(1, keepdims=True), atol=1e-5)
    assert OnnxPredictor(folder).predict(texts, abstain_below=1.0) == ["uncertain"] * len(texts)
