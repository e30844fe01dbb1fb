"""`textclass serve RUN`: the run behind an HTTP API (FastAPI + uvicorn), with a demo page at `/`."""
from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile

from ..errors import ConfigError

# How worker processes get their settings: uvicorn starts each with a fresh interpreter and calls the factory.
SETTINGS_ENV = "TEXTCLASS_SERVE_SETTINGS"


def add_parser(sub) -> None:
    from ..serve.config import ServeConfig

    defaults = ServeConfig()
    p = sub.add_parser("serve", help="serve a run over HTTP (needs the serve extra)",
                       description="Serve a run over HTTP: POST /v1/predict, GET /health, /v1/metadata, /metrics, "
                                   "OpenAPI docs at /docs and a demo page at /. Needs pip install "
                                   "'textclass[serve]'.")
    p.add_argument("run_dir", metavar="RUN", help="run directory written by `textclass train`")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for every "
                                                       "interface)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--workers", type=int, default=1, help="worker processes, each loading the model once "
                                                          "(default 1)")
    p.add_argument("--threads", type=int, metavar="N",
                   help="torch CPU threads per worker (default: the worker's share of the cores less one for the "
                        "event loop, at least 1, at most 4)")
    g = p.add_argument_group("micro-batching and limits")
    g.add_argument("--max-batch-size", type=int, default=defaults.max_batch_size, metavar="N",
                   help=f"texts per forward pass; concurrent requests are gathered up to this (default "
                        f"{defaults.max_batch_size}; 1 turns micro-batching off)")
    g.add_argument("--max-wait-ms", type=float, default=defaults.max_wait_ms, metavar="MS",
                   help=f"how long a request waits for others to share its pass (default {defaults.max_wait_ms})")
    g.add_argument("--max-texts", type=int, default=defaults.max_texts, metavar="N",
                   help=f"texts per request, else 413 (default {defaults.max_texts})")
    g.add_argument("--max-text-bytes", type=int, default=defaults.max_text_bytes, metavar="B",
                   help=f"UTF-8 bytes per text, else 413 (default {defaults.max_text_bytes})")
    g.add_argument("--max-body-bytes", type=int, default=defaults.max_body_bytes, metavar="B",
                   help=f"bytes per request body, else 413 (default {defaults.max_body_bytes})")
    g.add_argument("--explain-max-texts", type=int, default=defaults.explain_max_texts, metavar="N",
                   help=f"texts per request that may ask for token weights, else 413 (default "
                        f"{defaults.explain_max_texts})")
    g.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"),
                   help="uvicorn's log level (default info)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..serve import ServeConfig, default_threads, require_serve_extra

    require_serve_extra()
    import uvicorn

    if args.workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {args.workers}")
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port must be between 0 and 65535, got {args.port}")
    if args.threads is not None and args.threads < 1:
        raise ConfigError(f"--threads must be at least 1, got {args.threads}")
    config = ServeConfig(max_batch_size=args.max_batch_size, max_wait_ms=args.max_wait_ms,
                         max_texts=args.max_texts, max_text_bytes=args.max_text_bytes,
                         max_body_bytes=args.max_body_bytes, explain_max_texts=args.explain_max_texts)
    threads = args.threads or default_threads(args.workers)
    server = dict(host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    if args.workers == 1:
        from ..serve.app import create_app

        # Loaded here, before the server starts: a bad run is one clear error line and exit 2.
        app = create_app(args.run_dir, threads=threads, **config.to_dict())
        # Prediction logs what it encoded at INFO (useful once in a batch job, a line per forward pass here);
        # worker processes (--workers > 1) never set up those INFO lines in the first place.
        logging.getLogger("textclass").setLevel(logging.WARNING)
        uvicorn.run(app, **server)
        return 0
    from .. import artifact

    artifact.read_run(args.run_dir)  # fail here, once, rather than in every worker
    os.environ[SETTINGS_ENV] = json.dumps({"run_dir": os.path.abspath(args.run_dir), "threads": threads,
                                           **config.to_dict()})
    # Each worker counts its own requests; prometheus-client's multiprocess mode adds them up for /metrics.
    with tempfile.TemporaryDirectory(prefix="textclass-metrics-") as metrics_dir:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        uvicorn.run("textclass.cli.serve:app_from_environment", factory=True, workers=args.workers, **server)
    return 0


def app_from_environment():
    """The app factory each uvicorn worker process calls (``--workers`` > 1)."""
    from ..serve.app import create_app

    settings = json.loads(os.environ[SETTINGS_ENV])
    return create_app(settings.pop("run_dir"), **settings)
