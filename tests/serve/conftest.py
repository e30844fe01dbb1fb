"""Runs the service tests serve: a tiny ngram on the topic task (the endpoints), and a tiny bilstm_attn on
short English reviews (the demo page: readable text, a confident label, tokens to shade)."""
from __future__ import annotations

import random

import pytest

pytest.importorskip("fastapi")

POSITIVE = ("wonderful", "brilliant", "loved", "moving", "superb", "delightful", "beautiful", "masterpiece")
NEGATIVE = ("boring", "awful", "dull", "terrible", "waste", "predictable", "clumsy", "tedious")
NEUTRAL = ("the", "film", "acting", "plot", "was", "and", "story", "ending", "characters", "really", "quite", "a",
           "music", "director", "this", "movie", "of", "script", "cast", "scenes")


def make_reviews(n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    pairs = []
    for i in range(n):
        label = ("neg", "pos")[i % 2]
        words = rng.choices(NEUTRAL, k=rng.randint(4, 12))
        # Words seen once fall under min_freq=2 and train <unk> as neutral, as unknown words in a review are.
        words += [f"rare{rng.randrange(100_000)}" for _ in range(rng.randint(0, 3))]
        rng.shuffle(words)
        for _ in range(rng.randint(1, 2)):
            words.insert(rng.randrange(len(words) + 1), rng.choice(POSITIVE if label == "pos" else NEGATIVE))
        pairs.append((" ".join(words), label))
    return pairs


@pytest.fixture(scope="session")
def ngram_run(tmp_path_factory, topics):
    """A saved ngram run on the topic task, with its test metrics (labels cooking/finance/sports)."""
    from textclass import TextClassifier

    train, test = topics
    clf = TextClassifier("ngram", epochs=5, min_count=1, num_buckets=1 << 12, progress=False, seed=0).fit(train)
    return clf.save(tmp_path_factory.mktemp("serve") / "ngram-run", metrics=clf.evaluate(test))


@pytest.fixture(scope="session")
def review_run(tmp_path_factory):
    """A saved bilstm_attn run (can explain) on synthetic reviews, labels neg/pos."""
    from textclass import TextClassifier

    clf = TextClassifier("bilstm_attn", epochs=5, batch_size=16, lr=0.01, embedding_dim=16, hidden_dim=16,
                         attention_dim=16, num_layers=1, min_freq=2, progress=False, seed=0)
    clf.fit(make_reviews(200, seed=1))
    return clf.save(tmp_path_factory.mktemp("serve") / "review-run", metrics=clf.evaluate(make_reviews(60, seed=2)))


@pytest.fixture(scope="module")
def client(ngram_run):
    """A TestClient on the ngram run; its lifespan (the batcher thread) spans the module."""
    from fastapi.testclient import TestClient

    from textclass.serve import create_app

    with TestClient(create_app(ngram_run, max_texts=8, max_text_bytes=200, max_body_bytes=4000)) as client:
        yield client
