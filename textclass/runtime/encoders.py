"""A run's encoder, loaded without PyTorch or ``transformers``.

Vocabulary and n-gram encoders are NumPy and plain Python already. The transformer's encoder loads its
tokenizer through ``transformers``, which imports PyTorch; here the same saved ``tokenizer.json`` is read by
the ``tokenizers`` library that ``transformers``' fast tokenizers run on, so the ids are the same.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import ArtifactError
from ..text import ENCODERS, load_encoder
from ..text.hf_encoder import TOKENIZER_DIR, HFTokenizerEncoder


class TokenizersEncoder(HFTokenizerEncoder):
    """``HFTokenizerEncoder`` (same head+tail truncation) over a ``tokenizers.Tokenizer``."""

    def _token_ids(self, texts: list[str]) -> list[list[int]]:
        return [encoding.ids for encoding in self.tokenizer.encode_batch(texts, add_special_tokens=True)]

    @classmethod
    def load(cls, directory: Path, params: dict) -> "TokenizersEncoder":
        from tokenizers import Tokenizer

        path = Path(directory) / TOKENIZER_DIR / "tokenizer.json"
        if not path.is_file():
            raise ArtifactError(f"{directory}: {TOKENIZER_DIR}/tokenizer.json is missing (a fast tokenizer's file)")
        tokenizer = Tokenizer.from_file(str(path))
        # Truncation and padding are the encoder's job (head+tail), as in the training-side encoder.
        tokenizer.no_truncation()
        tokenizer.no_padding()
        encoder = cls(**params)
        mask = tokenizer.encode("a", add_special_tokens=True).special_tokens_mask
        encoder._lead, encoder._special = mask.index(0), sum(mask)
        encoder.tokenizer = tokenizer
        return encoder


TORCH_FREE_LOADERS = {"hf_v1": TokenizersEncoder.load}


def load_runtime_encoder(directory: Path, config: dict):
    """The encoder a run was trained with, from its files, by a loader that never imports PyTorch."""
    name = ENCODERS.canonical(config["name"])
    loader = TORCH_FREE_LOADERS.get(name)
    if loader is None:
        return load_encoder(directory, config)
    try:
        return loader(Path(directory), config.get("params", {}))
    except ArtifactError:
        raise
    except Exception as exc:  # tokenizers raises its own exception type for a damaged tokenizer.json
        raise ArtifactError(f"{directory}: cannot load the {name} encoder's files: {exc}") from None
