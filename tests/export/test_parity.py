"""ONNX against PyTorch for every model family: probabilities within 1e-4 (fp32), labels under int8."""
import numpy as np
import onnx
import pytest

from textclass.runtime import OnnxPredictor

from .conftest import FAMILIES, probe_texts

TOLERANCE = 1e-4


@pytest.mark.parametrize("name", FAMILIES)
def test_fp32_probabilities_match_torch(name, family_run, exported, topics):
    clf, _ = family_run(name)
    predictor = OnnxPredictor(exported(name))
    texts = probe_texts(topics[1].texts)
    expected = clf.predict_proba(texts)
    # Batch sizes 1, 7 and the default: batches of every length mix, and each text alone.
    for batch_size in (1, 7, None):
        got = predictor.predict_proba(texts, batch_size=batch_size)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE)
    assert predictor.predict(texts) == clf.predict(texts)
    assert predictor.labels == clf.labels_


@pytest.mark.parametrize("name", FAMILIES)
def test_graph_has_dynamic_batch_and_length_axes(name, exported):
    graph = onnx.load(str(exported(name) / "model.onnx")).graph
    shapes = {t.name: [d.dim_param or d.dim_value for d in t.type.tensor_type.shape.dim] for t in graph.input}
    assert set(shapes) == {"ids", "lengths"}
    assert all(isinstance(d, str) and d for dims in shapes.values() for d in dims), shapes
    assert [o.name for o in graph.output] == ["probabilities"]


@pytest.mark.parametrize("name", ["ngram", "bilstm_attn", "cnn"])
def test_int8_labels_agree_with_fp32(name, exported, topics):
    texts = probe_texts(topics[1].texts)
    fp32 = OnnxPredictor(exported(name)).predict_proba(texts)
    int8 = OnnxPredictor(exported(name, "int8")).predict_proba(texts)
    assert (int8.argmax(1) == fp32.argmax(1)).mean() >= 0.95
    np.testing.assert_allclose(int8.sum(1), 1.0, atol=1e-5)
    assert (exported(name, "int8") / "model.onnx").stat().st_size < (exported(name) / "model.onnx").stat().st_size


def test_transformer_runtime_tokenizes_like_transformers(family_run, exported, topics):
    """The runtime reads tokenizer.json with `tokenizers`; ids (head+tail truncation included) must match."""
    from textclass.runtime.encoders import load_runtime_encoder

    clf, _ = family_run("transformer")
    folder = exported("transformer")
    runtime = load_runtime_encoder(folder, clf.config()["encoder"])
    texts = probe_texts(topics[1].texts) + ["Ünïcödé naïve café — “quoted” 😀"]
    ours, theirs = runtime.encode(texts), clf.encoder_.encode(texts)
    np.testing.assert_array_equal(ours.offsets, theirs.offsets)
    np.testing.assert_array_equal(ours.values, theirs.values)
    assert ours.lengths.max() == 32  # the long text was cut to max_len
