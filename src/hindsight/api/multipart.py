"""multipart/form-data read as it streams in: one file part handed on chunk by chunk, small
text fields collected, everything else refused.

Starlette's form parsing spools file parts to a temporary file of its own and has no limit on a
file's size; an upload of an hour of audio must instead flow straight into its final storage
and stop at the size limit, so the body is parsed here with python-multipart's streaming parser.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from python_multipart.multipart import MultipartParseError, MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from hindsight.domain.errors import InvalidParameter

MAX_FIELD_BYTES = 8 * 1024
MAX_PARTS = 32
# Bytes read and dropped after refusing an upload mid-body, so the client is reading when the
# answer comes (closing a socket with unread data resets it, losing the answer).
DRAIN_BYTES = 8 * 1024 * 1024


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    file_seen: bool = False
    filename: str | None = None


def boundary_of(content_type: str | None) -> bytes:
    media_type, options = parse_options_header(content_type or "")
    if media_type != b"multipart/form-data":
        raise InvalidParameter(
            "Upload a recording as multipart/form-data with the audio in a part named 'file'"
        )
    boundary = options.get(b"boundary")
    if not boundary or len(boundary) > 200:
        raise InvalidParameter("The multipart/form-data body has no usable boundary")
    return boundary


async def body_chunks(request: Request) -> AsyncIterator[bytes]:
    """The request body as it arrives (what `request.stream()` gives, without its one-use rule)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def drain(chunks: AsyncIterator[bytes], limit: int = DRAIN_BYTES) -> None:
    read = 0
    try:
        async for chunk in chunks:
            read += len(chunk)
            if read > limit:
                return
    except ClientDisconnect:
        return


class _Events:
    """python-multipart calls back synchronously; events are queued and handled async."""

    def __init__(self) -> None:
        self.queue: list[tuple[str, Any]] = []
        self.ended = False

    def callbacks(self) -> dict[str, Callable[..., None]]:
        def data(kind: str) -> Callable[[bytes, int, int], None]:
            return lambda buffer, start, end: self.queue.append((kind, buffer[start:end]))

        def mark(kind: str) -> Callable[[], None]:
            return lambda: self.queue.append((kind, None))

        def end() -> None:
            self.ended = True

        return {
            "on_part_begin": mark("part_begin"),
            "on_part_data": data("part_data"),
            "on_part_end": mark("part_end"),
            "on_header_field": data("header_field"),
            "on_header_value": data("header_value"),
            "on_header_end": mark("header_end"),
            "on_headers_finished": mark("headers_finished"),
            "on_end": end,
        }


async def read_form(
    chunks: AsyncIterator[bytes],
    boundary: bytes,
    *,
    file_field: str,
    fields: Collection[str],
    on_file_data: Callable[[bytes], Awaitable[None]],
) -> Form:
    """Parse the whole body; the `file_field` part's bytes go to `on_file_data` as they come."""
    events = _Events()
    parser = MultipartParser(boundary, events.callbacks())
    form = Form()
    state = _PartState()
    async for chunk in chunks:
        try:
            parser.write(chunk)
        except MultipartParseError:
            raise InvalidParameter("The multipart/form-data body is malformed") from None
        queue, events.queue = events.queue, []
        for kind, value in queue:
            await state.handle(kind, value, form, file_field, fields, on_file_data)
    if not events.ended:
        raise InvalidParameter("The multipart/form-data body ends before its closing boundary")
    return form


class _PartState:
    def __init__(self) -> None:
        self.parts = 0
        self.header_name = b""
        self.header_value = b""
        self.headers: dict[bytes, bytes] = {}
        self.name: str | None = None
        self.is_file = False
        self.value = bytearray()

    async def handle(
        self,
        kind: str,
        value: Any,
        form: Form,
        file_field: str,
        fields: Collection[str],
        on_file_data: Callable[[bytes], Awaitable[None]],
    ) -> None:
        if kind == "part_begin":
            self.parts += 1
            if self.parts > MAX_PARTS:
                raise InvalidParameter(f"The form has more than {MAX_PARTS} parts")
            self.headers, self.header_name, self.header_value = {}, b"", b""
            self.name, self.is_file, self.value = None, False, bytearray()
        elif kind == "header_field":
            self.header_name += value
        elif kind == "header_value":
            self.header_value += value
        elif kind == "header_end":
            if len(self.header_name) + len(self.header_value) > MAX_FIELD_BYTES:
                raise InvalidParameter("A part of the form has an oversized header")
            self.headers[self.header_name.lower()] = self.header_value
            self.header_name, self.header_value = b"", b""
        elif kind == "headers_finished":
            self._start_part(form, file_field, fields)
        elif kind == "part_data":
            if self.is_file:
                await on_file_data(value)
                return
            self.value += value
            if len(self.value) > MAX_FIELD_BYTES:
                raise InvalidParameter(f"{self.name} is longer than {MAX_FIELD_BYTES} bytes")
        elif kind == "part_end" and not self.is_file and self.name is not None:
            try:
                form.fields[self.name] = self.value.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidParameter(f"{self.name} is not UTF-8 text") from None
            if "\x00" in form.fields[self.name]:
                raise InvalidParameter(f"{self.name} must not contain NUL characters")

    def _start_part(self, form: Form, file_field: str, fields: Collection[str]) -> None:
        disposition, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        name_bytes = options.get(b"name")
        if disposition != b"form-data" or name_bytes is None:
            raise InvalidParameter("Every part of the form needs a form-data name")
        name = name_bytes.decode("utf-8", "replace")
        if name == file_field:
            if form.file_seen:
                raise InvalidParameter(f"Give one {file_field!r} part, not several")
            form.file_seen = True
            filename = options.get(b"filename")
            form.filename = filename.decode("utf-8", "replace") if filename else None
            self.name, self.is_file = name, True
            return
        if name not in fields:
            listed = ", ".join([file_field, *sorted(fields)])
            raise InvalidParameter(f"Unknown form field {name[:40]!r}. Fields accepted: {listed}")
        if name in form.fields:
            raise InvalidParameter(f"{name} was given more than once; give it once")
        self.name, self.is_file = name, False
