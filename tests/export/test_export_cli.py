"""`textclass export` and `textclass predict --backend onnx` through the CLI."""
import json
import shutil

import pytest

from textclass.export import export_onnx


def assert_clean_failure(result, *fragments):
    assert result.code == 2, (result.code, result.err)
    assert "Traceback" not in result.err
    for fragment in fragments:
        assert fragment in result.err, (fragment, result.err)


def test_export_then_predict_with_either_backend(cli, copy_of_run, family_run):
    clf, _ = family_run("ngram")
    run = copy_of_run("ngram")
    result = cli("export", run, "--format", "onnx")
    assert result.code == 0, result.err
    assert f"wrote {run / 'onnx'}" in result.out
    manifest = json.loads((run / "onnx" / "export.json").read_text())
    assert manifest["precision"] == "fp32" and manifest["model"] == "ngram_v1"
    assert manifest["check"]["max_abs_diff"] <= 1e-4
    assert sorted(p.name for p in (run / "onnx").iterdir()) == [
        "config.json", "export.json", "labels.json", "model.onnx", "ngram_features.safetensors"]
    texts = ["the bank raised the loan rate", "bake the bread in the oven", "the coach praised the team"]
    outputs = {backend: cli("predict", run, *texts, "--backend", backend) for backend in ("torch", "onnx")}
    assert outputs["onnx"].code == 0, outputs["onnx"].err
    assert outputs["onnx"].out == outputs["torch"].out  # labels and 4-digit confidences alike
    assert [line.split("\t")[0] for line in outputs["onnx"].out.splitlines()] == clf.predict(texts)

    # int8 goes to its own folder, next to the fp32 one, and predicts from it.
    result = cli("export", run, "--quantize", "int8")
    assert result.code == 0, result.err
    assert json.loads((run / "onnx-int8" / "export.json").read_text())["precision"] == "int8"
    assert (run / "onnx" / "export.json").read_text() == json.dumps(manifest, indent=2) + "\n"
    result = cli("predict", run / "onnx-int8", *texts, "--backend", "onnx")
    assert result.code == 0, result.err
    assert [line.split("\t")[0] for line in result.out.splitlines()] == clf.predict(texts)


def test_an_earlier_export_is_replaced_only_with_overwrite(cli, copy_of_run, exported, tmp_path):
    run = copy_of_run("ngram")
    out = shutil.copytree(exported("ngram"), tmp_path / "shipped")
    (out / "export.json").write_text((out / "export.json").read_text().replace('"fp32"', '"fp32", "old": 1'))
    before = (out / "export.json").read_bytes()
    assert_clean_failure(cli("export", run, "--out", out), "already holds an export", "--overwrite")
    assert (out / "export.json").read_bytes() == before
    assert cli("export", run, "--out", out, "--overwrite").code == 0
    assert "old" not in json.loads((out / "export.json").read_text())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "shipped"]  # no staging or retired folder left


def test_a_folder_that_is_not_an_export_is_never_replaced(cli, copy_of_run, tmp_path):
    run = copy_of_run("ngram")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    assert_clean_failure(cli("export", run, "--out", mine, "--overwrite"), "not a textclass ONNX export")
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    file = tmp_path / "file.onnx"
    file.write_text("x")
    assert_clean_failure(cli("export", run, "--out", file, "--overwrite"), "not a textclass ONNX export")
    assert file.read_text() == "x"


def test_a_failed_check_leaves_nothing(copy_of_run, monkeypatch):
    from textclass.errors import ArtifactError
    from textclass.export import onnx_export

    run = copy_of_run("ngram")
    # A graph that disagrees with the model: the export must refuse it and leave no folder behind.
    monkeypatch.setattr(onnx_export, "PROBE_TEXTS", ("bank loan market",))
    real = onnx_export.graph_for

    def skewed(model):
        graph = real(model)
        original = graph.forward
        graph.forward = lambda ids, lengths: original(ids, lengths).flip(-1)
        return graph

    monkeypatch.setattr(onnx_export, "graph_for", skewed)
    with pytest.raises(ArtifactError, match="differ from the PyTorch model's"):
        export_onnx(run)
    assert sorted(p.name for p in run.parent.iterdir()) == ["run"]
    assert not (run / "onnx").exists()


def test_bad_arguments(cli, copy_of_run, tmp_path):
    run = copy_of_run("ngram")
    assert_clean_failure(cli("export", tmp_path / "nowhere"), "nowhere")
    assert cli("export", run, "--quantize", "int4").code == 2  # argparse's own refusal
    assert_clean_failure(cli("predict", run, "some text", "--backend", "onnx"), "no ONNX export", "textclass export")


def test_streamed_file_prediction_is_the_same_on_either_backend(cli, family_run, exported, topic_files, tmp_path):
    _, run = family_run("ngram")
    exported("ngram")  # RUN/onnx
    outputs = {}
    for backend in ("torch", "onnx"):
        out = tmp_path / f"{backend}.csv"
        result = cli("predict", run, "--input", topic_files["test_csv"], "--text-column", "body", "--output", out,
                     "--probabilities", "--backend", backend)
        assert result.code == 0, result.err
        outputs[backend] = out.read_text(encoding="utf-8")
    assert outputs["onnx"] == outputs["torch"]  # every column, labels and 4-digit probabilities alike
    assert outputs["onnx"].splitlines()[0].startswith("id,body,queue,label,confidence")


def test_a_multi_label_run_is_refused(cli, tmp_path):
    from textclass import TextClassifier

    pairs = [("bank loan", ["finance"]), ("oven bread", ["cooking"]), ("bank bread", ["finance", "cooking"]),
             ("market stock", ["finance"]), ("flour sauce", ["cooking"]), ("loan flour", ["finance", "cooking"])] * 4
    run = TextClassifier("ngram", epochs=1, min_count=1, num_buckets=1 << 10, progress=False,
                         valid_fraction=0).fit(pairs).save(tmp_path / "run")
    assert_clean_failure(cli("export", run), "single-label", "multi-label")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
