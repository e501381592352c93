"""``wasi:http/types`` and ``wasi:http/outgoing-handler``, as far as the
component imports them: its requests go out through the runtime's
keep-alive :class:`~gbg_go._connections.Pool`, held to the client's egress
allow-list and to the host's ceilings on the three request timeouts.

The component writes and finishes a request's body before it calls
``handle``; the request is sent when the component first waits for the
answer (``future-incoming-response.get`` or its pollable), in the thread of
the call, so stopping the call cuts the exchange off.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from ._abi import (
    BYTES,
    HANDLE,
    STRING,
    U16,
    U32,
    U64,
    Err,
    Function,
    List,
    New,
    Ok,
    Option,
    Record,
    Result,
    Tuple,
    Variant,
    signature,
)
from ._connections import Exchange, Failure, Timeouts
from ._egress import split_authority
from ._host import Resource, current
from ._wasi_io import NEW_POLLABLE, Interface, InputStream, IoError, OutputStream, Pollable

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9a-z]+")
_FORBIDDEN = frozenset(
    b"connection keep-alive proxy-authenticate proxy-authorization proxy-connection "
    b"transfer-encoding upgrade host http2-settings".split()
)


class Fields:
    """Header fields, in order."""

    def __init__(self, entries: list[tuple[str, bytes]]) -> None:
        self.entries = entries


class OutgoingRequest:
    """A request the component is building."""

    def __init__(self, headers: Fields) -> None:
        self.headers = headers
        self.method = "GET"
        self.scheme = "https"
        self.authority = ""
        self.path = "/"
        self.body: Optional[OutputStream] = None


class RequestOptions:
    """The timeouts the component asks for, in nanoseconds."""

    def __init__(self) -> None:
        self.connect: Optional[int] = None
        self.first_byte: Optional[int] = None
        self.between_bytes: Optional[int] = None


class OutgoingBody:
    """A request's body: the stream the component writes it to."""

    def __init__(self, stream: OutputStream) -> None:
        self.stream = stream


class FutureResponse:
    """A sent request's answer, exchanged on first demand."""

    def __init__(self, request: OutgoingRequest, timeouts: Timeouts) -> None:
        self.request = request
        self.timeouts = timeouts
        self.outcome: Optional[object] = None
        self.taken = False

    def resolve(self) -> None:
        """Exchanges the request unless that was done: the outcome is an
        :class:`IncomingResponse` or a :class:`Failure`."""
        if self.outcome is not None:
            return
        call = current()
        request = self.request
        host, port = split_authority(request.scheme, request.authority)
        body = bytes(request.body.buffer) if request.body is not None else b""
        exchange = Exchange(
            call.host.pool,
            (request.scheme, host or "", port),
            request.method,
            request.path,
            request.headers.entries,
            body,
            self.timeouts,
        )
        try:
            exchange.send(call.guard)
            self.outcome = IncomingResponse(exchange)
        except Failure as failure:
            call.check()
            self.outcome = failure

    def close(self) -> None:
        if isinstance(self.outcome, IncomingResponse) and not self.taken:
            self.outcome.close()


class IncomingResponse:
    """An answer's head, and its body until the component takes it."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange: Optional[Exchange] = exchange
        self.status = exchange.status
        self.headers = exchange.headers

    def close(self) -> None:
        if self.exchange is not None:
            self.exchange.close()


class IncomingBody:
    """An answer's body."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        self.streamed = False

    def close(self) -> None:
        self.exchange.close()


ERROR_CODE = Variant(
    **{
        "DNS-error": Record(rcode=Option(STRING), info_code=Option(U16)),
        "HTTP-request-trailer-section-size": Option(U32),
        "internal-error": Option(STRING),
    }
)
"""The ``error-code`` cases the package reports, with their payloads."""

FIELDS = List(Tuple(STRING, BYTES))
NEW_FIELDS = New(Resource.FIELDS)
METHOD = Variant(other=STRING)
SCHEME = Variant(other=STRING)
UNIT = Result()


def _error_code(failure: Failure) -> tuple[str, Any]:
    return failure.code, failure.payload


def _get(rep: int, cls: type[Any]) -> Any:
    return current().host.table.get(rep, cls)


def _take(rep: int, cls: type[Any]) -> Any:
    """The object behind an owned handle the component gave up, removed from the table."""
    table = current().host.table
    item = table.get(rep, cls)
    table.pop(rep)
    return item


# -- fields -------------------------------------------------------------------------


@signature(FIELDS, returns=Result(NEW_FIELDS, Variant()))
def fields_from_list(entries: list[tuple[str, bytes]]) -> object:
    for name, value in entries:
        key = name.encode("latin-1", "replace")
        if not _TOKEN.fullmatch(key) or any(c in value for c in b"\r\n\0"):
            return Err(("invalid-syntax", None))
        if key in _FORBIDDEN:
            return Err(("forbidden", None))
    return Fields(entries)


@signature(HANDLE, returns=FIELDS)
def fields_entries(this: int) -> list[tuple[str, bytes]]:
    return list(_get(this, Fields).entries)


# -- outgoing-request ------------------------------------------------------------------


@signature(HANDLE, returns=New(Resource.OUTGOING_REQUEST))
def outgoing_request_new(headers: int) -> OutgoingRequest:
    return OutgoingRequest(_take(headers, Fields))


@signature(HANDLE, returns=Result(New(Resource.OUTGOING_BODY)))
def outgoing_request_body(this: int) -> object:
    request = _get(this, OutgoingRequest)
    if request.body is not None:
        return Err()
    request.body = OutputStream(keep=True)
    return OutgoingBody(request.body)


@signature(HANDLE, METHOD, returns=UNIT)
def outgoing_request_set_method(this: int, method: tuple[str, Optional[str]]) -> object:
    case, other = method
    name = other if case == "other" else case
    if not name or not _TOKEN.fullmatch(name.lower().encode("latin-1", "replace")):
        return Err()
    _get(this, OutgoingRequest).method = name.upper()
    return Ok()


@signature(HANDLE, Option(STRING), returns=UNIT)
def outgoing_request_set_path_with_query(this: int, path: Optional[str]) -> object:
    if path is not None and (not path.startswith("/") or any(c in path for c in " \r\n\0")):
        return Err()
    _get(this, OutgoingRequest).path = path or "/"
    return Ok()


@signature(HANDLE, Option(SCHEME), returns=UNIT)
def outgoing_request_set_scheme(this: int, scheme: Optional[tuple[str, Optional[str]]]) -> object:
    name = "https" if scheme is None else str(scheme[1] if scheme[0] == "other" else scheme[0])
    _get(this, OutgoingRequest).scheme = name.lower()
    return Ok()


@signature(HANDLE, Option(STRING), returns=UNIT)
def outgoing_request_set_authority(this: int, authority: Optional[str]) -> object:
    _get(this, OutgoingRequest).authority = authority or ""
    return Ok()


# -- request-options ----------------------------------------------------------------------


@signature(returns=New(Resource.REQUEST_OPTIONS))
def request_options_new() -> RequestOptions:
    return RequestOptions()


def _timeout_setter(field: str) -> Function:
    @signature(HANDLE, Option(U64), returns=UNIT)
    def set_timeout(this: int, duration: Optional[int]) -> object:
        setattr(_get(this, RequestOptions), field, duration)
        return Ok()

    return set_timeout


# -- outgoing-body ----------------------------------------------------------------------------


@signature(HANDLE, returns=Result(New(Resource.OUTPUT_STREAM)))
def outgoing_body_write(this: int) -> OutputStream:
    stream: OutputStream = _get(this, OutgoingBody).stream
    return stream


@signature(HANDLE, Option(HANDLE), returns=Result(None, ERROR_CODE))
def outgoing_body_finish(this: int, trailers: Optional[int]) -> object:
    _take(this, OutgoingBody).stream.open = False
    if trailers is not None:
        _take(trailers, Fields)
        return Err(("HTTP-request-trailer-section-size", None))
    return Ok()


# -- outgoing-handler -------------------------------------------------------------------------


@signature(HANDLE, Option(HANDLE), returns=Result(New(Resource.FUTURE_INCOMING_RESPONSE), ERROR_CODE))
def handle(request: int, options: Optional[int]) -> object:
    outgoing = _take(request, OutgoingRequest)
    asked = _take(options, RequestOptions) if options is not None else RequestOptions()
    if not current().host.egress.check(outgoing.scheme, outgoing.authority):
        return Err(("HTTP-request-denied", None))
    return FutureResponse(outgoing, Timeouts.clamped(asked.connect, asked.first_byte, asked.between_bytes))


# -- future-incoming-response ---------------------------------------------------------------


@signature(HANDLE, returns=NEW_POLLABLE)
def future_response_subscribe(this: int) -> Pollable:
    return Pollable(_get(this, FutureResponse).resolve)


@signature(HANDLE, returns=Option(Result(Result(New(Resource.INCOMING_RESPONSE), ERROR_CODE))))
def future_response_get(this: int) -> object:
    future = _get(this, FutureResponse)
    if future.taken:
        return Err()
    future.resolve()
    future.taken = True
    outcome = future.outcome
    if isinstance(outcome, Failure):
        return Ok(Err(_error_code(outcome)))
    return Ok(outcome)


# -- incoming-response, incoming-body -----------------------------------------------------------


@signature(HANDLE, returns=U16)
def incoming_response_status(this: int) -> int:
    status: int = _get(this, IncomingResponse).status
    return status


@signature(HANDLE, returns=NEW_FIELDS)
def incoming_response_headers(this: int) -> Fields:
    return Fields(list(_get(this, IncomingResponse).headers))


@signature(HANDLE, returns=Result(New(Resource.INCOMING_BODY)))
def incoming_response_consume(this: int) -> object:
    response = _get(this, IncomingResponse)
    exchange, response.exchange = response.exchange, None
    return Err() if exchange is None else IncomingBody(exchange)


@signature(HANDLE, returns=Result(New(Resource.INPUT_STREAM)))
def incoming_body_stream(this: int) -> object:
    body = _get(this, IncomingBody)
    if body.streamed:
        return Err()
    body.streamed = True
    exchange = body.exchange
    return InputStream(lambda size: exchange.read(size, current().guard))


@signature(HANDLE, returns=New(Resource.FUTURE_TRAILERS))
def incoming_body_finish(this: int) -> object:
    _take(this, IncomingBody).close()
    return object()


@signature(HANDLE, returns=Option(ERROR_CODE))
def http_error_code(error: int) -> tuple[str, Any]:
    return _error_code(_get(error, IoError).failure)


TYPES: Interface = (
    {
        "fields": Resource.FIELDS,
        "outgoing-request": Resource.OUTGOING_REQUEST,
        "request-options": Resource.REQUEST_OPTIONS,
        "outgoing-body": Resource.OUTGOING_BODY,
        "future-incoming-response": Resource.FUTURE_INCOMING_RESPONSE,
        "incoming-response": Resource.INCOMING_RESPONSE,
        "incoming-body": Resource.INCOMING_BODY,
        "future-trailers": Resource.FUTURE_TRAILERS,
    },
    {
        "[static]fields.from-list": fields_from_list,
        "[method]fields.entries": fields_entries,
        "[constructor]outgoing-request": outgoing_request_new,
        "[method]outgoing-request.body": outgoing_request_body,
        "[method]outgoing-request.set-method": outgoing_request_set_method,
        "[method]outgoing-request.set-path-with-query": outgoing_request_set_path_with_query,
        "[method]outgoing-request.set-scheme": outgoing_request_set_scheme,
        "[method]outgoing-request.set-authority": outgoing_request_set_authority,
        "[constructor]request-options": request_options_new,
        "[method]request-options.set-connect-timeout": _timeout_setter("connect"),
        "[method]request-options.set-first-byte-timeout": _timeout_setter("first_byte"),
        "[method]request-options.set-between-bytes-timeout": _timeout_setter("between_bytes"),
        "[method]outgoing-body.write": outgoing_body_write,
        "[static]outgoing-body.finish": outgoing_body_finish,
        "[method]future-incoming-response.subscribe": future_response_subscribe,
        "[method]future-incoming-response.get": future_response_get,
        "[method]incoming-response.status": incoming_response_status,
        "[method]incoming-response.headers": incoming_response_headers,
        "[method]incoming-response.consume": incoming_response_consume,
        "[method]incoming-body.stream": incoming_body_stream,
        "[static]incoming-body.finish": incoming_body_finish,
        "http-error-code": http_error_code,
    },
)
"""``wasi:http/types``: its resources and the functions the component imports."""

OUTGOING_HANDLER: Interface = ({}, {"handle": handle})
"""``wasi:http/outgoing-handler``."""
