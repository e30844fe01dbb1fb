"""The FastAPI application: endpoints, error answers, metrics, the demo page, and the batcher's lifetime."""
from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..calibration import UNCERTAIN
from ..errors import ConfigError
from .batcher import MicroBatcher
from .config import ServeConfig
from .gc_pauses import GcPauseObserver, freeze_startup_objects, unfreeze
from .metrics import ServiceMetrics
from .middleware import BodyLimit, RequestMetrics
from .predictor import Predictor, load_predictor
from .responses import RequestTooLarge, error_response
from .schemas import Health, PredictRequest, PredictResponse

log = logging.getLogger("textclass.serve")

STATIC = Path(__file__).parent / "static"
MODEL_INFO_KEYS = ("name", "run", "run_id", "textclass_version")


def build_app(predictor: Predictor, config: ServeConfig) -> FastAPI:
    metrics = ServiceMetrics()
    batcher = MicroBatcher(predictor, max_batch_size=config.max_batch_size, max_wait_ms=config.max_wait_ms,
                           on_batch=metrics.observe_batch)
    metadata = predictor.metadata()
    model_info = {key: metadata[key] for key in MODEL_INFO_KEYS}
    labels = list(predictor.labels)

    gc_pauses = GcPauseObserver(metrics.observe_gc_pause)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        # Everything loaded by now (the model, the imported libraries, the server) lives as long as the
        # service: frozen, full collections no longer walk it while requests wait (gc_pauses.py says why).
        freeze_startup_objects()
        gc_pauses.start()
        batcher.start()
        try:
            yield
        finally:
            batcher.stop()
            gc_pauses.stop()
            unfreeze()

    app = FastAPI(title="textclass", version=__version__, lifespan=lifespan,
                  summary=f"Text classification with the {model_info['name']} run {model_info['run']!r}",
                  description="Predictions from a textclass run. Errors come back as "
                              '`{"error": {"status", "code", "message", "details"}}`.')
    app.state.predictor, app.state.batcher, app.state.metrics = predictor, batcher, metrics

    @app.post("/v1/predict", response_model=PredictResponse, tags=["predict"],
              responses={413: {"description": "too many texts, a text or the body too large"},
                         422: {"description": "malformed JSON or fields of the wrong type"},
                         500: {"description": "the model failed on this request (counted in /metrics)"}})
    async def predict(body: PredictRequest):
        """Label, confidence and the most probable labels for one text or a list of texts."""
        texts = body.all_texts()
        _check_limits(texts, body.explain, config)
        try:
            result = await batcher.predict(texts, explain=body.explain and predictor.explains)
        except Exception as exc:  # the model's failure is this request's 500, never the server's end
            log.exception("prediction failed for a request of %d texts", len(texts))
            metrics.errors.labels(type(exc).__name__).inc()
            return error_response(500, "prediction_failed",
                                  f"the model failed on this request ({type(exc).__name__}); the server log has "
                                  f"the details")
        top_k = min(body.top_k, len(labels))
        predictions = []
        multi_label = metadata["config"].get("task") == "multi_label"
        for i, (text, row, chosen) in enumerate(zip(texts, result.probabilities,
                                                    predictor.decide(result.probabilities))):
            order = np.argsort(-row, kind="stable")[:top_k]
            best = max(chosen, key=lambda j: row[j]) if chosen else None
            label = None if best is None else labels[best]
            if body.abstain_below is not None and best is not None and row[best] < body.abstain_below:
                label = UNCERTAIN
            prediction = {
                "label": label,
                "confidence": None if best is None else round(float(row[best]), 6),
                "top_k": [{"label": labels[j], "probability": round(float(row[j]), 6)} for j in order],
                "empty": not text.strip(),
            }
            if multi_label:
                prediction["labels"] = [labels[j] for j in chosen]
            if result.explanations is not None:
                prediction["tokens"] = [(token, round(weight, 6)) for token, weight in result.explanations[i]]
            elif body.explain:  # asked of a model that cannot explain: said so, not left out
                prediction["tokens"] = None
            predictions.append(prediction)
        return JSONResponse({"model": model_info, "predictions": predictions})

    @app.get("/health", response_model=Health, tags=["service"])
    async def health():
        """200 while the model is loaded and the batcher is running."""
        return {"status": "ok", "model": model_info}

    @app.get("/v1/metadata", tags=["service"])
    async def model_metadata():
        """The model: labels, name and configuration, its test metrics (when the run has metrics.json), and the
        service's batching and limits."""
        return {**metadata, "serving": config.to_dict()}

    @app.get("/metrics", tags=["service"], response_class=Response)
    async def prometheus_metrics():
        """Prometheus text format: requests by endpoint and status, latency and batch-size histograms,
        prediction errors."""
        return Response(metrics.render(), media_type=metrics.content_type)

    @app.get("/", include_in_schema=False)
    async def demo_page():
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError):
        errors = exc.errors()
        details = [{"loc": list(error.get("loc", ())), "message": error.get("msg", ""), "type": error.get("type", "")}
                   for error in errors]
        if errors and errors[0].get("type") == "json_invalid":
            position, reason = errors[0]["loc"][-1], errors[0].get("ctx", {}).get("error", "")
            return error_response(422, "malformed_json", f"the body is not valid JSON (character {position}: "
                                                         f"{reason})", details)
        first = details[0] if details else {"loc": [], "message": "invalid request"}
        where = ".".join(str(part) for part in first["loc"])
        return error_response(422, "invalid_request", f"{where}: {first['message']}" if where else first["message"],
                              details)

    @app.exception_handler(RequestTooLarge)
    async def too_large(_request: Request, exc: RequestTooLarge):
        return error_response(413, "payload_too_large", exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException):
        return error_response(exc.status_code, None, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception):
        log.error("unhandled error", exc_info=exc)
        return error_response(500, "internal_error", f"the server failed on this request ({type(exc).__name__})")

    paths = frozenset(route.path for route in app.routes)
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes)
    app.add_middleware(RequestMetrics, metrics=metrics, paths=paths, mounts=("/static",))  # added last: outermost, sees every answer
    return app


def _check_limits(texts: list[str], explain: bool, config: ServeConfig) -> None:
    if len(texts) > config.max_texts:
        raise RequestTooLarge(f"the request has {len(texts)} texts; the limit is {config.max_texts} (max_texts)")
    for i, text in enumerate(texts):
        # A character is 1 to 4 bytes; only texts that might be over the limit are encoded to count them.
        if len(text) * 4 > config.max_text_bytes and len(text.encode("utf-8")) > config.max_text_bytes:
            raise RequestTooLarge(f"text {i} has {len(text.encode('utf-8'))} bytes (UTF-8); the limit is "
                                  f"{config.max_text_bytes} (max_text_bytes)")
    if explain and len(texts) > config.explain_max_texts:
        raise RequestTooLarge(f"explanations were asked for {len(texts)} texts; the limit is "
                              f"{config.explain_max_texts} (explain_max_texts)")


def create_app(run_dir=None, *, predictor: Predictor | None = None, threads: int | None = None,
               backend: str = "torch", **settings) -> FastAPI:
    """The service for the run at ``run_dir`` (loaded once, here), or for an already loaded ``predictor``.

    ``settings`` are ``ServeConfig`` fields: ``max_batch_size``, ``max_wait_ms``, ``max_texts``,
    ``max_text_bytes``, ``max_body_bytes``, ``explain_max_texts``. ``threads`` sets torch's CPU threads.
    ``backend="onnx"`` serves the run's ONNX export (``textclass export``) through onnxruntime instead.
    """
    if (run_dir is None) == (predictor is None):
        raise TypeError("give either run_dir or predictor")
    unknown = sorted(set(settings) - set(ServeConfig.__dataclass_fields__))
    if unknown:
        raise ConfigError(f"create_app has no setting {', '.join(unknown)}; it takes: "
                          f"{', '.join(ServeConfig.__dataclass_fields__)}")
    config = ServeConfig(**settings)
    return build_app(predictor if predictor is not None else load_predictor(run_dir, threads=threads, backend=backend),
                     config)
