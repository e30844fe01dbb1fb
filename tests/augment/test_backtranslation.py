import random

import pytest

from textclass.augment import BackTranslation, augment
from textclass.data import TextDataset
from textclass.errors import ConfigError


class FakeTranslator:
    """Tags each text with the language it was 'translated' into, and records every call."""

    def __init__(self):
        self.calls: list[tuple[int, str]] = []

    def __call__(self, texts, target):
        self.calls.append((len(texts), target))
        return [f"{text}|{target}" for text in texts]


def test_round_trip_goes_to_the_pivot_and_back_in_batches():
    fake = FakeTranslator()
    bt = BackTranslation(fake, pivot="de", batch_size=4)
    texts = [f"text {i}" for i in range(10)]
    [variants] = bt.generate(texts, 1, random.Random(0))
    assert variants == [f"text {i}|de|en" for i in range(10)]
    assert fake.calls == [(4, "de"), (4, "en"), (4, "de"), (4, "en"), (2, "de"), (2, "en")]


def test_copies_cycle_through_the_pivots():
    bt = BackTranslation(FakeTranslator(), pivot=["de", "fr"], source="en")
    variants = bt.generate(["hello"], 3, random.Random(0))
    assert variants == [["hello|de|en"], ["hello|fr|en"], ["hello|de|en"]]


def test_augment_adds_paraphrases_and_drops_repeats():
    ds = TextDataset(["good", "bad"], ["pos", "neg"])
    out = augment(ds, BackTranslation(FakeTranslator(), pivot="de"), copies=2, seed=0)
    # A deterministic translator gives the same paraphrase twice through one pivot: kept once.
    assert out.texts == ["good", "bad", "good|de|en", "bad|de|en"]
    assert out.labels == ["pos", "neg", "pos", "neg"]


def test_a_translator_returning_the_wrong_count_is_reported():
    bt = BackTranslation(lambda texts, target: texts[:-1])
    with pytest.raises(ConfigError, match="one str per input text"):
        bt.generate(["a", "b"], 1, random.Random(0))


def test_config_describes_the_translator():
    def my_translate(texts, target):
        return texts

    config = BackTranslation(my_translate, pivot="fr").config()
    assert config["pivot"] == ["fr"] and config["translate"].endswith("my_translate")
