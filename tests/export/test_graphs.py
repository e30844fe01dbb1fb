"""The ngram model's export-only module computes the model's own function (checked in PyTorch, no ONNX)."""
import numpy as np
import pytest
import torch

from textclass.batching import EncodedSplit, collate
from textclass.export.graphs import NgramGraph, graph_for
from textclass.models.ngram import NgramClassifier
from textclass.text.ragged import RaggedIds


@pytest.mark.parametrize("members,nb", [(1, False), (4, True)])
def test_ngram_graph_equals_the_model(members, nb):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    features, classes = 50, 3
    weights = rng.random(features).astype(np.float32) if nb else None
    model = NgramClassifier(features, classes, weights, hidden_dim=8, members=members).eval()
    torch.nn.init.normal_(model.embedding.weight)  # the model starts at zero, which would prove nothing
    # Empty texts first, in the middle and last: all padding, which must weigh nothing.
    ids = RaggedIds.from_lists([[], [3, 7, 7, 1], [], [], [0], list(range(40)), [49, 2], []])
    bag = collate(EncodedSplit(ids), np.arange(len(ids)), "bag")
    padded = collate(EncodedSplit(ids), np.arange(len(ids)), "padded")
    with torch.no_grad():
        expected = torch.softmax(model(bag), dim=-1)
        got = NgramGraph(model)(padded.ids, padded.lengths)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-6)


def test_a_model_without_a_graph_is_refused():
    from textclass.errors import ConfigError

    model = torch.nn.Linear(2, 2)
    model.registry_name, model.input_format = "odd_v1", "sparse"
    with pytest.raises(ConfigError, match="no ONNX export"):
        graph_for(model)
