"""EDA, "Easy Data Augmentation" (Wei & Zou, 2019): four cheap word-level edits that make label-preserving
variants of a training text.

- synonym replacement: ``n`` distinct content words are replaced (every occurrence) by a synonym;
- random insertion: a synonym of a random content word is inserted at a random position, ``n`` times;
- random swap: two random words swap places, ``n`` times;
- random deletion: each word is dropped with probability ``alpha``.

``n = max(1, int(alpha * number_of_words))``, and ``alpha = 0`` changes nothing. As in the paper, each
variant comes from one operation picked at random. Synonyms are nearest neighbours in a word-vectors file
rather than WordNet, so they suit any language the vectors do; the price is that distributional
neighbours are sometimes antonyms ("good" ~ "bad"), which a small ``neighbours`` and a small ``alpha``
keep rare.

Words are whitespace-separated chunks of the raw text; a chunk's punctuation and capital stay in place
when its word is replaced, so the variant is still raw text for whatever tokenizer the model uses.
"""
from __future__ import annotations

import logging
import random
import re
from collections import Counter
from pathlib import Path
from typing import Sequence

from ..errors import ConfigError
from .base import Augmenter
from .synonyms import synonym_table

log = logging.getLogger("textclass.augment")

OPERATIONS = ("synonym", "insert", "swap", "delete")
_NEEDS_SYNONYMS = ("synonym", "insert")

# Layout, not words: left in, "<br" and "/>" would be separated by a swap and read as the word "br".
_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_EDGES = re.compile(r"^([\W_]*)(.*?)([\W_]*)$", re.DOTALL)

# Function words carry little content but much grammar; replacing them makes noise, not paraphrases.
STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her
here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
now of off on once only or other our ours ourselves out over own same she should so some such than that the
their theirs them themselves then there these they this those through to too under until up very was we
were what when where which while who whom why will with would you your yours yourself yourselves
""".split())


def split_words(text: str) -> list[str]:
    return _HTML_BREAK.sub(" ", text).split()


def word_key(chunk: str) -> str:
    """The word inside a chunk, as vectors files spell it: lowercased, edge punctuation removed."""
    return _EDGES.match(chunk).group(2).lower()


def _respell(chunk: str, word: str) -> str:
    """``word`` in place of the chunk's word, keeping its punctuation and its initial capital."""
    before, core, after = _EDGES.match(chunk).groups()
    if core[:1].isupper():
        word = word[:1].upper() + word[1:]
    return before + word + after


def synonym_replacement(words: list[str], n: int, synonyms: dict, rng: random.Random) -> list[str]:
    candidates = list(dict.fromkeys(key for key in map(word_key, words) if synonyms.get(key)))
    rng.shuffle(candidates)
    choice = {key: rng.choice(synonyms[key]) for key in candidates[:n]}
    return [_respell(w, choice[word_key(w)]) if word_key(w) in choice else w for w in words]


def random_insertion(words: list[str], n: int, synonyms: dict, rng: random.Random) -> list[str]:
    sources = [key for key in map(word_key, words) if synonyms.get(key)]
    out = list(words)
    if not sources:
        return out
    for _ in range(n):
        out.insert(rng.randrange(len(out) + 1), rng.choice(synonyms[rng.choice(sources)]))
    return out


def random_swap(words: list[str], n: int, rng: random.Random) -> list[str]:
    out = list(words)
    if len(out) < 2:
        return out
    for _ in range(n):
        i, j = rng.sample(range(len(out)), 2)
        out[i], out[j] = out[j], out[i]
    return out


def random_deletion(words: list[str], p: float, rng: random.Random) -> list[str]:
    if p == 0 or len(words) < 2:
        return list(words)
    kept = [w for w in words if rng.random() >= p]
    # An emptied text would teach the label from nothing; keep one word, as the paper does.
    return kept or [rng.choice(words)]


class EDA(Augmenter):
    """The four EDA operations at rate ``alpha``, with synonyms from ``vectors`` (a .vec/.txt/.bin file).

    Without ``vectors`` only swap and deletion run. ``fit`` reads the file once and computes the
    ``neighbours`` nearest words of each of the ``max_words`` most frequent training words.
    """

    def __init__(self, alpha: float = 0.1, vectors: str | None = None, neighbours: int = 5,
                 max_words: int = 20000, operations: Sequence[str] = OPERATIONS):
        if not 0 <= alpha <= 1:
            raise ConfigError(f"EDA alpha is a rate between 0 and 1, got {alpha}")
        if neighbours < 1 or max_words < 2:
            raise ConfigError(f"EDA needs neighbours >= 1 and max_words >= 2, got {neighbours} and {max_words}")
        unknown = sorted(set(operations) - set(OPERATIONS))
        if unknown or not operations:
            raise ConfigError(f"EDA operations are some of {', '.join(OPERATIONS)}; got {list(operations)}")
        if vectors is None and set(operations) <= set(_NEEDS_SYNONYMS):
            raise ConfigError(f"EDA operations {list(operations)} take synonyms from a vectors file; give vectors=")
        self.alpha, self.vectors, self.neighbours, self.max_words = alpha, vectors, neighbours, max_words
        self.operations = tuple(op for op in OPERATIONS if op in operations)
        self.synonyms: dict[str, tuple[str, ...]] | None = None

    def fit(self, texts: Sequence[str]) -> "EDA":
        if self.vectors is None:
            if set(self.operations) & set(_NEEDS_SYNONYMS):
                log.info("EDA: no vectors file given (vectors=), so synonym replacement and "
                         "insertion are off; only %s run", " and ".join(self.active_operations()))
            self.synonyms = {}
            return self
        counts = Counter(key for text in texts for key in map(word_key, split_words(text))
                         if key and key not in STOPWORDS)
        self.synonyms = synonym_table(Path(self.vectors), counts, self.max_words, self.neighbours)
        return self

    def active_operations(self) -> tuple[str, ...]:
        if self.vectors is None:
            return tuple(op for op in self.operations if op not in _NEEDS_SYNONYMS)
        return self.operations

    def augment_text(self, text: str, rng: random.Random) -> str:
        """One variant of ``text``, by one of the active operations picked by ``rng``."""
        if self.synonyms is None:
            raise RuntimeError("EDA used before fit()")
        words = split_words(text)
        if not words or self.alpha == 0:
            return text
        operation = rng.choice(self.active_operations())
        n = max(1, int(self.alpha * len(words)))
        if operation == "synonym":
            edited = synonym_replacement(words, n, self.synonyms, rng)
        elif operation == "insert":
            edited = random_insertion(words, n, self.synonyms, rng)
        elif operation == "swap":
            edited = random_swap(words, n, rng)
        else:
            edited = random_deletion(words, self.alpha, rng)
        # An edit that changed no word returns the text as given, so it is recognisably not a new variant.
        return text if edited == words else " ".join(edited)

    def generate(self, texts: Sequence[str], copies: int, rng: random.Random) -> list[list[str]]:
        return [[self.augment_text(text, rng) for text in texts] for _ in range(copies)]

    def config(self) -> dict:
        return {"alpha": self.alpha, "vectors": None if self.vectors is None else str(self.vectors),
                "neighbours": self.neighbours, "max_words": self.max_words, "operations": list(self.operations)}
