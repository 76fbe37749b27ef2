"""Request bodies are bounded before anything reads them: over the limit the answer is 413, at once."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024


class BodyLimit:
    """Pure ASGI middleware, outermost, so every route (Bolt's included) sees at most `max_bytes`.

    A Content-Length over the limit is refused before a byte of the body is read; a body without one
    (chunked) is counted as it arrives and refused as soon as it passes the limit. Either way the
    connection is closed, so the rest of the upload is never read. A body within the limit is
    collected here and handed on whole: every route reads its body whole anyway (Bolt verifies the
    signature over all of it), so this costs no extra memory beyond the limit.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int = DEFAULT_MAX_REQUEST_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is None:
            await _refuse(send, 400, b"The Content-Length header is not a number.\n")
            return
        if declared > self.max_bytes:
            await _refuse(send, 413, self._too_large())
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before sending its whole body: nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _refuse(send, 413, self._too_large())
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    def _too_large(self) -> bytes:
        return f"The request body is larger than {self.max_bytes} bytes.\n".encode()


def _content_length(scope: Scope) -> int | None:
    """The declared length; 0 when there is none (the body is then counted); None when it is not a number."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return 0


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the collected body over once, then passes on what the server says next."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _refuse(send: Send, status: int, text: bytes) -> None:
    # "Connection: close" makes the server drop the connection after the answer instead of reading
    # (and discarding) the rest of the body to reach a next request.
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(text)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": text})
