"""The service's answers to bad requests and failures: one JSON shape for every error status.

    {"error": {"status": 413, "code": "payload_too_large", "message": "...", "details": [...]}}
"""
from __future__ import annotations

from starlette.responses import JSONResponse

CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
         415: "unsupported_media_type", 422: "invalid_request", 500: "internal_error", 503: "unavailable"}


def error_response(status: int, code: str | None, message: str, details: list | None = None) -> JSONResponse:
    body = {"status": status, "code": code or CODES.get(status, "error"), "message": message}
    if details:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status)


class RequestTooLarge(Exception):
    """A request within the body limit that asks for too much: too many texts, or a text over its byte limit."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
