"""Two plain ASGI middlewares (no per-request task or copy beyond what they need): the request-body limit and
the request metrics. Errors are answered in the service's JSON error format (``responses.error_response``)."""
from __future__ import annotations

import time

from .responses import error_response
from .metrics import ServiceMetrics


class BodyLimit:
    """413 for a body over ``max_bytes``: at once when Content-Length says so, else (chunked uploads) as soon
    as the bytes read pass it, before anything is parsed. The body is read here and replayed to the app, so a
    request the app sees is always within the limit."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            return await self._reject(scope, receive, send, f"{declared} bytes")
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return await self._reject(scope, receive, send, f"more than {self.max_bytes} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body, replayed = b"".join(chunks), False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: only a disconnect can come
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _reject(self, scope, receive, send, size: str):
        response = error_response(413, "payload_too_large",
                                  f"the request body has {size}; the limit is {self.max_bytes} bytes "
                                  f"(max_body_bytes)")
        await response(scope, receive, send)


def _content_length(scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class RequestMetrics:
    """Counts every HTTP request by endpoint (the route's path template, so ids in paths never explode the
    label set), method and status, and observes its latency; an exception that escapes the app counts as 500.
    A request answered before routing (a 413 from ``BodyLimit``) counts under its path when that is one of
    ``paths``; a file under a mounted folder under the mount's path; anything else under "unmatched"."""

    def __init__(self, app, metrics: ServiceMetrics, paths: frozenset[str], mounts: tuple[str, ...] = ()):
        self.app, self.metrics, self.paths = app, metrics, paths
        self.mounts = tuple((mount, mount + "/") for mount in mounts)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start, status = time.perf_counter(), 500

        async def send_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.metrics.observe_request(self._endpoint(scope), scope["method"], status, time.perf_counter() - start)

    def _endpoint(self, scope) -> str:
        route, path = scope.get("route"), scope["path"]
        if route is not None:
            return route.path
        if path in self.paths:
            return path
        return next((mount for mount, prefix in self.mounts if path.startswith(prefix)), "unmatched")
