"""The ``ngram`` model's encoder: hashed word (and character) n-grams, compacted to the features seen in training.

Features are hashed into ``num_buckets`` buckets (``hashing.py``); fitting keeps the buckets that occur at
least ``min_count`` times in training (in that many texts, with ``binary``) and numbers them 0..n-1, so the
model's table has one row per useful feature however large the hash space is, and features never seen in
training cost nothing at prediction.
Fitting also computes each feature's weight, which the model scales the feature by: its naive-Bayes log-count
ratio (Wang & Manning 2012) and the square root of its inverse document frequency, each when on (by default,
exactly one of them is), times ``char_weight`` for character n-grams. The encoder owns the weights (saved in
its file) and hands them to the model through ``model_args()``.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from safetensors.numpy import save_file

from ..artifact_checks import ngram_features, read_tensor
from ..data.shape import typical_total
from ..errors import ConfigError
from ..io import atomic_path
from .base import StreamingEncoder
from .encoders import ENCODERS
from .hashing import NgramSpec, hash_features
from .ragged import RaggedIds

log = logging.getLogger("textclass.text")

FEATURES_FILE = "ngram_features.safetensors"
LEGACY_WEIGHTS_FILE = "model.safetensors"  # where runs before format 2 kept the naive-Bayes weights
# Below this much training text, character n-grams are cheap and their robustness to typos and inflection
# pays; above it, word n-grams carry enough evidence and characters would multiply the work several times.
CHAR_AUTO_MAX_CHARS = 5_000_000
# A text of many words carries its evidence in them; character n-grams pay where each text has few words
# (a phrase, a query, a sentence) and typos or inflections would leave it with little to go on. On the dev
# suite (3 seeds), R8's Reuters articles (median 380 characters) lost 0.3 points of accuracy and 2 of macro-F1
# with them, while AG News (232) gained 0.9 points, CR (83) moved 0.1, BANKING77 (47) and MPQA (14) gained 3;
# on 2,000 IMDB reviews (median about 980) they cost 0.6 points at 4.6x the time
# (benchmarks/bench_char_ngrams.py).
CHAR_AUTO_MAX_MEDIAN_CHARS = 300
CHAR_AUTO_RANGE = "3-5"
NB_SMOOTHING = 1.0  # Laplace, as in Wang & Manning
# A word yields several overlapping character n-grams per length, so at equal weight they outvote the text's
# word n-grams. Half weight gained on five of the dev suite's sets with characters on and lost nothing on the
# sixth (3 to 5 seeds each, BENCHMARKS.md): CR +0.6, MPQA +0.2, AG News +0.3, BANKING77 +0.1, R8 0.0 points.
CHAR_WEIGHT = 0.5
COUNT_SLICE_IDS = 1 << 24  # ids counted at a time for the feature weights: 64 MB of int32 read from disk



def char_ngrams_for(typical_total_chars: float, median_chars: float) -> tuple[str, str]:
    """The ``char_ngrams`` that ``auto`` resolves to for training texts of this shape, and why.

    Both statistics resist outliers: the total is of lengths capped at their 99th percentile
    (``data.shape.typical_total``), so one huge text must not switch character n-grams off for every other text,
    and the median length is the typical text's.
    """
    if median_chars > CHAR_AUTO_MAX_MEDIAN_CHARS:
        return "off", (f"median text length {median_chars:,.0f} characters, over {CHAR_AUTO_MAX_MEDIAN_CHARS}: "
                       "texts of many words carry their evidence in word n-grams")
    chosen = CHAR_AUTO_RANGE if typical_total_chars < CHAR_AUTO_MAX_CHARS else "off"
    relation = "under" if chosen != "off" else "at or over"
    return chosen, (f"{typical_total_chars:,.0f} characters of training text, each text capped at the 99th "
                    f"percentile of lengths: {relation} {CHAR_AUTO_MAX_CHARS:,}; median text length "
                    f"{median_chars:,.0f} characters")


def parse_char_ngrams(value: str) -> tuple[int, int]:
    """A ``char_ngrams`` setting as (shortest, longest): off -> (0, 0), 4 -> (4, 4), 3-5 -> (3, 5)."""
    if value == "off":
        return 0, 0
    found = re.fullmatch(r"(\d+)(?:-(\d+))?", value)
    if not found or int(found.group(1)) < 1 or int(found.group(2) or found.group(1)) < int(found.group(1)):
        raise ConfigError(f"char_ngrams must be auto, off, a length (4) or a range (3-5); got {value!r}")
    return int(found.group(1)), int(found.group(2) or found.group(1))


@ENCODERS.register("ngram_v1", aliases=("ngram",))
class NgramEncoder(StreamingEncoder):
    """Word n-grams of orders 1..``word_ngrams`` and character n-grams (``char_ngrams``), hashed.

    ``char_ngrams="auto"`` uses 3-5 character n-grams when the training texts total under 5 million
    characters, each text's length capped at the 99th percentile of lengths, and their median length is at most
    300 characters (``char_ngrams_for``).
    ``nb_weights="auto"`` scales features by their naive-Bayes log-count ratio on two-class and multi-label
    tasks (each label against the texts without it); with many exclusive classes per-class counts are too thin
    for a ratio to be a reliable weight, and ``idf_weights="auto"`` weights features by their rarity instead:
    sqrt(idf), a gentler form of TF-IDF's weighting, scaled to average 1 over the training texts' features.
    ``char_weight`` scales character n-grams against word n-grams (a bucket that a word n-gram of the training
    texts hashes to counts as a word n-gram).
    """

    files = (FEATURES_FILE,)

    def __init__(self, word_ngrams: int = 3, char_ngrams: str = "auto", num_buckets: int = 1 << 24,
                 min_count: int = 2, binary: bool = True, nb_weights: str = "auto", char_weight: float = CHAR_WEIGHT,
                 idf_weights: str = "auto"):
        for name, value in (("nb_weights", nb_weights), ("idf_weights", idf_weights)):
            if value not in ("auto", "on", "off"):
                raise ConfigError(f"{name} must be auto, on or off; got {value!r}")
        if min_count < 1:
            raise ConfigError(f"min_count must be at least 1, got {min_count}")
        if isinstance(char_weight, bool) or not isinstance(char_weight, (int, float)) or not 0 < char_weight <= 1:
            raise ConfigError(f"char_weight must be a number in (0, 1], got {char_weight!r}")
        self.word_ngrams, self.char_ngrams, self.num_buckets = word_ngrams, char_ngrams, num_buckets
        self.min_count, self.binary, self.nb_weights, self.char_weight = min_count, binary, nb_weights, char_weight
        self.idf_weights = idf_weights
        self._spec(CHAR_AUTO_RANGE if char_ngrams == "auto" else char_ngrams)  # bad settings fail before any data
        self.buckets: np.ndarray | None = None  # the kept bucket ids, sorted; row i of the model is buckets[i]
        self._row_of: np.ndarray | None = None
        self.feature_weights: np.ndarray | None = None
        self._word_buckets: np.ndarray | None = None  # while fitting: which buckets word n-grams hit

    def _spec(self, char_ngrams: str | None = None) -> NgramSpec:
        char_min, char_max = parse_char_ngrams(char_ngrams or self.char_ngrams)
        try:
            return NgramSpec(self.num_buckets, self.word_ngrams, char_min or 1, char_max, self.binary)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None

    def fit(self, texts: Sequence[str], labels: np.ndarray | None = None) -> "NgramEncoder":
        self.fit_encode(texts, labels)
        return self

    def fit_encode(self, texts: Sequence[str], labels: np.ndarray | None = None, name: str = "train") -> RaggedIds:
        """Fitting hashes every training text once; the training split's ids come out of that same pass."""
        self._resolve_char_ngrams(np.fromiter(map(len, texts), np.int64, len(texts)))
        features = hash_features(texts, self._spec())
        hashed = self._keep_buckets(np.bincount(features.values, minlength=self.num_buckets))
        self._mark_word_buckets(texts)
        encoded = self._kept_rows(features)
        self._log_kept(hashed)
        self.fit_encoded(encoded, labels)
        self._log_coverage(encoded, name)
        return encoded

    def fit_stream(self, chunks: Iterable[Sequence[str]], lengths: np.ndarray) -> None:
        self._resolve_char_ngrams(lengths)
        spec = self._spec()
        seen = np.zeros(self.num_buckets, dtype=np.int64)
        for texts in chunks:
            seen += np.bincount(hash_features(texts, spec).values, minlength=self.num_buckets)
            self._mark_word_buckets(texts)
        self._log_kept(self._keep_buckets(seen))

    def fit_encoded(self, encoded: RaggedIds, labels: np.ndarray | None) -> None:
        """The naive-Bayes weights, which read the kept features of each training text with its label."""
        if self.nb_weights == "auto":
            # Multi-label labels (a 0/1 matrix) are one binary task per label, each with its own ratios (a
            # feature keeps the largest). On GoEmotions (28 labels) that raised test macro-F1 from 0.400 to
            # 0.427 (BENCHMARKS.md), as the binary case gains on IMDB.
            binary = labels is not None and (labels.ndim == 2 or len(np.unique(labels)) == 2)
            self.nb_weights = "on" if binary else "off"
        if self.nb_weights == "on" and labels is None:
            raise ConfigError("nb_weights=on needs the training labels")
        if self.idf_weights == "auto":
            # Rarity is the weight when the ratios are off: square-rooted, so that very common words (a
            # question's "what") keep a real say. On the dev suite's exclusive many-class sets (3 seeds):
            # BANKING77 +0.2 points, AG News and R8 unchanged within noise (+0.0, -0.05). Scaled to a median
            # feature weight of 1 instead, AG News gained 0.4 but the typical text's smaller total weight left
            # BANKING77 under-confident (test ECE 0.022 on one seed).
            self.idf_weights = "off" if self.nb_weights == "on" else "on"
        weights = None
        if self.nb_weights == "on":
            weights = self._nb_ratios(encoded, labels)
        if self.idf_weights == "on":
            idf = self._sqrt_idf(encoded)
            weights = idf if weights is None else weights * idf
        log.info("feature weights: naive-Bayes %s, idf %s", self.nb_weights, self.idf_weights)
        self.feature_weights = self._with_char_weight(weights)

    def _sqrt_idf(self, encoded: RaggedIds) -> np.ndarray:
        """sqrt(idf) per kept feature, idf = log((texts + 1) / (texts with it + 1)) + 1 (with ``binary``, a text
        counts a feature once; otherwise every occurrence counts), scaled so that the training texts' feature
        occurrences weigh 1 on average: a typical text keeps its total weight and rarity only redistributes it."""
        counts = self._occurrences(encoded)
        idf = np.log((len(encoded) + 1) / (counts + 1)) + 1
        weights = np.sqrt(idf)
        if counts.sum() > 0:  # training texts without a single kept feature leave nothing to average over
            weights *= counts.sum() / (weights * counts).sum()
        return weights.astype(np.float32)

    def _occurrences(self, encoded: RaggedIds) -> np.ndarray:
        """How often each kept feature occurs in ``encoded``, counted a slice at a time (ids may be on disk)."""
        counts = np.zeros(len(self.buckets))
        for _, _, values in encoded.slices(COUNT_SLICE_IDS):
            counts += np.bincount(values, minlength=len(self.buckets))
        return counts

    def _mark_word_buckets(self, texts: Sequence[str]) -> None:
        """Remember the buckets the word n-grams of ``texts`` hash to (added to those of earlier calls)."""
        if parse_char_ngrams(self.char_ngrams)[1] == 0 or self.char_weight == 1:
            return
        if self._word_buckets is None:
            self._word_buckets = np.zeros(self.num_buckets, dtype=bool)
        words_only = NgramSpec(self.num_buckets, self.word_ngrams, 1, 0, self.binary)
        self._word_buckets[hash_features(texts, words_only).values] = True

    def _with_char_weight(self, weights: np.ndarray | None) -> np.ndarray | None:
        """``weights`` (None: all 1) times ``char_weight`` on the kept features that are character n-grams."""
        if self._word_buckets is None:
            return weights
        is_word = self._word_buckets[self.buckets]
        self._word_buckets = None
        scale = np.where(is_word, np.float32(1), np.float32(self.char_weight))
        log.info("character n-grams weighted %s against word n-grams: %s of %s features",
                 self.char_weight, f"{int((~is_word).sum()):,}", f"{len(is_word):,}")
        return scale if weights is None else (weights * scale).astype(np.float32)

    def _resolve_char_ngrams(self, lengths: np.ndarray) -> None:
        if self.char_ngrams == "auto":
            median = float(np.median(lengths)) if len(lengths) else 0.0
            self.char_ngrams, why = char_ngrams_for(typical_total(lengths), median)
            log.info("char_ngrams auto: %s (%s)", self.char_ngrams, why)

    def _keep_buckets(self, seen: np.ndarray) -> int:
        """Keep the buckets seen at least ``min_count`` times; returns how many were hit at all."""
        self.buckets = np.flatnonzero(seen >= self.min_count)
        self._index_rows()
        return int(np.count_nonzero(seen))

    def _log_kept(self, hashed: int) -> None:
        log.info("n-gram features: %s kept (seen >= %d times) of %s hashed; word 1-%d-grams, char n-grams %s",
                 f"{len(self.buckets):,}", self.min_count, f"{hashed:,}", self.word_ngrams, self.char_ngrams)

    def _kept_rows(self, features: RaggedIds) -> RaggedIds:
        """Hashed features as row ids of the kept buckets, the others dropped."""
        rows = self._row_of[features.values]
        kept = rows >= 0
        lengths = features.lengths
        kept_per_text = np.zeros(len(lengths), dtype=np.int64)
        nonempty = lengths > 0
        kept_per_text[nonempty] = np.add.reduceat(kept, features.offsets[:-1][nonempty], dtype=np.int64)
        offsets = np.concatenate(([0], np.cumsum(kept_per_text)))
        return RaggedIds(rows[kept].astype(np.int64), offsets)

    def _index_rows(self) -> None:
        # int32 halves the table that every encoded feature is looked up in; rows never reach 2**31.
        self._row_of = np.full(self.num_buckets, -1, dtype=np.int32)
        self._row_of[self.buckets] = np.arange(len(self.buckets))

    def _nb_ratios(self, encoded: RaggedIds, labels: np.ndarray) -> np.ndarray:
        """Per kept feature, the largest |log-count ratio| of one class against the rest.

        With two classes that is |log(p_f / |p|) - log(q_f / |q|)|, p and q the smoothed counts of the feature
        in each class (of texts with it, with ``binary``); its sign is left to the learned weights.
        Multi-label ``labels`` (a 0/1 matrix, one column per label) compare each label's texts with the rest.
        Counted a slice of texts at a time, so ids kept on disk are never all read into memory at once.
        """
        n = len(self.buckets)
        total = self._occurrences(encoded)
        best = np.zeros(n)
        if labels.ndim == 2:
            members = [labels[:, j] > 0 for j in range(labels.shape[1])]
        else:
            members = [labels == c for c in np.unique(labels)]
        lengths = encoded.lengths
        for texts_of_class in members:
            inside = np.zeros(n)
            for start, stop, values in encoded.slices(COUNT_SLICE_IDS):
                inside += np.bincount(values[np.repeat(texts_of_class[start:stop], lengths[start:stop])], minlength=n)
            p, q = inside + NB_SMOOTHING, total - inside + NB_SMOOTHING
            np.maximum(best, np.abs(np.log(p / p.sum()) - np.log(q / q.sum())), out=best)
        return best.astype(np.float32)

    def encode(self, texts: Sequence[str], name: str = "texts") -> RaggedIds:
        if self.buckets is None:
            raise RuntimeError("encoder used before fit()")
        encoded = hash_features(texts, self._spec(), rows=self._row_of)
        self._log_coverage(encoded, name)
        return encoded

    @staticmethod
    def _log_coverage(encoded: RaggedIds, name: str) -> None:
        if len(encoded):
            empty = int((encoded.lengths == 0).sum())
            log.info("%s: %d texts, %.0f known features per text, %d texts (%.1f%%) with none", name, len(encoded),
                     len(encoded.values) / len(encoded), empty, 100.0 * empty / len(encoded))

    def model_args(self) -> dict:
        return {"num_features": len(self.buckets), "feature_weights": self.feature_weights}

    def save(self, directory: Path) -> None:
        path = Path(directory) / FEATURES_FILE
        arrays = {"buckets": self.buckets}
        if self.feature_weights is not None:
            arrays["feature_weights"] = self.feature_weights
        with atomic_path(path) as temporary:
            save_file(arrays, str(temporary))

    @classmethod
    def load(cls, directory: Path, params: dict) -> "NgramEncoder":
        # Runs saved before char_weight and idf_weights existed had neither; their file holds the weights anyway.
        encoder = cls(**{"char_weight": 1.0, "idf_weights": "off", **params})
        arrays = ngram_features(Path(directory) / FEATURES_FILE, encoder.num_buckets)
        encoder.buckets = arrays["buckets"]
        encoder._index_rows()
        encoder.feature_weights = arrays.get("feature_weights")
        if encoder.nb_weights == "on":
            if encoder.feature_weights is None:  # saved before the encoder owned them: the model's file has them
                encoder.feature_weights = read_tensor(Path(directory) / LEGACY_WEIGHTS_FILE, "feature_weights",
                                                      "F32", (len(encoder.buckets),))
        return encoder
