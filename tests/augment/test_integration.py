import json
import random

import pytest

from textclass import TextClassifier, TextDataset
from textclass.augment import EDA, BackTranslation, augment
from textclass.cli.main import build_parser, main
from textclass.cli.train import _augment_setting
from textclass.data import stratified_split
from textclass.errors import ConfigError
from textclass.text import VocabEncoder

TINY = dict(model="bilstm", epochs=1, embedding_dim=8, hidden_dim=8, num_layers=1, min_freq=1, progress=False)
EDA_SETTING = {"method": "eda", "copies": 2, "alpha": 0.3}


def toy(n: int, seed: int) -> TextDataset:
    rng = random.Random(seed)
    filler = "the film had a story with some actors and long scenes in it".split()
    texts, labels = [], []
    for _ in range(n):
        label = rng.choice(["pos", "neg"])
        cue = rng.choice(["superb", "wonderful"] if label == "pos" else ["awful", "boring"])
        words = rng.sample(filler, 8) + [cue]
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(label)
    return TextDataset(texts, labels, origin="toy")


@pytest.fixture
def encoded_sizes(monkeypatch):
    """Spy on the one place every split is encoded: {split name: number of texts}."""
    sizes = {}
    original = VocabEncoder.encode

    def spy(self, texts, name="texts"):
        sizes[name] = len(texts)
        return original(self, texts, name)

    monkeypatch.setattr(VocabEncoder, "encode", spy)
    return sizes


def test_only_the_training_split_is_augmented(encoded_sizes):
    train, test = toy(80, 0), toy(30, 1)
    clf = TextClassifier(augment=EDA_SETTING, seed=3, **TINY).fit(train)
    clf.evaluate(test)
    rest, heldout = stratified_split(train, 0.1, 3)
    expected = augment(rest, EDA(alpha=0.3), copies=2, seed=3)
    assert len(rest) < len(expected) <= 3 * len(rest)
    assert encoded_sizes["train"] == len(expected)
    assert encoded_sizes["valid"] == len(heldout)
    assert encoded_sizes["toy"] == len(test)


def test_an_explicit_validation_split_is_not_augmented_either(encoded_sizes):
    TextClassifier(augment=EDA_SETTING, **TINY).fit(toy(40, 0), valid=toy(12, 1))
    assert encoded_sizes["valid"] == 12 and encoded_sizes["train"] > 40


def test_setting_round_trips_through_config(tmp_path):
    clf = TextClassifier(augment=EDA_SETTING, **TINY).fit(toy(40, 0))
    clf.save(tmp_path / "run")
    recorded = json.loads((tmp_path / "run" / "config.json").read_text())["augment"]
    assert recorded == {"method": "eda", "copies": 2, "alpha": 0.3, "vectors": None, "neighbours": 5,
                        "max_words": 20000, "operations": ["synonym", "insert", "swap", "delete"]}
    loaded = TextClassifier.load(tmp_path / "run")
    assert loaded.augment == recorded
    assert loaded.predict(toy(10, 2).texts) == clf.predict(toy(10, 2).texts)


def test_an_augmenter_object_is_described_but_not_recreated(tmp_path):
    def translate(texts, target):
        return [f"{text} {target}" for text in texts]

    clf = TextClassifier(augment=BackTranslation(translate, pivot="de"), **TINY).fit(toy(40, 0))
    clf.save(tmp_path / "run")
    recorded = json.loads((tmp_path / "run" / "config.json").read_text())["augment"]
    assert recorded["object"] == "textclass.augment.backtranslation.BackTranslation"
    assert recorded["copies"] == 1 and recorded["pivot"] == ["de"]
    assert TextClassifier.load(tmp_path / "run").augment is None


def test_off_by_default_and_bad_settings_fail_at_construction():
    assert TextClassifier().augment is None
    with pytest.raises(ConfigError, match="Python only"):
        TextClassifier(augment={"method": "backtranslation"})
    with pytest.raises(ConfigError, match="copies"):
        TextClassifier(augment={"method": "eda", "copies": 0})


def test_cli_flags_parse_into_the_setting():
    args = build_parser().parse_args(["train", "--data", "imdb", "--out", "x", "--augment", "eda",
                                      "--augment-copies", "3", "--augment-alpha", "0.2",
                                      "--augment-vectors", "imdb.vec"])
    assert _augment_setting(args) == {"method": "eda", "copies": 3, "alpha": 0.2, "vectors": "imdb.vec"}
    assert _augment_setting(build_parser().parse_args(["train", "--data", "imdb", "--out", "x"])) is None
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--data", "imdb", "--out", "x", "--augment", "backtranslation"])


def test_cli_rejects_augment_options_without_augment(tmp_path, capsys):
    assert main(["train", "--train", "none.csv", "--out", str(tmp_path / "run"), "--augment-alpha", "0.2"]) == 2
    assert "--augment-alpha apply only with --augment eda" in capsys.readouterr().err


def test_cli_run_records_the_setting(tmp_path):
    data = toy(40, 0)
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps({"text": t, "label": y}) + "\n" for t, y in zip(data.texts, data.labels)))
    out = tmp_path / "run"
    assert main(["-q", "train", "--model", "bilstm", "--train", str(path), "--out", str(out), "--epochs", "1",
                 "--embedding-dim", "8",
                 "--hidden-dim", "8", "--min-freq", "1", "--no-progress", "--augment", "eda",
                 "--augment-copies", "2"]) == 0
    recorded = json.loads((out / "config.json").read_text())["augment"]
    assert recorded["method"] == "eda" and recorded["copies"] == 2 and recorded["alpha"] == 0.1


def test_an_object_that_is_not_an_augmenter_is_refused():
    class DuckTyped:
        def generate(self, texts, copies, rng):
            return [list(texts)] * copies

    with pytest.raises(ConfigError, match="Augmenter"):
        TextClassifier(augment=DuckTyped())
