"""Token <-> id mapping built from streamed counts."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Iterable

PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1


class Vocabulary:
    """Ids 0 and 1 are reserved for padding and unknown tokens; the rest are ordered by frequency.

    ``max_size`` counts the two reserved entries, so ``len(vocab) <= max_size`` always holds.
    Ties in frequency are broken alphabetically so that the same corpus gives the same ids everywhere.
    """

    def __init__(self, tokens: list[str]):
        if tokens[:2] != [PAD, UNK]:
            raise ValueError("a vocabulary starts with <pad>, <unk>")
        self.itos = tokens
        self.stoi = {t: i for i, t in enumerate(tokens)}
        if len(self.stoi) != len(tokens):
            raise ValueError("duplicate tokens in vocabulary")
        # Text that reads "<pad>" is an unknown word, never padding (models treat id 0 as no token at all).
        self._lookup = {**self.stoi, PAD: UNK_ID}

    @classmethod
    def build(cls, token_streams: Iterable[list[str]], max_size: int | None = 10000, min_freq: int = 1):
        """One pass over the corpus; only the counts are kept, never the token lists."""
        counts: Counter = Counter()
        for tokens in token_streams:
            counts.update(tokens)
        return cls.from_counts(counts, max_size, min_freq)

    @classmethod
    def from_counts(cls, counts: Counter, max_size: int | None, min_freq: int) -> "Vocabulary":
        # A tokenizer may emit the literal text "<pad>" or "<unk>": it must not become a second, duplicate entry.
        kept = sorted((t for t, c in counts.items() if c >= min_freq and t not in (PAD, UNK)),
                      key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[: max(0, max_size - 2)]
        return cls([PAD, UNK] + kept)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def ids(self, tokens: list[str]) -> list[int]:
        get = self._lookup.get
        return [get(t, UNK_ID) for t in tokens]

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps({"tokens": self.itos}, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "Vocabulary":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        tokens = data.get("tokens") if isinstance(data, dict) else None
        if not isinstance(tokens, list) or not all(isinstance(token, str) for token in tokens):
            raise ValueError(f'{Path(path).name}: expected {{"tokens": [a list of strings]}}')
        return cls(tokens)
