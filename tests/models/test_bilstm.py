import numpy as np
import pytest
import torch

from textclass.batching import Batch
from textclass.models import MODELS, model_hyperparameters
from textclass.models.bilstm import BiLSTMClassifier

VOCAB = 50


def model(**kwargs) -> BiLSTMClassifier:
    torch.manual_seed(0)
    params = dict(vocab_size=VOCAB, num_classes=3, embedding_dim=8, hidden_dim=6, num_layers=2, dropout=0.0)
    return BiLSTMClassifier(**{**params, **kwargs}).eval()


def batch_of(*seqs, pad_id=0) -> Batch:
    width = max(map(len, seqs))
    ids = torch.tensor([list(s) + [pad_id] * (width - len(s)) for s in seqs])
    return Batch(ids, torch.tensor([len(s) for s in seqs]))


SHORT = [3, 4, 5]
LONG = list(range(6, 46))


@torch.no_grad()
def test_packing_makes_a_prediction_independent_of_the_batch():
    m = model(pack=True)
    alone = m(batch_of(SHORT))[0]
    with_long_first = m(batch_of(LONG, SHORT))[1]
    with_long_after = m(batch_of(SHORT, LONG))[0]  # unsorted lengths: outputs must come back in input order
    torch.testing.assert_close(with_long_first, alone, rtol=0, atol=1e-6)
    torch.testing.assert_close(with_long_after, alone, rtol=0, atol=1e-6)
    torch.testing.assert_close(m(batch_of(SHORT, LONG))[1], m(batch_of(LONG))[0], rtol=0, atol=1e-6)


@torch.no_grad()
def test_without_packing_padding_leaks_into_the_prediction():
    m = model(pack=False)
    alone = m(batch_of(SHORT))[0]
    padded = m(batch_of(LONG, SHORT))[1]
    assert (padded - alone).abs().max() > 1e-3
    # Same weights with packing switched on: the defect is the padding, nothing else.
    m.lstm.respect_lengths = True
    torch.testing.assert_close(m(batch_of(LONG, SHORT))[1], alone, rtol=0, atol=1e-6)


@pytest.mark.parametrize("bidirectional, num_layers", [(True, 1), (True, 2), (False, 1), (False, 3)])
def test_output_shape(bidirectional, num_layers):
    m = model(bidirectional=bidirectional, num_layers=num_layers, num_classes=5)
    logits = m(batch_of(SHORT, LONG, [7]))
    assert logits.shape == (3, 5)
    assert m.head.in_features == 6 * (2 if bidirectional else 1)
    assert torch.isfinite(logits).all()


@torch.no_grad()
def test_unidirectional_reads_the_last_layer_state():
    m = model(bidirectional=False, num_layers=2)
    ids = torch.tensor([SHORT])
    states, final = m.lstm(m.embedding(ids), torch.tensor([len(SHORT)]))
    torch.testing.assert_close(final, states[:, -1])
    torch.testing.assert_close(m(batch_of(SHORT)), m.head(final))


def test_padding_row_gets_no_gradient():
    m = model()
    m.train()
    loss = m(Batch(batch_of(LONG, SHORT).ids, torch.tensor([len(LONG), len(SHORT)]))).sum()
    loss.backward()
    grad = m.embedding.weight.grad
    assert grad[0].abs().sum() == 0
    assert grad[SHORT].abs().sum() > 0


def test_defaults_are_the_tutorials():
    defaults = model_hyperparameters("bilstm")
    for key, value in {"embedding_dim": 128, "hidden_dim": 256, "num_layers": 2, "dropout": 0.5,
                       "bidirectional": True, "pack": True}.items():
        assert defaults[key] == value
    m = BiLSTMClassifier(vocab_size=VOCAB, num_classes=2)
    assert m.lstm.between_layers.p == 0.5 and len(m.lstm.forward_layers) == 2 and m.lstm.bidirectional
    assert BiLSTMClassifier(vocab_size=VOCAB, num_classes=2, num_layers=1).lstm.between_layers.p == 0.0


def test_registered_under_versioned_name():
    assert MODELS.get("bilstm") is BiLSTMClassifier
    assert MODELS.canonical("bilstm") == "bilstm_v1" == BiLSTMClassifier.registry_name
    assert BiLSTMClassifier.input_format == "padded"
    assert BiLSTMClassifier.encoder["name"] == "vocab_v1"


@torch.no_grad()
def test_dropout_only_in_training_mode():
    m = model(dropout=0.5, num_layers=2)
    b = batch_of(SHORT, LONG)
    m.eval()
    assert np.array_equal(m(b).numpy(), m(b).numpy())
    m.train()
    torch.manual_seed(1)
    first = m(b)
    assert not torch.equal(first, m(b))
