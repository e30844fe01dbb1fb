"""Training: options, the loop and its parts (optimizer step, early stopping), schedules, devices, seeding."""
from .config import MONITORS, OPTIONS, TrainingConfig, check_option
from .device import resolve_device, seed_everything
from .loop import TrainingResult, predict_logits, train_model
from .schedules import SCHEDULES
from .stopping import EarlyStopping

__all__ = ["MONITORS", "OPTIONS", "SCHEDULES", "EarlyStopping", "TrainingConfig", "TrainingResult",
           "check_option", "predict_logits", "resolve_device", "seed_everything", "train_model"]
