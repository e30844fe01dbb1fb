"""Training in-domain word vectors with gensim (the optional ``embeddings`` extra) on unlabeled texts.

The texts are tokenized with the classifier's tokenizer, so the vectors' words are the vocabulary's words.
The result is written in word2vec's text format (``count dim`` header), which ``load_vectors`` reads.
"""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Sequence

from ..errors import ConfigError
from ..io import atomic_path
from .tokenizers import TOKENIZERS
from .vectors import is_binary_format

log = logging.getLogger("textclass.text")

ALGORITHMS = ("word2vec", "fasttext")


class _TokenizedTexts:
    """Re-iterable for gensim's several passes; tokenizes on each pass instead of holding every token list."""

    def __init__(self, texts: Sequence[str], tokenizer: str):
        self.texts, self.tokenize = texts, TOKENIZERS.get(tokenizer)

    def __iter__(self):
        return (self.tokenize(text) for text in self.texts)


def _epoch_log(epochs: int):
    """A gensim callback that logs each pass, since a large corpus trains for minutes."""
    from gensim.models.callbacks import CallbackAny2Vec

    class EpochLog(CallbackAny2Vec):
        def __init__(self):
            self.epoch, self.started = 0, time.perf_counter()

        def on_epoch_end(self, model):
            self.epoch += 1
            log.info("embeddings: epoch %d/%d done (%.0fs)", self.epoch, epochs, time.perf_counter() - self.started)

    return EpochLog()


def train_vectors(texts: Sequence[str], out, *, algorithm: str = "word2vec", dim: int = 100, epochs: int = 5,
                  window: int = 5, min_count: int = 5, tokenizer: str = "default", workers: int | None = None,
                  seed: int = 0) -> Path:
    """Train skip-gram vectors on ``texts`` and write them to ``out`` (replaced atomically); returns ``out``.

    ``fasttext`` learns from character n-grams as well, which helps rare words; the file holds whole words
    only. With more than one worker, gensim's thread scheduling makes runs differ slightly even with a seed.
    """
    if algorithm not in ALGORITHMS:
        raise ConfigError(f"unknown algorithm {algorithm!r}; choose one of: {', '.join(ALGORITHMS)}")
    for name, value in (("dim", dim), ("epochs", epochs), ("window", window), ("min_count", min_count)):
        if value < 1:
            raise ConfigError(f"{name} must be at least 1, got {value}")
    if not texts:
        raise ConfigError("no texts to train word vectors on")
    try:
        from gensim.models import FastText, Word2Vec
    except ImportError:
        raise ConfigError("training word vectors needs gensim: pip install 'textclass[embeddings]'") from None

    started = time.perf_counter()
    model_cls = Word2Vec if algorithm == "word2vec" else FastText
    model = model_cls(vector_size=dim, window=window, min_count=min_count, sg=1, seed=seed,
                      workers=workers or os.cpu_count() or 1)
    corpus = _TokenizedTexts(texts, tokenizer)
    model.build_vocab(corpus)
    if not model.wv.index_to_key:
        raise ConfigError(f"no word occurs {min_count} times in the {len(texts)} texts: lower min_count={min_count}")
    log.info("embeddings: %d texts, %d words kept (min_count %d); training %s", len(texts),
             len(model.wv.index_to_key), min_count, algorithm)
    model.train(corpus, total_examples=model.corpus_count, epochs=epochs, callbacks=[_epoch_log(epochs)])
    log.info("embeddings: %d words of %d-d from %d tokens in %.0fs", len(model.wv.index_to_key), dim,
             model.corpus_total_words, time.perf_counter() - started)
    return _write_atomic(model.wv, Path(out))


def _write_atomic(wv, out: Path) -> Path:
    # gensim picks compression from the suffix; atomic_path keeps the real suffixes on the temporary name.
    with atomic_path(out) as temporary:
        wv.save_word2vec_format(str(temporary), binary=is_binary_format(out))
    return out
