"""``textclass serve``: an HTTP service for a trained run (FastAPI + uvicorn + prometheus-client).

Those libraries are the ``serve`` extra; importing this package does not need them, ``create_app`` does.
"""
from __future__ import annotations

from ..errors import ConfigError
from .config import ServeConfig, default_threads
from .predictor import Predictor, TorchPredictor, load_predictor

__all__ = ["Predictor", "ServeConfig", "TorchPredictor", "create_app", "default_threads", "load_predictor",
           "require_serve_extra"]


def require_serve_extra() -> None:
    missing = []
    for module in ("fastapi", "uvicorn", "prometheus_client"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise ConfigError(f"serving needs {', '.join(missing)}: pip install 'textclass[serve]'")


def create_app(run_dir=None, **kwargs):
    """See ``textclass.serve.app.create_app``."""
    require_serve_extra()
    from .app import create_app as create

    return create(run_dir, **kwargs)
