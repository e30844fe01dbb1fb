"""Fine-tuning a pretrained Hugging Face encoder (``AutoModelForSequenceClassification``) with a fresh head.

The architecture comes from outside textclass (a hub name or a local folder), so a run also stores its
``config.json`` under ``RUN/hf_model/``: loading passes it to the constructor as ``architecture``, which builds
the network from it alone (the weights then come from the run's ``model.safetensors``), with neither the
network nor the original folder.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

from ..errors import ArtifactError, ConfigError
from ..search_space import Choice, FloatRange, IntRange
from ..text.hf_encoder import NO_PRETRAINED, require_transformers
from .base import TextModel
from .registry import register_model

HF_MODEL_DIR = "hf_model"


@register_model("transformer_v1", aliases=("transformer",))
class TransformerClassifier(TextModel):
    """A pretrained transformer (any AutoModelForSequenceClassification) fine-tuned end to end."""

    input_format = "padded"
    encoder = {"name": "hf_v1", "params": {}}
    # Fine-tuning: a learning rate warmed up then decayed linearly, decoupled weight decay (Devlin et al. 2019),
    # and more epochs than BERT-base's customary 3 (Mosbach et al. 2021: longer runs are the stable ones). On
    # BANKING77 (77 classes, ~130 texts each) MiniLM-L6 reached 81.4% test accuracy with 5e-5 for 5 epochs and
    # 92.8% with 1e-4 for 10 (benchmarks: BENCHMARKS.md); the best validation epoch is kept either way.
    training_defaults = {"epochs": 10, "batch_size": 32, "lr": 1e-4, "weight_decay": 0.01, "clip_grad_norm": 1.0,
                         "lr_schedule": "linear", "warmup_ratio": 0.06}
    # Around the fine-tuning recipe above: the step size matters most, then the length and the warm-up.
    search_space = {"lr": FloatRange(1e-5, 3e-4, log=True), "epochs": IntRange(3, 10),
                    "batch_size": Choice((16, 32)), "warmup_ratio": FloatRange(0.0, 0.15),
                    "weight_decay": FloatRange(0.0, 0.1)}

    def __init__(self, num_classes: int, padding_idx: int, pretrained: str = "", architecture: dict | None = None):
        super().__init__()
        transformers = require_transformers()
        auto = transformers.AutoModelForSequenceClassification
        # float32 whatever the checkpoint holds: mixed precision, when on, is the training loop's choice.
        if architecture is not None:  # a saved run: ``pretrained`` is deliberately not read, it may be gone
            config = transformers.AutoConfig.for_model(**architecture)
            if config.num_labels != num_classes:
                raise ArtifactError(f"the saved architecture has {config.num_labels} outputs but the run has "
                                    f"{num_classes} labels")
            self.hf = auto.from_config(config, dtype=torch.float32)
        elif not pretrained:
            raise ConfigError(NO_PRETRAINED)
        else:
            self.hf = auto.from_pretrained(pretrained, num_labels=num_classes, dtype=torch.float32)
        # Decoder-style heads find each text's last token by the pad id, which must be the tokenizer's.
        self.hf.config.pad_token_id = padding_idx

    @classmethod
    def run_args(cls, directory) -> dict:
        path = Path(directory) / HF_MODEL_DIR / "config.json"
        if not path.is_file():
            raise ArtifactError(f"{directory}: the model architecture {HF_MODEL_DIR}/config.json is missing")
        try:
            return {"architecture": json.loads(path.read_text(encoding="utf-8"))}
        except ValueError as exc:
            raise ArtifactError(f"{path}: not valid JSON ({exc})") from None

    def forward(self, batch) -> torch.Tensor:
        positions = torch.arange(batch.ids.shape[1], device=batch.ids.device)
        mask = positions < batch.lengths.to(batch.ids.device)[:, None]
        return self.hf(input_ids=batch.ids, attention_mask=mask.long()).logits

    def configure_optimizer(self, lr: float, weight_decay: float) -> torch.optim.Optimizer:
        # Biases and normalisation gains (the 1-d parameters) are not decayed, as in BERT's recipe.
        params = [p for p in self.parameters() if p.requires_grad]
        groups = [{"params": [p for p in params if p.ndim >= 2], "weight_decay": weight_decay},
                  {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0}]
        # The fused kernel updates the ~20M parameters of even a small transformer several times faster
        # than the per-tensor loop (6x measured on CPU), and the update is most of a CPU step's time.
        return torch.optim.AdamW(groups, lr=lr, fused=True)

    def save_files(self, directory) -> None:
        self.hf.config.save_pretrained(Path(directory) / HF_MODEL_DIR)
