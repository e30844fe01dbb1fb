"""Export-facing modules: each takes the ONNX inputs (``ids``, ``lengths``) and returns probabilities.

A model whose ``forward`` the exporter traces as it stands gets a thin wrapper (``PaddedGraph``). The ``ngram``
model's ``nn.EmbeddingBag`` with per-sample weights has no ONNX counterpart, so ``NgramGraph`` computes the
same function with gather, multiply and a scatter-add per text, from the model's own parameters (never a
copy of them); the export checks both against each other on real texts.
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

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.model(Batch(ids, lengths)), dim=-1)


class NgramGraph(nn.Module):
    """``NgramClassifier``'s prediction over flat ids [total] and lengths [batch] -> probabilities.

    ``EmbeddingBag(ids, offsets, per_sample_weights)`` in ``sum`` mode is, per text, the sum of its rows
    scaled by their weights: gather the rows, scale them, and add each into its text's slot. Which text an
    id belongs to is computed in the graph from ``lengths`` (a mark at each text's end, then a running sum),
    so the graph's inputs are the same as the model's.
    """

    def __init__(self, model: NgramClassifier):
        super().__init__()
        self.model = model

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        model = self.model
        batch = lengths.shape[0]
        ends = lengths.cumsum(0)
        # Texts without features end where the previous one did; scatter-add counts each of them.
        marks = torch.zeros(ids.shape[0] + 1, dtype=lengths.dtype).scatter_add(0, ends, torch.ones_like(ends))
        text_of = marks.cumsum(0)[:-1]
        weights = lengths.clamp(min=1).float().rsqrt().index_select(0, text_of)
        if model.feature_weights is not None:
            weights = weights * model.feature_weights.index_select(0, ids)
        table = model.embedding.weight
        rows = table.index_select(0, ids) * weights.unsqueeze(1)
        bags = torch.zeros(batch, table.shape[1], dtype=table.dtype).index_add(0, text_of, rows)
        bags = bags.view(batch, model.members, model.width)
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
