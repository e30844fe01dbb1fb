"""The ngram family's data rules, the class-prior shift, and many classes."""
import logging
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from textclass.classifier import TextClassifier
from textclass.data.shape import DataShape
from textclass.models.ngram import SAMPLED_ABOVE, NgramClassifier
from textclass.models.ngram_defaults import MANY_CLASSES, ngram_data_defaults
from textclass.text.ngram_encoder import CHAR_AUTO_MAX_CHARS, CHAR_AUTO_MAX_MEDIAN_CHARS, NgramEncoder
from textclass.training.balance import choose_shift, class_offsets
from textclass.training.objectives import OBJECTIVES

FAST = dict(epochs=3, batch_size=16, num_buckets=1 << 16, progress=False)


def test_one_huge_text_does_not_switch_character_ngrams_off():
    texts = ["a short review of a product"] * 200 + ["x" * (CHAR_AUTO_MAX_CHARS + 1)]
    shape = DataShape.of(texts, np.zeros(len(texts), dtype=np.int64))
    assert shape.typical_total_chars < CHAR_AUTO_MAX_CHARS
    assert ngram_data_defaults(shape)["char_ngrams"][0] == "3-5"
    many_long = ["y" * 30_000] * 200
    assert ngram_data_defaults(DataShape.of(many_long, np.zeros(200, dtype=np.int64)))["char_ngrams"][0] == "off"


def test_long_texts_switch_character_ngrams_off_whatever_their_total():
    """The median text decides: a few long texts among short ones leave characters on, mostly long ones not."""
    long_text = "word " * (CHAR_AUTO_MAX_MEDIAN_CHARS // 5 + 1)
    labels = np.zeros(200, dtype=np.int64)
    mostly_long = DataShape.of([long_text] * 101 + ["short text"] * 99, labels)
    assert mostly_long.typical_total_chars < CHAR_AUTO_MAX_CHARS
    value, why = ngram_data_defaults(mostly_long)["char_ngrams"]
    assert value == "off" and "median text length" in why
    mostly_short = DataShape.of([long_text] * 99 + ["short text"] * 101, labels)
    assert ngram_data_defaults(mostly_short)["char_ngrams"][0] == "3-5"


def test_the_encoders_own_auto_follows_the_same_rule():
    long_text = "word " * (CHAR_AUTO_MAX_MEDIAN_CHARS // 5 + 1)
    encoder = NgramEncoder(num_buckets=1 << 12)
    encoder.fit([long_text, long_text + "again", "short"], np.array([0, 1, 0]))
    assert encoder.char_ngrams == "off"
    encoder = NgramEncoder(num_buckets=1 << 12)
    encoder.fit(["short", "short too", long_text], np.array([0, 1, 0]))
    assert encoder.char_ngrams == "3-5"


def test_data_shape_counts_classes_and_their_balance():
    shape = DataShape.of(["a", "bb", "ccc", "dddd"], np.array([0, 0, 0, 2]))
    assert (shape.texts, shape.classes, shape.smallest_class, shape.largest_class) == (4, 2, 1, 3)
    assert shape.imbalance == 3 and shape.median_chars == 2.5


def test_many_classes_get_one_member():
    shape = DataShape(texts=10_000, classes=MANY_CLASSES + 1, median_chars=50, q90_chars=80,
                      typical_total_chars=500_000, smallest_class=5, largest_class=20)
    assert ngram_data_defaults(shape)["members"][0] == 1


def test_rules_fill_only_unset_settings_and_config_records_why(sentiment_task):
    clf = TextClassifier("ngram", **FAST, char_ngrams="off").fit(sentiment_task(200, 1))
    defaults = clf.config()["defaults"]
    assert "char_ngrams" not in defaults and clf.encoder_.char_ngrams == "off"
    assert defaults["data_shape"]["value"]["classes"] == 2
    clf = TextClassifier("ngram", **FAST).fit(sentiment_task(200, 1))
    assert clf.config()["defaults"]["char_ngrams"]["value"] == clf.encoder_.char_ngrams == "3-5"
    assert "99th percentile" in clf.config()["defaults"]["char_ngrams"]["why"]


def test_shift_is_chosen_only_where_validation_says_it_pays():
    counts = np.array([90, 10])
    # A model biased to the common class: shifting by the log prior recovers the rare one.
    labels = np.array([0] * 9 + [1] * 9)
    logits = np.stack([np.full(18, 1.0), np.r_[np.full(9, -1.0), np.full(9, 0.5)]], 1)
    tau, scored = choose_shift(logits, labels, counts)
    assert tau == 0.5 and len(scored) == 3
    unbiased = np.stack([np.r_[np.full(9, 1.0), np.zeros(9)], np.r_[np.zeros(9), np.full(9, 1.0)]], 1)
    assert choose_shift(unbiased, labels, counts)[0] == 0  # ties keep the decisions as trained
    np.testing.assert_allclose(class_offsets(counts, 1.0), -np.log([0.9, 0.1]), rtol=1e-6)


def imbalanced(n, seed):
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(n):
        rare = rng.random() < 0.1
        words = [f"w{i}" for i in rng.integers(0, 40, 8)]
        if rng.random() < 0.5:
            words.append("rare" if rare else "common")
        texts.append(" ".join(words))
        labels.append("rare" if rare else "common")
    return texts, labels


def test_class_balance_shifts_the_bias_records_it_and_survives_save_load(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="textclass"):
        clf = TextClassifier("ngram", **FAST, class_balance="on", valid_fraction=0.3).fit(imbalanced(600, 0))
    shift = clf.config()["defaults"]["class_prior_shift"]
    assert shift["value"] in (0.0, 0.5, 1.0) and "validation" in shift["why"]
    assert any("class_balance" in r.message for r in caplog.records)
    texts = imbalanced(50, 1)[0]
    loaded = TextClassifier.load(clf.save(tmp_path / "run"))
    np.testing.assert_allclose(loaded.predict_proba(texts), clf.predict_proba(texts), rtol=1e-6)
    off = TextClassifier("ngram", **FAST, class_balance="off", valid_fraction=0.3).fit(imbalanced(600, 0))
    assert "class_prior_shift" not in off.config()["defaults"]


def test_shift_moves_every_logit_by_the_offsets():
    model = NgramClassifier(num_features=5, num_classes=3, feature_weights=None, members=2).eval()
    batch = SimpleNamespace(ids=torch.tensor([1, 2]), offsets=torch.tensor([0]), lengths=torch.tensor([2]))
    before = torch.softmax(model(batch), -1)
    assert model.shift_class_scores(torch.tensor([0.0, 1.0, -1.0]))
    after = torch.softmax(model(batch), -1)
    torch.testing.assert_close(after, torch.softmax(before.log() + torch.tensor([0.0, 1.0, -1.0]), -1))


def test_many_classes_train_on_a_sample_of_them_and_still_learn():
    classes = SAMPLED_ABOVE + 500
    model = NgramClassifier(num_features=classes, num_classes=classes, feature_weights=None, members=1,
                            hidden_dim=16)
    optimizer = model.configure_optimizer(lr=0.5, weight_decay=0.0)
    ids = torch.arange(classes)  # text i holds feature i only, and is of class i
    for _ in range(30):
        order = torch.randperm(classes)[:256]
        batch = SimpleNamespace(ids=ids[order], offsets=torch.arange(256), lengths=torch.ones(256, dtype=torch.long),
                                labels=order)
        model.train()
        loss, exact = model.training_loss(batch, OBJECTIVES["single_label"])
        assert 0 <= exact <= 256
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    batch = SimpleNamespace(ids=ids, offsets=ids, lengths=torch.ones(classes, dtype=torch.long))
    assert (model(batch).argmax(1) == ids).float().mean() > 0.2  # chance: 1 in 2,548


def test_nearly_one_label_per_text_is_warned_about(caplog):
    texts = [f"text number {i}" for i in range(40)]
    with caplog.at_level(logging.WARNING, logger="textclass"):
        TextClassifier("ngram", **FAST).fit((texts, [f"l{i % 30}" for i in range(40)]))
    assert any("label of its own" in r.message for r in caplog.records)


@pytest.mark.parametrize("value", ["sometimes", 1])
def test_class_balance_is_checked(value):
    from textclass.errors import ConfigError

    with pytest.raises(ConfigError):
        TextClassifier("ngram", class_balance=value)


def test_folded_prediction_table_matches_the_members_and_is_dropped_when_weights_change():
    torch.manual_seed(0)
    model = NgramClassifier(num_features=20, num_classes=3, feature_weights=None, members=4, hidden_dim=2)
    with torch.no_grad():
        model.embedding.weight.normal_()
    batch = SimpleNamespace(ids=torch.tensor([1, 5, 7, 2, 9]), offsets=torch.tensor([0, 3]),
                            lengths=torch.tensor([3, 2]))
    model.eval()
    unfolded = torch.softmax(model(batch), -1)
    model.prepare_for_inference()
    assert model._class_table is not None
    torch.testing.assert_close(torch.softmax(model(batch), -1), unfolded)
    with torch.no_grad():
        model.head_bias.add_(1.0)  # any in-place change, as an optimizer step or loading weights makes
    model._class_table[2].add_(100.0)  # a stale table, if it were still read, would now show
    torch.testing.assert_close(torch.softmax(model(batch), -1), unfolded)
