"""Pretrained word vectors for a model's ``nn.Embedding``: the ``embeddings`` / ``freeze_embeddings`` options.

The vectors file is read once, when ``TextClassifier.fit`` calls ``init_embeddings`` on the new model. A saved
run holds the resulting weights in ``model.safetensors``, so loading it never needs the file again.
"""
from __future__ import annotations

import logging
from pathlib import Path

import torch
from torch import nn

from ..errors import ConfigError
from ..text.vectors import load_vectors, vectors_dim
from ..text.vocabulary import PAD, UNK, Vocabulary
from .base import TextModel

log = logging.getLogger("textclass.models")


class PretrainedEmbedding(TextModel):
    """Base of the families whose token embedding layer is ``self.embedding`` (read from a vocabulary).

    Call ``self.use_pretrained(embeddings, freeze_embeddings)`` in ``__init__`` after creating the layer.
    Freezing holds the whole layer, the random rows of words without a vector included (Kim's "static").
    """

    embedding: nn.Embedding

    def use_pretrained(self, embeddings: str, freeze: bool) -> None:
        if freeze and not embeddings:
            raise ConfigError("freeze_embeddings needs pretrained vectors (embeddings=PATH): freezing a random "
                              "initialisation would leave it random")
        self.embeddings_path = embeddings
        self.embedding.weight.requires_grad_(not freeze)

    def init_embeddings(self, encoder) -> None:
        """Copy the vectors of the encoder's vocabulary words into the layer; a no-op without ``embeddings``."""
        if not self.embeddings_path:
            return
        vocab: Vocabulary = encoder.vocab
        path = Path(self.embeddings_path)
        weight = self.embedding.weight
        dim = vectors_dim(path)
        if dim != weight.shape[1]:
            raise ConfigError(f"{path}: vectors are {dim}-d but embedding_dim is {weight.shape[1]}: "
                              f"set embedding_dim={dim}")
        # No vectors file knows <pad> or <unk>; they are left out of the search and of the coverage figure.
        word_ids = [i for i, token in enumerate(vocab.itos) if token not in (PAD, UNK)]
        vectors = load_vectors(path, [vocab.itos[i] for i in word_ids])
        if vectors.n_found == 0:
            raise ConfigError(f"{path}: none of the {len(word_ids)} vocabulary words has a vector; is it "
                              "a vectors file for this language and tokenization?")
        found = torch.from_numpy(vectors.matrix[vectors.found])
        # Rows without a vector start at the found vectors' scale, so no group of words dominates early updates.
        with torch.no_grad():
            rows = torch.randn(len(vocab), dim) * found.std(0, correction=0) + found.mean(0)
            rows[torch.tensor(word_ids)[torch.from_numpy(vectors.found)]] = found
            if self.embedding.padding_idx is not None:
                rows[self.embedding.padding_idx] = 0.0
            weight.copy_(rows)
        log.info("embeddings: %.1f%% of %d vocabulary words found in %s (%d-d); %d words initialised at random%s",
                 100 * vectors.coverage, len(vectors.words), path.name, dim, len(vectors.words) - vectors.n_found,
                 ", frozen" if not weight.requires_grad else "")
