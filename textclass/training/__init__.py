"""Training: the loop, learning-rate schedules, devices and seeding."""
from .checkpoint import Checkpointer, checkpoint_dir_for
from .device import resolve_device, seed_everything
from .loop import TrainingConfig, TrainingResult, predict_logits, train_model
from .schedules import SCHEDULES

__all__ = ["Checkpointer", "SCHEDULES", "checkpoint_dir_for", "TrainingConfig", "TrainingResult", "predict_logits", "resolve_device",
           "seed_everything", "train_model"]
