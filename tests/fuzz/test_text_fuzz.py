"""Tokenizers, n-gram hashing and encoding take any Unicode string: lone surrogates, NULs, 1 MB texts."""
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from textclass.text.hashing import NgramSpec, hash_features
from textclass.text.ngram_encoder import NgramEncoder
from textclass.text.tokenizers import TOKENIZERS

from .conftest import bounded

ODD = ["\ud800", "\udfff", "\udc80", "\x00", "\u200b", "\ufeff", "\u0130", "\u00df", "\u0301", "\r\n", "\u2028",
       "<br />", "__label__", "\U0001f600", "\uffff", "\U0010ffff", " "]
any_char = st.one_of(st.characters(exclude_categories=()), st.sampled_from(ODD))
any_text = st.lists(any_char, max_size=60).map("".join)
TOKENIZER_NAMES = sorted({TOKENIZERS.canonical(name) for name in TOKENIZERS.names()})
SPECS = [NgramSpec(1 << 20, 3, 3, 5), NgramSpec(97, 1, 1, 1, binary=False), NgramSpec(1 << 24, 6)]


def megabyte_text(seed: int) -> str:
    """A million characters: words, with code points from the whole Unicode range (surrogates included)
    sprinkled in. (Pure random code points are valid too but make every byte of a word a character n-gram
    start: several seconds of hashing that test nothing more.)"""
    rng = random.Random(seed)
    words = ["the", "film", "was", "good", "bad", "plot", "x" * 40] + ODD
    pieces, size = [], 0
    while size < 1 << 20:
        piece = rng.choice(words) if rng.random() < 0.9 else chr(rng.randrange(0x110000))
        pieces.append(piece + (" " if rng.random() < 0.8 else ""))
        size += len(pieces[-1])
    return "".join(pieces)[: 1 << 20]


@pytest.mark.parametrize("name", TOKENIZER_NAMES)
@bounded(300)
@given(text=any_text)
def test_tokenizers_take_any_string(name, text):
    tokenize = TOKENIZERS.get(name)
    tokens = tokenize(text)
    assert isinstance(tokens, list) and all(isinstance(token, str) and token for token in tokens)
    assert tokenize(text) == tokens


@bounded(300)
@given(texts=st.lists(any_text, max_size=5), spec=st.sampled_from(SPECS))
def test_hashing_takes_any_strings(texts, spec):
    features = hash_features(texts, spec)
    assert len(features.offsets) == len(texts) + 1 and features.offsets[-1] == len(features.values)
    assert np.all(np.diff(features.offsets) >= 0)
    assert np.all((features.values >= 0) & (features.values < spec.num_buckets))
    if texts:  # each text's features do not depend on its neighbours
        alone = hash_features(texts[-1:], spec)
        assert np.array_equal(alone.values, features.values[features.offsets[-2]:])


@pytest.fixture(scope="module")
def ngram_encoder():
    texts = ["good film", "bad film", "great plot", "awful plot"] * 5
    return NgramEncoder(num_buckets=1 << 16, min_count=1).fit(texts, np.array([0, 1, 0, 1] * 5))


@bounded(200)
@given(texts=st.lists(any_text, max_size=5))
def test_a_fitted_encoder_takes_any_strings(ngram_encoder, texts):
    encoded = ngram_encoder.encode(texts)
    assert len(encoded.offsets) == len(texts) + 1
    assert np.all((encoded.values >= 0) & (encoded.values < len(ngram_encoder.buckets)))


@bounded(150)
@given(texts=st.lists(any_text, min_size=1, max_size=4))
def test_a_classifier_predicts_any_strings(fitted, texts):
    proba = fitted.predict_proba(texts)
    assert proba.shape == (len(texts), len(fitted.labels_))
    assert np.allclose(proba.sum(1), 1, atol=1e-5)


@pytest.mark.parametrize("name", TOKENIZER_NAMES)
def test_tokenizers_take_a_megabyte_of_odd_text(name):
    tokens = TOKENIZERS.get(name)(megabyte_text(0))
    assert tokens and all(isinstance(token, str) for token in tokens)


def test_hashing_and_prediction_take_a_megabyte_of_odd_text(fitted):
    text = megabyte_text(1)
    assert len(text) == 1 << 20 and any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    features = hash_features([text, "short"], NgramSpec(1 << 20, 3, 3, 5))
    assert features.offsets[1] > 0 and features.offsets[2] > features.offsets[1]
    assert np.allclose(fitted.predict_proba([text]).sum(), 1, atol=1e-5)
