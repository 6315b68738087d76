"""The relay's HTTP API (FastAPI), SYNC.md §4.1. Every route needs a signed request (`sync.relay.auth`).

- `POST /v1/uploads` `{bundle_id, recipient, length, sha256}` (sender): 201 `created` with
  `Location`; 200 `uploading` with the offset to resume from, or `stored` / `delivered` /
  `expired` when the bundle already got here; 409 id taken, 413 too large, 507 over quota.
- `HEAD /v1/uploads/{id}` (sender): `Upload-Offset`, `Upload-Length`, `Upload-State`,
  `Cache-Control: no-store`.
- `PATCH /v1/uploads/{id}` with `Upload-Offset` and a body <= 1 MiB (sender): 200
  `{state, offset}`; 409 stale offset (with the server's); 460 hash mismatch (not published);
  422 `bundle_refused` with the bundle error class.
- `GET /v1/mailbox` (recipient): `{"bundles": [{bundle_id, sender, kind, size, sha256,
  stored_at}], "server_time"}`.
- `GET /v1/bundles/{id}` with an optional `Range` (recipient): 200 / 206 / 416, `ETag` = the
  SHA-256, `Accept-Ranges: bytes`.
- `DELETE /v1/bundles/{id}` (recipient): 200 `{"state": "delivered"}`; the bytes are deleted.
- `GET /v1/keyring`, `PUT /v1/keyring` (any key): the keyring in force; install a newer
  city-signed one.

Refusals are JSON `{"error": CODE, ...}`. Request sizes are refused from `Content-Length` before
the body is read (`BodyLimit`); the metadata work runs in worker threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from typing import Any, TypeVar

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.concurrency import run_in_threadpool

from sync.relay.service import Refusal, RelayService, UploadState
from sync.relay.settings import RelaySettings

log = logging.getLogger(__name__)
SIGNED_HEADERS = ("content-digest", "range", "upload-offset")
RANGE_RE = re.compile(r"bytes=(\d*)-(\d*)")
IO_BLOCK = 1024 * 1024
T = TypeVar("T")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class CreateUpload(BaseModel):
    """The body of `POST /v1/uploads`."""

    model_config = ConfigDict(extra="forbid", strict=True)
    bundle_id: str
    recipient: str
    length: int
    sha256: str


class BodyLimit:
    """ASGI middleware: refuse a body by its declared length before reading a byte of it.

    Wraps the ASGI `app`; the limits come from `settings`. PATCH bodies may be `max_chunk`, a
    keyring `max_keyring_body`, any other POST or PUT `max_small_body`; GET, HEAD and DELETE
    carry none. A body without `Content-Length` (chunked) is refused with 411: the limit must be
    known before reading.
    """

    def __init__(self, app: ASGIApp, settings: RelaySettings) -> None:
        self.app = app
        self.settings = settings

    def _limit(self, method: str, path: str) -> int:
        if method == "PATCH":
            return self.settings.max_chunk
        if method == "PUT" and path == "/v1/keyring":
            return self.settings.max_keyring_body
        if method in ("POST", "PUT"):
            return self.settings.max_small_body
        return 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse an HTTP request whose body is too long (413) or of unknown length (411); pass the rest on."""
        if scope["type"] == "http":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            limit = self._limit(scope["method"], scope["path"])
            declared = headers.get("content-length")
            refusal: tuple[int, dict[str, Any]] | None = None
            if "transfer-encoding" in headers or (declared is None and limit > 0):
                refusal = (411, {"error": "length_required"})
            elif declared is not None and (not declared.isdigit() or int(declared) > limit):
                refusal = (413, {"error": "too_large", "limit": limit})
            if refusal is not None:
                # Closing the connection: its unread body must not be taken for the next request.
                response = JSONResponse(refusal[1], status_code=refusal[0], headers={"Connection": "close"})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(service: RelayService) -> FastAPI:
    """The relay's ASGI app over a ready `RelayService` (sweeps expired data in the background)."""
    settings = service.settings

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_sweeper(service))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(title="msync relay", openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan)
    app.add_middleware(BodyLimit, settings=settings)

    @app.exception_handler(Refusal)
    async def _refused(_request: Request, exc: Refusal) -> Response:
        return JSONResponse({"error": exc.error, **exc.extra}, status_code=exc.status, headers=exc.headers)

    async def signed(request: Request, work: Callable[[str, bytes], T]) -> T:
        """Authenticate the request, then run `work(sender, body)`: both in one worker thread."""
        auth, entry = service.pre_authenticate(request.headers.get("authorization"))
        body = await request.body()
        headers = {name: request.headers[name] for name in SIGNED_HEADERS if name in request.headers}
        target = request.scope["raw_path"].decode("latin-1")
        if request.scope["query_string"]:
            target += "?" + request.scope["query_string"].decode("latin-1")
        method = request.method

        def authenticated() -> T:
            return work(service.authenticate(auth, entry, method, target, headers, body), body)

        return await run_in_threadpool(authenticated)

    @app.post("/v1/uploads")
    async def create_upload(request: Request) -> Response:
        def create(sender: str, body: bytes) -> tuple[CreateUpload, UploadState]:
            try:
                req = CreateUpload.model_validate_json(body)
            except ValidationError:
                raise Refusal(400, "bad_request") from None
            return req, service.create_upload(sender, req.bundle_id, req.recipient, req.length, req.sha256)

        req, state = await signed(request, create)
        location = f"/v1/uploads/{req.bundle_id}"
        headers = {"Location": location, "Upload-Offset": str(state.offset)}
        payload = {"state": state.state, "offset": state.offset, "location": location}
        return JSONResponse(payload, status_code=201 if state.state == "created" else 200, headers=headers)

    @app.head("/v1/uploads/{bundle_id}")
    async def upload_offset(bundle_id: str, request: Request) -> Response:
        state = await signed(request, lambda sender, _body: service.upload_state(sender, bundle_id))
        headers = {
            "Upload-Offset": str(state.offset),
            "Upload-Length": str(state.length),
            "Upload-State": state.state,
            "Cache-Control": "no-store",
        }
        return Response(status_code=200, headers=headers)

    @app.patch("/v1/uploads/{bundle_id}")
    async def append(bundle_id: str, request: Request) -> Response:
        offset = request.headers.get("upload-offset", "")
        if not offset.isdigit():
            raise Refusal(400, "bad_request")
        state = await signed(request, lambda sender, body: service.append(sender, bundle_id, int(offset), body))
        return JSONResponse(
            {"state": state.state, "offset": state.offset}, headers={"Upload-Offset": str(state.offset)}
        )

    @app.get("/v1/mailbox")
    async def mailbox(request: Request) -> Response:
        rows = await signed(request, lambda recipient, _body: service.mailbox(recipient))
        listing = [
            {
                "bundle_id": r.bundle_id,
                "sender": r.sender,
                "kind": r.kind,
                "size": r.size,
                "sha256": r.sha256,
                "stored_at": r.stored_at,
            }
            for r in rows
        ]
        return JSONResponse({"bundles": listing, "server_time": settings.now()}, headers={"Cache-Control": "no-store"})

    @app.get("/v1/bundles/{bundle_id}")
    async def download(bundle_id: str, request: Request) -> Response:
        row, path = await signed(request, lambda recipient, _body: service.bundle_file(recipient, bundle_id))
        span = _parse_range(request.headers.get("range"), row.size)
        headers = {"ETag": f'"{row.sha256}"', "Accept-Ranges": "bytes", "Cache-Control": "no-store"}
        if span is None:
            headers["Content-Range"] = f"bytes */{row.size}"
            return JSONResponse({"error": "range_not_satisfiable"}, status_code=416, headers=headers)
        start, stop, partial = span
        try:
            fd = os.open(path, os.O_RDONLY)  # held open: a concurrent delete cannot cut the stream
        except FileNotFoundError:
            raise Refusal(404, "not_found") from None
        headers["Content-Length"] = str(stop - start)
        if partial:
            headers["Content-Range"] = f"bytes {start}-{stop - 1}/{row.size}"
        return StreamingResponse(
            _read_span(fd, start, stop),
            status_code=206 if partial else 200,
            headers=headers,
            media_type="application/octet-stream",
        )

    @app.delete("/v1/bundles/{bundle_id}")
    async def deliver(bundle_id: str, request: Request) -> Response:
        state = await signed(request, lambda recipient, _body: service.deliver(recipient, bundle_id))
        return JSONResponse({"state": state})

    @app.get("/v1/keyring")
    async def get_keyring(request: Request) -> Response:
        raw = await signed(request, lambda _owner, _body: service.keyring.raw)
        return Response(raw, media_type="application/json", headers={"Cache-Control": "no-store"})

    @app.put("/v1/keyring")
    async def put_keyring(request: Request) -> Response:
        new = await signed(request, lambda _owner, body: service.update_keyring(body))
        return JSONResponse({"version": new.version})

    return app


def _parse_range(value: str | None, size: int) -> tuple[int, int, bool] | None:
    """(start, stop, partial) of a single `bytes=` range; None if it cannot be satisfied.

    An absent or unparsable header means the whole file (RFC 9110 lets a server ignore it).
    """
    if not value:
        return 0, size, False
    match = RANGE_RE.fullmatch(value.strip())
    if match is None or (not match[1] and not match[2]):
        return 0, size, False
    if not match[1]:  # the last N bytes
        start = max(0, size - int(match[2]))
        return (start, size, True) if size > 0 else None
    start = int(match[1])
    stop = min(size, int(match[2]) + 1) if match[2] else size
    if start >= size or stop <= start:
        return None
    return start, stop, True


def _read_span(fd: int, start: int, stop: int) -> Iterator[bytes]:
    try:
        position = start
        while position < stop:
            block = os.pread(fd, min(IO_BLOCK, stop - position), position)
            if not block:
                break
            position += len(block)
            yield block
    finally:
        os.close(fd)


async def _sweeper(service: RelayService) -> None:
    while True:
        try:
            await run_in_threadpool(service.sweep)
        except Exception:  # a failed sweep is retried next time; the relay keeps serving
            log.exception("sweep failed")
        await asyncio.sleep(service.settings.sweep_every_s)
