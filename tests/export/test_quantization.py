"""int8 recipes: the nodes a recipe keeps float stay float in the written graph, and the export records them."""
import json

import onnx
import pytest

from textclass.export.quantization import (Int8Recipe, embedding_nodes, head_node, nodes_after, quantize_int8,
                                           recipe_for)


def weight_types(path) -> dict[str, str]:
    graph = onnx.load(str(path)).graph
    return {tensor.name: onnx.TensorProto.DataType.Name(tensor.data_type) for tensor in graph.initializer}


def test_the_head_and_the_embedding_table_are_found(exported):
    model = onnx.load(str(exported("bilstm") / "model.onnx"))
    nodes = {node.name: node for node in model.graph.node}
    assert nodes[head_node(model)].input[1] == "model.head.weight"
    (embedding,) = embedding_nodes(model)
    assert nodes[embedding].input[0] == "model.embedding.weight"


@pytest.mark.parametrize("setting, kept_tensor", [("float_head", "model.head.weight"),
                                                  ("float_embeddings", "model.embedding.weight")])
def test_a_recipe_keeps_its_nodes_float_and_quantizes_the_rest(exported, tmp_path, setting, kept_tensor):
    fp32 = exported("bilstm") / "model.onnx"
    quantize_int8(fp32, tmp_path / "all.onnx", Int8Recipe())
    assert kept_tensor not in weight_types(tmp_path / "all.onnx")  # quantized by default: renamed, in int8
    done = quantize_int8(fp32, tmp_path / "some.onnx", Int8Recipe(**{setting: True}))
    types = weight_types(tmp_path / "some.onnx")
    # A Gemm's weight is stored transposed by the quantizer ("<weight>_Transposed"), float when kept float.
    kept = {name: kind for name, kind in types.items() if name.startswith(kept_tensor)}
    assert kept and set(kept.values()) == {"FLOAT"}, kept
    assert list(done["kept_float"].values()) == ["classifier head" if setting == "float_head" else "embedding table"]
    assert any(name.endswith("_quantized") for name in types)  # the LSTMs still are int8


def test_nodes_reading_a_gelu_are_the_transformer_feed_forward_outputs(exported):
    model = onnx.load(str(exported("transformer") / "model.onnx"))
    found = nodes_after(model, ("Gelu",))
    assert len(found) == 6 and set(found.values()) == {"Gelu"}  # one per layer of MiniLM-L6
    assert {node.op_type for node in model.graph.node if node.name in found} == {"MatMul"}


@pytest.mark.parametrize("name", ["bilstm"])
def test_an_int8_export_records_its_family_recipe(exported, family_run, name):
    manifest = json.loads((exported(name, "int8") / "export.json").read_text())
    clf, _ = family_run(name)
    assert manifest["quantization"]["recipe"] == recipe_for(clf.model_.registry_name).to_dict()
    assert set(manifest["quantization"]["kept_float"].values()) <= {"classifier head", "embedding table",
                                                                    "reads a Gelu"}


def test_weights_the_exporter_left_unfolded_reach_the_quantizer_as_weights(topics, tmp_path):
    """Past 8,192 values the exporter leaves an LSTM's weights as Unsqueeze(weight): folded before
    quantizing, every LSTM is quantized (they are most of a BiLSTM's bytes)."""
    from textclass import TextClassifier
    from textclass.export import export_onnx
    from textclass.export.quantization import _fold_weights

    clf = TextClassifier("bilstm", progress=False, seed=0, epochs=1, batch_size=16, embedding_dim=48,
                         hidden_dim=48, num_layers=1, min_freq=1).fit(topics[0])
    fp32 = export_onnx(clf.save(tmp_path / "run"), tmp_path / "fp32") / "model.onnx"
    model = onnx.load(str(fp32))
    weights = {tensor.name for tensor in model.graph.initializer}
    lstms = [node for node in model.graph.node if node.op_type == "LSTM"]
    assert lstms and not any(node.input[1] in weights for node in lstms)  # what the exporter gives
    folded = _fold_weights(model)
    weights = {tensor.name for tensor in folded.graph.initializer}
    assert all(node.input[1] in weights and node.input[2] in weights
               for node in folded.graph.node if node.op_type == "LSTM")
    quantize_int8(fp32, tmp_path / "int8.onnx", Int8Recipe(op_types=("LSTM",)))
    ops = {node.op_type for node in onnx.load(str(tmp_path / "int8.onnx")).graph.node}
    assert "DynamicQuantizeLSTM" in ops and "LSTM" not in ops


def test_the_transformer_recipe_quantizes_weights_only_and_keeps_the_labels(exported, topics, tmp_path):
    """MatMul weights in 8 bits with a scale per block, activations and embedding tables in float."""
    import shutil

    import numpy as np

    from textclass.runtime import OnnxPredictor

    from .conftest import probe_texts

    fp32 = exported("transformer")
    int8 = shutil.copytree(fp32, tmp_path / "int8")
    quantize_int8(fp32 / "model.onnx", int8 / "model.onnx", recipe_for("transformer_v1"))
    ops = {node.op_type for node in onnx.load(str(int8 / "model.onnx")).graph.node}
    assert "MatMulNBits" in ops and "MatMulInteger" not in ops
    assert weight_types(int8 / "model.onnx")["model.hf.bert.embeddings.word_embeddings.weight"] == "FLOAT"
    # The word embeddings (half of MiniLM's bytes) stay float; every MatMul weight is a quarter of its size.
    assert (int8 / "model.onnx").stat().st_size < 0.75 * (fp32 / "model.onnx").stat().st_size
    texts = probe_texts(topics[1].texts)
    expected = OnnxPredictor(fp32).predict_proba(texts)
    got = OnnxPredictor(int8).predict_proba(texts)
    assert np.abs(got - expected).max() < 0.02
    assert (got.argmax(1) == expected.argmax(1)).mean() >= 0.95  # this tiny model's probabilities are near-ties


def test_bilstm_attn_keeps_its_lstms_float(exported):
    ops = {node.op_type for node in onnx.load(str(exported("bilstm_attn", "int8") / "model.onnx")).graph.node}
    assert "LSTM" in ops and "DynamicQuantizeLSTM" not in ops
