"""``wasi:io`` (poll, error, streams), ``wasi:clocks/monotonic-clock`` and the
CLI's standard streams, as far as the component imports them.

They are the package's own because ``wasi:http`` hands the component
streams and pollables: once the package serves ``wasi:http``, those
resources must be its own too. Every wait goes through :meth:`Call.sleep_until`
or a guarded socket operation, so stopping a call ends it at once.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from ._abi import BYTES, HANDLE, STRING, U64, Err, Function, New, Ok, Result, Variant, signature
from ._connections import Failure
from ._host import Resource, current


class Pollable:
    """Something the component can wait for: ``wait`` returns once it is ready."""

    def __init__(self, wait: Callable[[], None]) -> None:
        self.wait = wait


def ready() -> None:
    """The wait of a pollable that is always ready."""


class IoError:
    """A failed stream operation, with its HTTP error code."""

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


NEW_POLLABLE = New(Resource.POLLABLE)
STREAM_ERROR = Variant(**{"last-operation-failed": New(Resource.IO_ERROR)})
"""``stream-error``: ``last-operation-failed`` (a new io ``error``) or ``closed``."""


def _stream_failed(failure: Failure) -> Err:
    return Err(("last-operation-failed", IoError(failure)))


def _get(rep: int, cls: type[Any]) -> Any:
    return current().host.table.get(rep, cls)


# -- wasi:io/poll ------------------------------------------------------------------


@signature(HANDLE)
def pollable_block(this: int) -> None:
    _get(this, Pollable).wait()


# -- wasi:io/error -------------------------------------------------------------------


@signature(HANDLE, returns=STRING)
def error_to_debug_string(this: int) -> str:
    failure = _get(this, IoError).failure
    return failure.code if failure.payload is None else f"{failure.code}: {failure.payload}"


# -- wasi:io/streams ------------------------------------------------------------------


@signature(HANDLE, U64, returns=Result(BYTES, STREAM_ERROR))
def input_stream_blocking_read(this: int, size: int) -> object:
    call = current()
    stream = call.host.table.get(this, InputStream)
    try:
        chunk = stream.read(max(1, min(size, 1 << 20)))
    except Failure as failure:
        call.check()
        return _stream_failed(failure)
    return chunk if chunk else Err(("closed", None))


@signature(HANDLE, returns=Result(U64, STREAM_ERROR))
def output_stream_check_write(this: int) -> object:
    return OutputStream.PERMIT if _get(this, OutputStream).open else Err(("closed", None))


@signature(HANDLE, BYTES, returns=Result(None, STREAM_ERROR))
def output_stream_write(this: int, contents: bytes) -> object:
    stream = _get(this, OutputStream)
    if not stream.open:
        return Err(("closed", None))
    if stream.keep:
        stream.buffer += contents
    return Ok()


@signature(HANDLE, returns=Result(None, STREAM_ERROR))
def output_stream_flush(this: int) -> object:
    return Ok() if _get(this, OutputStream).open else Err(("closed", None))


@signature(HANDLE, returns=NEW_POLLABLE)
def output_stream_subscribe(this: int) -> Pollable:
    _get(this, OutputStream)
    return Pollable(ready)


# -- wasi:clocks/monotonic-clock --------------------------------------------------------


@signature(returns=U64)
def monotonic_now() -> int:
    return time.monotonic_ns()


@signature(U64, returns=NEW_POLLABLE)
def subscribe_duration(duration: int) -> Pollable:
    when = time.monotonic() + duration / 1e9
    return Pollable(lambda: current().sleep_until(when))


# -- wasi:cli/stdin, stdout, stderr ----------------------------------------------------


@signature(returns=New(Resource.INPUT_STREAM))
def get_stdin() -> InputStream:
    return InputStream(closed)


@signature(returns=New(Resource.OUTPUT_STREAM))
def get_discarding_stream() -> OutputStream:
    """Standard output and error: the sandbox grants the component no stdio."""
    return OutputStream(keep=False)


Interface = tuple[dict[str, Resource], dict[str, Function]]

INTERFACES: dict[str, Interface] = {
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
    "wasi:clocks/monotonic-clock": ({}, {"now": monotonic_now, "subscribe-duration": subscribe_duration}),
    "wasi:cli/stdin": ({}, {"get-stdin": get_stdin}),
    "wasi:cli/stdout": ({}, {"get-stdout": get_discarding_stream}),
    "wasi:cli/stderr": ({}, {"get-stderr": get_discarding_stream}),
}
"""The interfaces this module serves: their resources and functions, by WIT name."""
