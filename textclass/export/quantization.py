"""int8 recipes: which operators of an fp32 graph onnxruntime's dynamic quantization turns to int8, per family.

Dynamic quantization stores a quantized operator's weights as int8 and quantizes its input activations per
call (one scale for the whole batch), so every quantized operator adds rounding to the probabilities. Where
the labels must stay those of fp32 (the issue asks >= 99.5% agreement), each family keeps float what its
labels are most sensitive to and quantizes what holds its bytes. The choices, and the agreement each recipe
gave on 1,000 IMDB test reviews, are in BENCHMARKS.md ("Export: ONNX and int8"), measured with
``benchmarks/bench_export_int8.py``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

WEIGHTED_OPS = ("MatMul", "Gemm", "Einsum", "Conv", "LSTM", "GRU", "Attention")


@dataclass(frozen=True)
class Int8Recipe:
    """``op_types``: the operator types quantized. ``per_channel``: one weight scale per output channel instead
    of one per tensor. ``reduce_range``: 7-bit weights (avoids int16 overflow in some CPUs' int8 kernels).
    ``float_head``: the classifier's last weighted layer stays float (its outputs are the logits themselves).
    ``float_embeddings``: embedding tables (``Gather`` on a weight) stay float. ``float_after``: nodes that
    read the output of an operator of these types stay float (``("Gelu",)``: a transformer's feed-forward
    down-projection, whose input is wide and skewed, badly served by one uint8 scale per batch).
    ``weight_only_matmul``: MatMul weights become 8-bit with a scale per block of 32 values and are expanded
    back to float inside the product (onnxruntime's ``MatMulNBits``), so activations are never quantized; the
    other ``op_types`` (except MatMul) get dynamic quantization as usual."""

    op_types: tuple[str, ...] = ("MatMul", "Gemm", "Gather", "LSTM", "Attention")
    per_channel: bool = False
    reduce_range: bool = False
    float_head: bool = False
    float_embeddings: bool = False
    float_after: tuple[str, ...] = ()
    weight_only_matmul: bool = False

    def to_dict(self) -> dict:
        return {"op_types": list(self.op_types), "per_channel": self.per_channel, "reduce_range": self.reduce_range,
                "float_head": self.float_head, "float_embeddings": self.float_embeddings,
                "float_after": list(self.float_after), "weight_only_matmul": self.weight_only_matmul}


def quantize_int8(fp32_path: Path, int8_path: Path, recipe: Int8Recipe) -> dict:
    """Writes the int8 graph of ``fp32_path`` to ``int8_path``; returns which nodes were kept float and why."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = _fold_weights(onnx.load(str(fp32_path), load_external_data=False))
    excluded = {}
    if recipe.float_head:
        head = head_node(model)
        if head is not None:
            excluded[head] = "classifier head"
    if recipe.float_embeddings:
        excluded.update({name: "embedding table" for name in embedding_nodes(model)})
    if recipe.float_after:
        excluded.update({name: f"reads a {op}" for name, op in nodes_after(model, recipe.float_after).items()})
    # Conv stays float whatever the recipe: onnxruntime's CPU ConvInteger takes uint8 weights only, and signed
    # int8 is the precision the other operators want.
    # The dynamic quantizer first rewrites each Gemm as a MatMul named "<gemm>_MatMul" (and an Add), then picks
    # nodes by name: a Gemm kept float is excluded under both names.
    gemms = {node.name for node in model.graph.node if node.op_type == "Gemm"}
    names = sorted({*excluded, *(f"{name}_MatMul" for name in excluded if name in gemms)})
    op_types = list(recipe.op_types)
    if recipe.weight_only_matmul:
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

        weight_only = MatMulNBitsQuantizer(model, bits=8, block_size=32, is_symmetric=True,
                                           nodes_to_exclude=names, op_types_to_quantize=("MatMul",))
        weight_only.process()
        model = weight_only.model.model
        op_types = [op for op in op_types if op != "MatMul"]
    folded = Path(int8_path).with_name(Path(int8_path).stem + ".folded.onnx")
    onnx.save(model, str(folded))
    try:
        quantize_dynamic(str(folded), str(int8_path), weight_type=QuantType.QInt8,
                         op_types_to_quantize=op_types, per_channel=recipe.per_channel,
                         reduce_range=recipe.reduce_range, nodes_to_exclude=names)
    finally:
        folded.unlink(missing_ok=True)
    return {"recipe": recipe.to_dict(), "kept_float": excluded}


def _fold_weights(model):
    """The graph with every computation on weights alone done ahead of time, whatever its size.

    The exporter folds such computations only for small tensors (onnxscript's limit: 8,192 values), so a
    real BiLSTM reaches its LSTM nodes as ``Unsqueeze(weight)``: not a weight the quantizer can see, and its
    LSTMs (most of its bytes) stayed float. Folded, they are stored weights like any other.
    """
    import sys

    from onnxscript.optimizer import optimize

    return optimize(model, input_size_limit=sys.maxsize, output_size_limit=sys.maxsize)


def head_node(model) -> str | None:
    """The last weighted node in the graph's (topological) order: the layer that produces the logits."""
    weights = {tensor.name for tensor in model.graph.initializer}
    weighted = [node for node in model.graph.node
                if node.op_type in WEIGHTED_OPS and any(name in weights for name in node.input)]
    return weighted[-1].name if weighted else None


def embedding_nodes(model) -> list[str]:
    """``Gather`` nodes that look rows up in a weight: the embedding tables."""
    weights = {tensor.name for tensor in model.graph.initializer}
    return [node.name for node in model.graph.node if node.op_type == "Gather" and node.input
            and node.input[0] in weights]


def nodes_after(model, op_types: tuple[str, ...]) -> dict[str, str]:
    """Weighted nodes with an input produced by a node of one of ``op_types``: name -> that op type."""
    producer = {output: node.op_type for node in model.graph.node for output in node.output}
    found = {}
    for node in model.graph.node:
        if node.op_type in WEIGHTED_OPS:
            for name in node.input:
                if producer.get(name) in op_types:
                    found[node.name] = producer[name]
    return found


# Per family (the model's registry name); a family not named here gets ``Int8Recipe()``. Measured on 1,000
# IMDB test reviews (bench_export_int8.py; BENCHMARKS.md), labels the same as fp32's: ngram 99.9%, cnn 99.7%,
# bilstm 99.7% with everything quantized. bilstm_attn: 99.4% with everything, 99.6% with its LSTMs float. The
# transformer: 95.5-97.8% under dynamic quantization whatever was kept float, its activations quantized with
# one scale per batch being what moved its labels; 99.5% with MatMul weights only in int8 and its embedding
# tables float (a single scale over the 30,522-row table alone cost 0.7 points of agreement).
RECIPES: dict[str, Int8Recipe] = {
    "bilstm_attn_v1": Int8Recipe(op_types=("MatMul", "Gemm", "Gather", "Attention")),
    "transformer_v1": Int8Recipe(weight_only_matmul=True, float_embeddings=True),
}


def recipe_for(model_name: str) -> Int8Recipe:
    return RECIPES.get(model_name, Int8Recipe())
