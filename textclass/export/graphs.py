"""Export-facing modules: each takes the ONNX inputs (``ids`` [batch, length] right-padded, ``lengths``
[batch]) and returns probabilities [batch, labels].

A model whose ``forward`` the exporter traces as it stands gets a thin wrapper (``PaddedGraph``). The ``ngram``
model's ``nn.EmbeddingBag`` with per-sample weights has no ONNX counterpart, so ``NgramGraph`` computes the
same function from the model's own parameters (never a copy of them) with operators ONNX has; the export
checks the two against each other on real texts.
"""
from __future__ import annotations

import torch
from torch import nn

from ..batching import Batch
from ..errors import ConfigError
from ..models.ngram import NgramClassifier


class PaddedGraph(nn.Module):
    """A ``padded``-format model as is: ids [batch, length] and lengths [batch] -> probabilities."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def batch_positions(self) -> int | None:
        """No cap beyond the batch size: these models' activations per position are small."""
        return None

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.model(Batch(ids, lengths)), dim=-1)


ROWS_BUDGET = 1 << 19  # float32 values gathered per batch: 2 MB


class NgramGraph(nn.Module):
    """``NgramClassifier``'s prediction over padded feature rows ids [batch, length] and lengths [batch].

    ``EmbeddingBag(ids, offsets, per_sample_weights)`` in ``sum`` mode is, per text, the sum of its rows scaled
    by their weights. ONNX has no such operator; a flat layout with a scatter-add per text exports, but
    onnxruntime runs that scatter element by element, ten times slower than PyTorch (measured on BANKING77).
    Padded, the same sum is one batched matrix product: each text's weights (zero at padding) times its rows.
    """

    def __init__(self, model: NgramClassifier):
        super().__init__()
        self.model = model
        # The features x (members * width) table as a tensor of its own (a view: no copy), so the graph gathers
        # from a stored table, which the int8 quantizer shrinks, not from a reshape of the member rows.
        self.register_buffer("table", model.feature_rows().detach(), persistent=False)

    def batch_positions(self) -> int | None:
        """The most padded positions a batch should hold: the rows gathered for a batch stay within about 2 MB,
        where onnxruntime is fastest (on BANKING77's 256-wide rows, 16 texts a batch ran 7,500 texts/s and
        512 texts 1,600)."""
        return max(1, ROWS_BUDGET // self.table.shape[1])

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        model = self.model
        real = torch.arange(ids.shape[1], device=ids.device) < lengths.unsqueeze(1)
        weights = lengths.clamp(min=1).float().rsqrt().unsqueeze(1) * real
        # Gather (not the GatherND that indexing exports to): the int8 quantizer shrinks a Gather's table.
        flat = ids.reshape(-1)
        if model.feature_weights is not None:
            weights = weights * model.feature_weights.index_select(0, flat).view(ids.shape)
        table = self.table
        rows = table.index_select(0, flat).view(ids.shape[0], ids.shape[1], table.shape[1])
        bags = torch.bmm(weights.unsqueeze(1), rows).view(ids.shape[0], model.members, model.width)
        logits = torch.einsum("bmw,mwc->bmc", bags, model.head_weight) + model.head_bias
        return torch.softmax(torch.log_softmax(logits, dim=-1).mean(1), dim=-1)


# Models whose forward cannot be traced as it stands, by registry name; the rest use their input format's graph.
SPECIAL_GRAPHS = {"ngram_v1": NgramGraph}
FORMAT_GRAPHS = {"padded": PaddedGraph}


def graph_for(model: nn.Module) -> nn.Module:
    """The module to export for ``model`` (in eval mode)."""
    graph = SPECIAL_GRAPHS.get(model.registry_name) or FORMAT_GRAPHS.get(model.input_format)
    if graph is None:
        raise ConfigError(f"model {model.registry_name!r} (input format {model.input_format!r}) has no ONNX export")
    return graph(model.eval()).eval()
