import subprocess
import sys

import numpy as np
import pytest
import torch

from textclass.classifier import TextClassifier
from textclass.collation import PREDICT_BATCH_SIZE
from textclass.errors import ConfigError
from textclass.models.ngram import (PREDICT_SCORES_PER_BATCH, PREDICT_TEXTS_PER_BATCH, NgramClassifier,
                                   RowwiseAdagrad)
from textclass.text.hashing import NgramSpec, hash_features
from textclass.text.ngram_encoder import NgramEncoder, parse_char_ngrams

FAST = dict(epochs=4, batch_size=16, num_buckets=1 << 16, progress=False)


@pytest.fixture(scope="module")
def fitted(fitted_model):
    return fitted_model("ngram")


def test_hyperparameters_default_to_word_trigrams():
    assert TextClassifier.hyperparameters("ngram")["word_ngrams"] == 3


def test_features_file_is_readable_by_others(fitted, tmp_path):
    run = fitted.save(tmp_path / "run")
    assert (run / "ngram_features.safetensors").stat().st_mode & 0o044 == 0o044


def test_nb_weights_are_learned_from_the_training_split_and_survive_save_load(fitted, tmp_path):
    weights = fitted.model_.feature_weights
    assert fitted.encoder_.nb_weights == "on" and weights.shape == (len(fitted.encoder_.buckets),)
    # The cue words are the most class-specific features there are.
    cue_rows = fitted.encoder_.encode(["good", "bad"]).values
    assert weights[cue_rows].min() > np.quantile(weights.numpy(), 0.9)
    loaded = TextClassifier.load(fitted.save(tmp_path / "run"))
    assert torch.equal(loaded.model_.feature_weights, weights)


def test_many_classes_use_no_nb_weights_and_a_width_below_the_class_count(sentiment_task):
    clf = TextClassifier("ngram", **FAST, hidden_dim=8).fit(sentiment_task(300, 3, ("pos", "neg", "mixed")))
    assert clf.encoder_.nb_weights == "off" and clf.encoder_.idf_weights == "on"  # rarity weighs instead
    assert clf.model_.width == 2  # three classes need rank two
    assert clf.evaluate(sentiment_task(100, 4, ("pos", "neg", "mixed")))["accuracy"] >= 0.9


def test_auto_settings_are_resolved_at_fit_and_recorded(fitted):
    params = fitted.config()["encoder"]["params"]
    assert params["char_ngrams"] == "3-5"  # a small corpus
    assert params["nb_weights"] == "on"  # two classes


def test_char_ngram_setting_parsing():
    assert parse_char_ngrams("off") == (0, 0)
    assert parse_char_ngrams("4") == (4, 4)
    assert parse_char_ngrams("2-5") == (2, 5)
    for bad in ("5-2", "0", "three", "3-"):
        with pytest.raises(ConfigError):
            NgramEncoder(char_ngrams=bad)
    for bad in (dict(nb_weights="maybe"), dict(word_ngrams=0), dict(min_count=0), dict(num_buckets=0),
                dict(char_weight=0), dict(char_weight=1.5), dict(char_weight="half"), dict(char_weight=True),
                dict(idf_weights="yes")):
        with pytest.raises(ConfigError):
            NgramEncoder(**bad)


TOPICS = ["alpha beta gamma", "alpha delta", "beta epsilon zeta", "gamma zeta eta", "delta eta theta"] * 4


def _rows_of_words(encoder: NgramEncoder, text: str) -> np.ndarray:
    words_only = NgramSpec(encoder.num_buckets, encoder.word_ngrams, 1, 0, encoder.binary)
    return encoder._row_of[hash_features([text], words_only).values]


def test_character_ngrams_weigh_char_weight_against_word_ngrams():
    labels = np.arange(len(TOPICS)) % 3  # three classes: no naive-Bayes ratios, only the character weight
    encoder = NgramEncoder(word_ngrams=2, char_ngrams="3-5", num_buckets=1 << 20, char_weight=0.25, idf_weights="off")
    encoder.fit(TOPICS, labels)
    rows = encoder.encode(["alpha beta"]).values
    word_rows = _rows_of_words(encoder, "alpha beta")
    assert len(word_rows) == 3 and np.all(encoder.feature_weights[word_rows] == 1)
    char_rows = np.setdiff1d(rows, word_rows)
    assert len(char_rows) > 10 and np.all(encoder.feature_weights[char_rows] == 0.25)


def test_character_weight_multiplies_the_naive_bayes_ratios():
    labels = np.arange(len(TOPICS)) % 2
    full, half = (NgramEncoder(char_ngrams="3-5", num_buckets=1 << 20, char_weight=w).fit(TOPICS, labels)
                  for w in (1.0, 0.5))
    assert np.array_equal(full.buckets, half.buckets)
    word_rows = _rows_of_words(full, " ".join(TOPICS[:5]))
    expected = np.full(len(full.buckets), 0.5, dtype=np.float32)
    expected[word_rows] = 1
    np.testing.assert_allclose(half.feature_weights, full.feature_weights * expected, rtol=1e-6)


def test_weights_without_characters_or_at_full_weight_are_left_out():
    labels = np.arange(len(TOPICS)) % 3
    off = dict(num_buckets=1 << 20, idf_weights="off")
    assert NgramEncoder(char_ngrams="off", **off).fit(TOPICS, labels).feature_weights is None
    assert NgramEncoder(char_ngrams="3-5", char_weight=1, **off).fit(TOPICS, labels).feature_weights is None


def test_character_weights_without_naive_bayes_survive_save_load(tmp_path):
    encoder = NgramEncoder(char_ngrams="3-5", num_buckets=1 << 20).fit(TOPICS, np.arange(len(TOPICS)) % 3)
    encoder.save(tmp_path)
    loaded = NgramEncoder.load(tmp_path, encoder.config()["params"])
    assert loaded.char_weight == 0.5 and np.array_equal(loaded.feature_weights, encoder.feature_weights)
    # A run saved before the setting existed weighted characters fully, whatever today's default.
    params = {k: v for k, v in encoder.config()["params"].items() if k not in ("char_weight", "idf_weights")}
    old = NgramEncoder.load(tmp_path, params)
    assert (old.char_weight, old.idf_weights) == (1.0, "off")


def test_idf_weights_favour_rare_features_when_naive_bayes_is_off():
    texts = ["common " + word for word in ("alpha", "beta", "gamma", "delta", "epsilon", "zeta")] * 3
    three = np.arange(len(texts)) % 3
    encoder = NgramEncoder(word_ngrams=1, char_ngrams="off", num_buckets=1 << 20).fit(texts, three)
    assert (encoder.nb_weights, encoder.idf_weights) == ("off", "on")
    common, rare = encoder.encode(["common"]).values, encoder.encode(["alpha"]).values
    assert encoder.feature_weights[common] < encoder.feature_weights[rare]
    occurrences = encoder.encode(texts).values
    assert encoder.feature_weights[occurrences].mean() == pytest.approx(1.0)  # a typical text keeps its weight
    two = NgramEncoder(word_ngrams=1, char_ngrams="off", num_buckets=1 << 20).fit(texts, three % 2)
    assert (two.nb_weights, two.idf_weights) == ("on", "off")  # the ratios already weigh rarity in
    both = NgramEncoder(word_ngrams=1, char_ngrams="off", num_buckets=1 << 20, idf_weights="on").fit(texts, three % 2)
    idf_only = NgramEncoder(word_ngrams=1, char_ngrams="off", num_buckets=1 << 20, nb_weights="off").fit(texts, three % 2)
    np.testing.assert_allclose(both.feature_weights, two.feature_weights * idf_only.feature_weights, rtol=1e-6)


def test_features_seen_too_rarely_are_dropped():
    texts = ["alpha beta", "alpha gamma", "alpha delta"]
    encoder = NgramEncoder(word_ngrams=1, char_ngrams="off", num_buckets=1 << 20, min_count=2).fit(texts)
    assert len(encoder.buckets) == 1  # only "alpha" is in two texts
    assert encoder.encode(["beta alpha", "zeta"]).lengths.tolist() == [1, 0]


def test_members_average_their_logits_which_softmax_makes_their_averaged_log_probabilities():
    model = NgramClassifier(num_features=10, num_classes=3, feature_weights=None, members=3)
    with torch.no_grad():
        model.embedding.weight.normal_()
    batch = type("Batch", (), {"ids": torch.tensor([1, 2, 3, 4]), "offsets": torch.tensor([0, 2]),
                               "lengths": torch.tensor([2, 2])})()
    model.eval()
    bags = torch.nn.functional.embedding_bag(batch.ids, model.feature_rows(), batch.offsets, mode="sum",
                                             per_sample_weights=torch.full((4,), 2 ** -0.5))
    per_member = torch.einsum("bmw,mwc->bmc", bags.view(2, 3, 2), model.head_weight) + model.head_bias
    torch.testing.assert_close(model(batch), per_member.mean(1))
    geometric_mean = torch.log_softmax(per_member, -1).mean(1)
    torch.testing.assert_close(torch.softmax(model(batch), -1), torch.softmax(geometric_mean, -1))


@pytest.mark.filterwarnings("ignore:Sparse invariant checks")
def test_rowwise_adagrad_matches_torch_adagrad_on_sparse_gradients():
    torch.manual_seed(0)
    ours, theirs = (torch.nn.EmbeddingBag(50, 3, mode="sum", sparse=True) for _ in range(2))
    theirs.load_state_dict(ours.state_dict())
    opt_ours, opt_theirs = RowwiseAdagrad(ours.parameters(), lr=0.3), torch.optim.Adagrad(theirs.parameters(), lr=0.3)
    for _ in range(5):
        ids = torch.randint(0, 50, (40,))  # repeated rows inside one batch included
        offsets = torch.tensor([0, 10, 25])
        for model, opt in ((ours, opt_ours), (theirs, opt_theirs)):
            opt.zero_grad()
            model(ids, offsets).pow(2).sum().backward()
            opt.step()
    torch.testing.assert_close(ours.weight, theirs.weight)


def test_results_do_not_depend_on_the_thread_count_which_is_restored(monkeypatch, sentiment_task):
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    probabilities = []
    try:
        for threads in (1, 2):
            monkeypatch.setattr(NgramClassifier, "intra_op_threads", lambda self, n=threads: n)
            clf = TextClassifier("ngram", **FAST).fit(sentiment_task(300, 5))
            assert torch.get_num_threads() == 2
            probabilities.append(clf.predict_proba([text for text, _ in sentiment_task(50, 6)]))
    finally:
        torch.set_num_threads(before)
    np.testing.assert_array_equal(*probabilities)


def test_rowwise_adagrad_state_round_trips_without_importing_the_compiler():
    # torch's Optimizer wraps state_dict/load_state_dict in a decorator that imports torch._dynamo (seconds of a
    # training job's start-up, for the checkpoint every epoch writes); a fresh process shows whether it was.
    code = """
import sys, torch
from textclass.training.optim import RowwiseAdagrad
table = torch.nn.EmbeddingBag(20, 3, mode="sum", sparse=True)
opt = RowwiseAdagrad(table.parameters(), lr=0.5)
table(torch.tensor([1, 2, 2, 7]), torch.tensor([0, 2])).sum().backward()
opt.step()
again = RowwiseAdagrad(table.parameters(), lr=0.1)
again.load_state_dict(opt.state_dict())
assert again.param_groups[0]["lr"] == 0.5
assert torch.equal(again.state[table.weight]["sum"], opt.state[table.weight]["sum"])
print("torch._dynamo" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_prediction_batches_follow_the_class_count_and_do_not_change_results(fitted):
    model = fitted.model_
    assert model.predict_batch_size() == max(PREDICT_BATCH_SIZE, min(PREDICT_TEXTS_PER_BATCH,
                                                                    PREDICT_SCORES_PER_BATCH // len(fitted.labels_)))
    assert NgramClassifier(10, 20_000, None, members=1).predict_batch_size() == PREDICT_BATCH_SIZE
    texts = [f"text number {i} with some words" for i in range(40)]
    np.testing.assert_array_equal(fitted.predict_proba(texts), fitted.predict_proba(texts, batch_size=3))


def test_rowwise_adagrad_reads_sums_saved_in_the_table_s_earlier_shape():
    table = torch.nn.Parameter(torch.zeros(8, 2))
    opt = RowwiseAdagrad([table], lr=0.1)
    saved = {"state": {0: {"sum": torch.arange(16.0).view(4, 4)}}, "param_groups": [{**opt.defaults, "params": [0]}]}
    opt.load_state_dict(saved)
    assert torch.equal(opt.state[table]["sum"], torch.arange(16.0).view(8, 2))


def test_saved_weights_keep_one_row_per_feature(fitted, tmp_path):
    """Runs and checkpoints hold the table as features x (members * width) whatever its layout in memory."""
    model = fitted.model_
    state = model.state_dict()
    assert state["embedding.weight"].shape == (len(fitted.encoder_.buckets), model.members * model.width)
    again = NgramClassifier(len(fitted.encoder_.buckets), len(fitted.labels_), fitted.encoder_.feature_weights,
                            hidden_dim=model.width, members=model.members)
    again.load_state_dict(state)
    assert torch.equal(again.embedding.weight, model.embedding.weight)
