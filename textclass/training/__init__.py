"""Training: options, the loop and its parts (optimizer step, early stopping), checkpoints, several processes,
schedules, devices, seeding."""
from .checkpoint import Checkpointer, checkpoint_dir_for
from .config import MONITORS, OPTIONS, TrainingConfig, check_option
from .device import resolve_device, seed_everything
from .loop import TrainingResult, predict_logits, train_model
from .schedules import SCHEDULES
from .stopping import EarlyStopping

__all__ = ["MONITORS", "OPTIONS", "SCHEDULES", "Checkpointer", "EarlyStopping", "TrainingConfig", "TrainingResult",
           "check_option", "checkpoint_dir_for", "predict_logits", "resolve_device", "seed_everything",
           "train_model"]
