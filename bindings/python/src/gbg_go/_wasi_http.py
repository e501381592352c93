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
from types import SimpleNamespace
from typing import Any, Callable, Optional

from wasmtime.component import ResourceAny, ResourceHost, Variant

from ._connections import Exchange, Failure, Timeouts
from ._egress import split_authority
from ._host import Resource, current, host_function, own, rep
from ._wasi_io import InputStream, IoError, OutputStream, Pollable

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


def _error_code(failure: Failure) -> Variant:
    """A :class:`Failure` as the WIT ``error-code`` variant."""
    payload = failure.payload
    if isinstance(payload, dict):
        payload = SimpleNamespace(**payload)
    return Variant(failure.code, payload)


def _take(store: Any, handle: ResourceAny, cls: type[Any]) -> Any:
    """The object behind an owned handle the component gave up, removed
    from the table (taking its ``rep`` releases the handle)."""
    table = current().host.table
    index = rep(store, handle)
    item = table.get(index, cls)
    table.pop(index)
    return item


# -- fields -------------------------------------------------------------------------


@host_function
def fields_from_list(store: Any, entries: list[tuple[str, bytes]]) -> object:
    checked = []
    for name, value in entries:
        key = name.encode("latin-1", "replace")
        if not _TOKEN.fullmatch(key) or any(c in value for c in b"\r\n\0"):
            return Variant("invalid-syntax")
        if key in _FORBIDDEN:
            return Variant("forbidden")
        checked.append((name, value))
    return own(Fields(checked), Resource.FIELDS)


@host_function
def fields_entries(store: Any, this: ResourceAny) -> list[tuple[str, bytes]]:
    return list(current().host.table.get(rep(store, this), Fields).entries)


# -- outgoing-request ------------------------------------------------------------------
# `result` with no payloads lowers tagged: Variant("ok") or Variant("err").


@host_function
def outgoing_request_new(store: Any, headers: ResourceAny) -> ResourceHost:
    return own(OutgoingRequest(_take(store, headers, Fields)), Resource.OUTGOING_REQUEST)


def _request(store: Any, this: ResourceAny) -> OutgoingRequest:
    return current().host.table.get(rep(store, this), OutgoingRequest)


@host_function
def outgoing_request_body(store: Any, this: ResourceAny) -> Optional[ResourceHost]:
    request = _request(store, this)
    if request.body is not None:
        return None
    request.body = OutputStream(keep=True)
    return own(OutgoingBody(request.body), Resource.OUTGOING_BODY)


@host_function
def outgoing_request_set_method(store: Any, this: ResourceAny, method: Variant) -> Variant:
    name = method.payload if method.tag == "other" else method.tag
    if not isinstance(name, str) or not _TOKEN.fullmatch(name.lower().encode("latin-1", "replace")):
        return Variant("err")
    _request(store, this).method = name.upper()
    return Variant("ok")


@host_function
def outgoing_request_set_path_with_query(store: Any, this: ResourceAny, path: Optional[str]) -> Variant:
    if path is not None and (not path.startswith("/") or any(c in path for c in " \r\n\0")):
        return Variant("err")
    _request(store, this).path = path or "/"
    return Variant("ok")


@host_function
def outgoing_request_set_scheme(store: Any, this: ResourceAny, scheme: Optional[Variant]) -> Variant:
    name = "https" if scheme is None else str(scheme.payload if scheme.tag == "other" else scheme.tag)
    _request(store, this).scheme = name.lower()
    return Variant("ok")


@host_function
def outgoing_request_set_authority(store: Any, this: ResourceAny, authority: Optional[str]) -> Variant:
    _request(store, this).authority = authority or ""
    return Variant("ok")


# -- request-options ----------------------------------------------------------------------


@host_function
def request_options_new(store: Any) -> ResourceHost:
    return own(RequestOptions(), Resource.REQUEST_OPTIONS)


def _timeout_setter(field: str) -> Callable[[Any, ResourceAny, Optional[int]], Variant]:
    def set_timeout(store: Any, this: ResourceAny, duration: Optional[int]) -> Variant:
        setattr(current().host.table.get(rep(store, this), RequestOptions), field, duration)
        return Variant("ok")

    set_timeout.__name__ = f"set_{field}_timeout"
    return host_function(set_timeout)


# -- outgoing-body ----------------------------------------------------------------------------


@host_function
def outgoing_body_write(store: Any, this: ResourceAny) -> Optional[ResourceHost]:
    body = current().host.table.get(rep(store, this), OutgoingBody)
    return own(body.stream, Resource.OUTPUT_STREAM)


@host_function
def outgoing_body_finish(store: Any, this: ResourceAny, trailers: Optional[ResourceAny]) -> Optional[Variant]:
    body = _take(store, this, OutgoingBody)
    body.stream.open = False
    if trailers is not None:
        _take(store, trailers, Fields)
        return Variant("HTTP-request-trailer-section-size", None)
    return None


# -- outgoing-handler -------------------------------------------------------------------------
# `result<own<future-incoming-response>, error-code>` lowers untagged.


@host_function
def handle(store: Any, request: ResourceAny, options: Optional[ResourceAny]) -> object:
    outgoing = _take(store, request, OutgoingRequest)
    asked = _take(store, options, RequestOptions) if options is not None else RequestOptions()
    if not current().host.egress.check(outgoing.scheme, outgoing.authority):
        return Variant("HTTP-request-denied")
    timeouts = Timeouts.clamped(asked.connect, asked.first_byte, asked.between_bytes)
    return own(FutureResponse(outgoing, timeouts), Resource.FUTURE_INCOMING_RESPONSE)


# -- future-incoming-response ---------------------------------------------------------------
# `get` returns option<result<result<own<incoming-response>, error-code>>>:
# the option lowers tagged, the results untagged.


@host_function
def future_response_subscribe(store: Any, this: ResourceAny) -> ResourceHost:
    future = current().host.table.get(rep(store, this), FutureResponse)
    return own(Pollable(future.resolve), Resource.POLLABLE)


@host_function
def future_response_get(store: Any, this: ResourceAny) -> Variant:
    future = current().host.table.get(rep(store, this), FutureResponse)
    if future.taken:
        return Variant("some", None)
    future.resolve()
    future.taken = True
    outcome = future.outcome
    if isinstance(outcome, Failure):
        return Variant("some", _error_code(outcome))
    return Variant("some", own(outcome, Resource.INCOMING_RESPONSE))


# -- incoming-response, incoming-body -----------------------------------------------------------


def _response(store: Any, this: ResourceAny) -> IncomingResponse:
    return current().host.table.get(rep(store, this), IncomingResponse)


@host_function
def incoming_response_status(store: Any, this: ResourceAny) -> int:
    return _response(store, this).status


@host_function
def incoming_response_headers(store: Any, this: ResourceAny) -> ResourceHost:
    return own(Fields(list(_response(store, this).headers)), Resource.FIELDS)


@host_function
def incoming_response_consume(store: Any, this: ResourceAny) -> Optional[ResourceHost]:
    response = _response(store, this)
    exchange, response.exchange = response.exchange, None
    return None if exchange is None else own(IncomingBody(exchange), Resource.INCOMING_BODY)


@host_function
def incoming_body_stream(store: Any, this: ResourceAny) -> Optional[ResourceHost]:
    body = current().host.table.get(rep(store, this), IncomingBody)
    if body.streamed:
        return None
    body.streamed = True
    exchange = body.exchange
    return own(InputStream(lambda size: exchange.read(size, current().guard)), Resource.INPUT_STREAM)


@host_function
def incoming_body_finish(store: Any, this: ResourceAny) -> ResourceHost:
    _take(store, this, IncomingBody).close()
    return own(object(), Resource.FUTURE_TRAILERS)


@host_function
def http_error_code(store: Any, error: ResourceAny) -> Optional[Variant]:
    failure = current().host.table.get(rep(store, error), IoError).failure
    return _error_code(failure)


TYPES: tuple[dict[str, Resource], dict[str, Callable[..., Any]]] = (
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

OUTGOING_HANDLER: tuple[dict[str, Resource], dict[str, Callable[..., Any]]] = ({}, {"handle": handle})
"""``wasi:http/outgoing-handler``."""
