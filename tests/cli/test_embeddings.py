import json
import random
import sys

import pytest

from textclass.cli.main import main
from textclass.text.vectors import load_vectors, vectors_dim


def write_corpus(path, n: int = 200) -> None:
    rng = random.Random(0)
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(n):
            label = rng.choice(["pos", "neg"])
            words = rng.choices([f"w{i}" for i in range(20)], k=6) + ["Good!" if label == "pos" else "bad"]
            rng.shuffle(words)
            f.write(json.dumps({"text": " ".join(words), "label": label}) + "\n")


FAST = ["--dim", "10", "--epochs", "2", "--min-count", "1", "--workers", "1"]


@pytest.fixture()
def corpus(tmp_path):
    path = tmp_path / "toy.jsonl"
    write_corpus(path)
    return path


@pytest.mark.parametrize("algorithm", ["word2vec", "fasttext"])
def test_trains_a_loadable_vectors_file(tmp_path, corpus, algorithm, capsys):
    pytest.importorskip("gensim")
    out = tmp_path / "vecs" / "toy.vec"
    assert main(["embeddings", "train", "--train", str(corpus), "--out", str(out), "--algorithm", algorithm,
                 *FAST]) == 0
    assert f"--embeddings {out} --embedding-dim 10" in capsys.readouterr().out
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header == "23 10"  # w0..w19, "bad", and the tokenizer's "good" and "!" from "Good!"
    words = ["good", "!", "bad", "w7", "Good!"]
    vectors = load_vectors(out, words)
    assert vectors.found.tolist() == [True, True, True, True, False]
    assert [p.name for p in out.parent.iterdir()] == ["toy.vec"]  # no temporary file left behind


def test_gzip_and_binary_outputs_and_limit(tmp_path, corpus):
    pytest.importorskip("gensim")
    csv = tmp_path / "toy.csv"
    csv.write_text("text\n" + "\n".join(json.loads(line)["text"] for line in corpus.read_text().splitlines()) + "\n",
                   encoding="utf-8")
    for name in ("toy.vec.gz", "toy.bin"):
        out = tmp_path / name
        assert main(["embeddings", "train", "--train", str(csv), "--limit", "50", "--out", str(out), *FAST]) == 0
        assert vectors_dim(out) == 10
        assert load_vectors(out, ["bad", "w1"]).coverage == 1.0


def test_vectors_feed_train_embeddings(tmp_path, corpus):
    pytest.importorskip("gensim")
    vec = tmp_path / "toy.vec"
    assert main(["embeddings", "train", "--train", str(corpus), "--out", str(vec), *FAST]) == 0
    run = tmp_path / "run"
    assert main(["-q", "train", "--train", str(corpus), "--out", str(run), "--model", "cnn", "--embeddings", str(vec),
                 "--embedding-dim", "10", "--freeze-embeddings", "--num-filters", "4", "--epochs", "1",
                 "--min-freq", "1", "--no-progress"]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["model"]["params"]["embeddings"] == str(vec)
    assert config["model"]["params"]["freeze_embeddings"] is True


def test_without_texts_is_an_error(tmp_path, capsys):
    assert main(["embeddings", "train", "--out", str(tmp_path / "x.vec")]) == 2
    assert "give --data NAME (with --split) or --train FILE" in capsys.readouterr().err


def test_without_gensim_says_what_to_install(tmp_path, corpus, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "gensim", None)  # makes `import gensim...` raise ImportError
    monkeypatch.setitem(sys.modules, "gensim.models", None)
    assert main(["embeddings", "train", "--train", str(corpus), "--out", str(tmp_path / "x.vec")]) == 2
    assert "pip install 'textclass[embeddings]'" in capsys.readouterr().err
    assert not (tmp_path / "x.vec").exists()


def test_bad_settings_are_reported_before_training(tmp_path, corpus, capsys):
    assert main(["embeddings", "train", "--train", str(corpus), "--out", str(tmp_path / "x.vec"), "--dim", "0"]) == 2
    assert "dim must be at least 1" in capsys.readouterr().err
