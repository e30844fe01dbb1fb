import pytest
import torch

from textclass.batching import Batch
from textclass.classifier import TextClassifier
from textclass.errors import ConfigError
from textclass.models.cnn import CNNClassifier, parse_kernel_sizes


@pytest.fixture(scope="module")
def fitted(fitted_model):
    return fitted_model("cnn")


def test_texts_shorter_than_the_widest_kernel(fitted):
    assert fitted.predict(["good", "bad"]) == ["pos", "neg"]
    assert len(fitted.predict(["", "!"])) == 2  # both encode to a single <unk>


def test_pooling_ignores_padding_positions():
    torch.manual_seed(0)
    model = CNNClassifier(vocab_size=20, num_classes=2, embedding_dim=8, kernel_sizes="2,3", num_filters=4).eval()
    # Padding embeds to zero, but a convolution's bias makes a window over it non-zero: it must not count.
    with torch.no_grad():
        for conv in model.convs:
            conv.bias.fill_(5.0)
        ids = torch.tensor([[5, 6, 7, 0, 0, 0, 0, 0]])
        padded = model(Batch(ids, torch.tensor([3])))
        exact = model(Batch(ids[:, :3], torch.tensor([3])))
    torch.testing.assert_close(padded, exact)


def test_kernel_sizes_from_string_or_sequence():
    assert parse_kernel_sizes("3,4,5") == (3, 4, 5)
    assert parse_kernel_sizes(" 2, 7 ") == (2, 7)
    assert parse_kernel_sizes((1, 2)) == (1, 2)
    model = CNNClassifier(vocab_size=10, num_classes=3, kernel_sizes="2,6", num_filters=5)
    assert [conv.kernel_size[0] for conv in model.convs] == [2, 6]
    assert model.head.in_features == 10


@pytest.mark.parametrize("bad", ["", "3,x", "0,3", "3,,4"])
def test_bad_kernel_sizes_are_config_errors(bad, sentiment_task):
    with pytest.raises(ConfigError, match="kernel_sizes"):
        TextClassifier("cnn", kernel_sizes=bad, progress=False).fit(sentiment_task(20, 0))


def test_early_stopping_is_the_default_and_zero_patience_turns_it_off():
    assert TextClassifier("cnn").training_config().patience == 2
    assert TextClassifier("cnn", patience=0).training_config().patience == 0
