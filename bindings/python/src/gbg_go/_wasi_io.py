"""``wasi:io`` (poll, error, streams), ``wasi:clocks/monotonic-clock`` and the
CLI's standard streams, as far as the component imports them.

They are the package's own because ``wasi:http`` hands the component
streams and pollables: once the package serves ``wasi:http``, those
resources must be its own too. Every wait goes through :meth:`Call.sleep_until`
or a guarded socket operation, so stopping a call ends it at once.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Optional

from wasmtime.component import ResourceAny, ResourceHost, Variant

from ._connections import Failure
from ._host import Resource, current, host_function, own, rep


class Pollable:
    """Something the component can wait for: ``wait`` returns once it is ready."""

    def __init__(self, wait: Callable[[], None]) -> None:
        self.wait = wait


def ready() -> None:
    """A pollable that is always ready."""


class IoError:
    """A failed stream operation, with the HTTP error code when it has one."""

    def __init__(self, failure: Failure) -> None:
        self.failure = failure


class InputStream:
    """Bytes the component reads: ``read(n)`` gives up to ``n`` of them, ``b""``
    at the end; it raises :class:`Failure`."""

    def __init__(self, read: Callable[[int], bytes]) -> None:
        self.read = read


def closed(_: int) -> bytes:
    """The reader of a stream with nothing in it (standard input)."""
    return b""


class OutputStream:
    """Bytes the component writes: kept in ``buffer``, or thrown away."""

    PERMIT = 64 * 1024
    """The most bytes ``check-write`` allows at once."""

    def __init__(self, keep: bool) -> None:
        self.keep = keep
        self.buffer = bytearray()
        self.open = True


def _stream_error(failure: Failure) -> ResourceHost:
    """The ``last-operation-failed`` case of ``stream-error``, lowered."""
    return own(IoError(failure), Resource.IO_ERROR)


# -- wasi:io/poll ------------------------------------------------------------------


@host_function
def pollable_block(store: Any, this: ResourceAny) -> None:
    current().host.table.get(rep(store, this), Pollable).wait()


# -- wasi:io/error -------------------------------------------------------------------


@host_function
def error_to_debug_string(store: Any, this: ResourceAny) -> str:
    failure = current().host.table.get(rep(store, this), IoError).failure
    return failure.code if failure.payload is None else f"{failure.code}: {failure.payload}"


# -- wasi:io/streams ------------------------------------------------------------------
# A `result<list<u8>, stream-error>` lowers untagged: bytes, an io-error
# handle (last-operation-failed) or None (closed). A `result<_, stream-error>`
# lowers tagged, as Variant("ok") or Variant("err", <stream-error>).


@host_function
def input_stream_blocking_read(store: Any, this: ResourceAny, size: int) -> Optional[object]:
    call = current()
    stream = call.host.table.get(rep(store, this), InputStream)
    try:
        chunk = stream.read(max(1, min(size, 1 << 20)))
    except Failure as failure:
        call.check()
        return _stream_error(failure)
    return chunk if chunk else None


@host_function
def output_stream_check_write(store: Any, this: ResourceAny) -> Optional[object]:
    stream = current().host.table.get(rep(store, this), OutputStream)
    return OutputStream.PERMIT if stream.open else None


@host_function
def output_stream_write(store: Any, this: ResourceAny, contents: bytes) -> Variant:
    stream = current().host.table.get(rep(store, this), OutputStream)
    if not stream.open:
        return Variant("err", None)
    if stream.keep:
        stream.buffer += contents
    return Variant("ok")


@host_function
def output_stream_flush(store: Any, this: ResourceAny) -> Variant:
    stream = current().host.table.get(rep(store, this), OutputStream)
    return Variant("ok") if stream.open else Variant("err", None)


@host_function
def output_stream_subscribe(store: Any, this: ResourceAny) -> ResourceHost:
    current().host.table.get(rep(store, this), OutputStream)
    return own(Pollable(ready), Resource.POLLABLE)


# -- wasi:clocks/monotonic-clock --------------------------------------------------------


@host_function
def monotonic_now(store: Any) -> int:
    return time.monotonic_ns()


@host_function
def subscribe_duration(store: Any, duration: int) -> ResourceHost:
    when = time.monotonic() + duration / 1e9
    return own(Pollable(lambda: current().sleep_until(when)), Resource.POLLABLE)


# -- wasi:cli/stdin, stdout, stderr ----------------------------------------------------


@host_function
def get_stdin(store: Any) -> ResourceHost:
    return own(InputStream(closed), Resource.INPUT_STREAM)


@host_function
def get_discarding_stream(store: Any) -> ResourceHost:
    """Standard output and error: the sandbox grants the component no stdio."""
    return own(OutputStream(keep=False), Resource.OUTPUT_STREAM)


INTERFACES: dict[str, tuple[dict[str, Resource], dict[str, Callable[..., Any]]]] = {
    "wasi:io/poll": ({"pollable": Resource.POLLABLE}, {"[method]pollable.block": pollable_block}),
    "wasi:io/error": ({"error": Resource.IO_ERROR}, {"[method]error.to-debug-string": error_to_debug_string}),
    "wasi:io/streams": (
        {"input-stream": Resource.INPUT_STREAM, "output-stream": Resource.OUTPUT_STREAM},
        {
            "[method]input-stream.blocking-read": input_stream_blocking_read,
            "[method]output-stream.check-write": output_stream_check_write,
            "[method]output-stream.write": output_stream_write,
            "[method]output-stream.flush": output_stream_flush,
            "[method]output-stream.blocking-flush": output_stream_flush,
            "[method]output-stream.subscribe": output_stream_subscribe,
        },
    ),
    "wasi:clocks/monotonic-clock": (
        {},
        {
            "now": monotonic_now,
            "subscribe-duration": subscribe_duration,
        },
    ),
    "wasi:cli/stdin": ({}, {"get-stdin": get_stdin}),
    "wasi:cli/stdout": ({}, {"get-stdout": get_discarding_stream}),
    "wasi:cli/stderr": ({}, {"get-stderr": get_discarding_stream}),
}
"""The interfaces this module serves: their resources and functions, by WIT name."""
