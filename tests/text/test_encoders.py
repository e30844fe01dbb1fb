import logging

import numpy as np
import pytest

from textclass.errors import ConfigError
from textclass.text import ENCODERS, VocabEncoder, build_encoder, load_encoder
from textclass.text.vocabulary import PAD_ID, UNK_ID

TRAIN = ["The movie was great!", "the movie was bad", "great great acting", "bad plot, the end"]


def fitted(**params):
    return VocabEncoder(**{"min_freq": 1, **params}).fit(TRAIN)


def test_encode_maps_tokens_to_vocabulary_ids():
    encoder = fitted()
    ids = encoder.encode(["the great movie", "zebra the"])
    stoi = encoder.vocab.stoi
    assert ids[0].tolist() == [stoi["the"], stoi["great"], stoi["movie"]]
    assert ids[1].tolist() == [UNK_ID, stoi["the"]]


def test_vocabulary_comes_from_the_fitted_texts_only():
    encoder = fitted()
    assert "zebra" not in encoder.vocab
    assert "!" in encoder.vocab  # default tokenizer keeps "!"
    encoder.encode(["zebra zebra zebra"])
    assert "zebra" not in encoder.vocab  # encoding never grows the vocabulary


def test_min_freq_and_vocab_size_reach_the_vocabulary():
    assert set(fitted(min_freq=2).vocab.itos[2:]) == {"the", "great", "movie", "was", "bad"}
    assert len(fitted(vocab_size=4).vocab) == 4


def test_truncates_to_the_first_max_len_ids():
    encoder = VocabEncoder(min_freq=1, max_len=3).fit(["a b c d e f"])
    ids = encoder.encode(["a b c d e f", "f e", "a b c"])
    stoi = encoder.vocab.stoi
    assert ids[0].tolist() == [stoi["a"], stoi["b"], stoi["c"]]
    assert ids[1].tolist() == [stoi["f"], stoi["e"]]
    assert ids.lengths.tolist() == [3, 2, 3]


def test_empty_text_gets_one_unknown_position():
    ids = fitted().encode(["", "   ", "<br />", "the"])
    assert ids.lengths.tolist() == [1, 1, 1, 1]
    assert ids[0].tolist() == ids[1].tolist() == ids[2].tolist() == [UNK_ID]
    assert PAD_ID not in ids.values  # padding only ever comes from batching


def test_simple_tokenizer_is_selectable():
    encoder = VocabEncoder(tokenizer="simple", min_freq=1).fit(["Great!<br />Fine"])
    assert encoder.tokenizer == "simple_v1"
    assert set(encoder.vocab.itos[2:]) == {"greatbr", "fine"}  # the tutorial rule glues "<br" on


def test_unknown_tokenizer_is_a_config_error():
    with pytest.raises(ConfigError, match="tokenizer"):
        VocabEncoder(tokenizer="nope")


def test_encode_before_fit_is_an_error():
    with pytest.raises(RuntimeError, match="fit"):
        VocabEncoder().encode(["x"])


def test_model_args():
    encoder = fitted()
    assert encoder.model_args() == {"vocab_size": len(encoder.vocab), "padding_idx": PAD_ID}


def test_config_save_and_load_rebuild_the_same_encoder(tmp_path):
    encoder = fitted(max_len=5, vocab_size=50)
    config = encoder.config()
    assert config == {"name": "vocab_v1", "params": {"tokenizer": "default_v1", "vocab_size": 50, "min_freq": 1,
                                                     "max_len": 5}}
    encoder.save(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == list(VocabEncoder.files)
    loaded = load_encoder(tmp_path, config)
    probe = ["The movie was great great great great great!", "", "unseen words here"]
    a, b = encoder.encode(probe), loaded.encode(probe)
    assert np.array_equal(a.values, b.values) and np.array_equal(a.offsets, b.offsets)
    fresh = build_encoder(config)
    assert fresh.config() == config and fresh.vocab is None


def test_registry_alias():
    assert ENCODERS.canonical("vocab") == "vocab_v1"
    assert ENCODERS.get("vocab") is VocabEncoder


def test_logs_out_of_vocabulary_rate_and_truncation(caplog):
    encoder = VocabEncoder(min_freq=1, max_len=2).fit(["a b"])
    with caplog.at_level(logging.INFO, logger="textclass"):
        encoder.encode(["a b zebra", "a"], name="probe")
    message = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("probe:"))
    # 4 tokens, 1 unknown; one of the two texts is longer than max_len
    assert "out-of-vocabulary 25.00%" in message
    assert "1 texts (50.0%) truncated to 2 tokens" in message


@pytest.mark.parametrize("params, match", [({"max_len": 0}, "max_len"), ({"max_len": -5}, "max_len"),
                                           ({"min_freq": 0}, "min_freq"), ({"vocab_size": 2}, "vocab_size")])
def test_bad_settings_are_config_errors(params, match):
    with pytest.raises(ConfigError, match=match):
        VocabEncoder(**params)
