"""What the package's WASI implementation knows about the call it serves.

wasmtime-py's linker functions are shared by every store, and run on the
thread that called into the component. So each call into the component
installs its :class:`Call` (the store's resources, its egress policy and
connection pool, its deadline and whether it was stopped) in a thread-local
slot, and the host functions look it up there.

A host function stops a call by raising :class:`Stop`, a
:class:`wasmtime.WasmtimeError`: the component traps, and the caller, which
sees why on the :class:`Call`, discards the store and raises the package's
error.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import threading
import time
from typing import Any, Callable, Iterator, Optional, TypeVar

import wasmtime

from ._connections import Pool
from ._egress import Egress

T = TypeVar("T")

log = logging.getLogger("gbg_go")


class Resource(enum.IntEnum):
    """The host resource types the package defines, as wasmtime-py numbers them."""

    POLLABLE = 1
    IO_ERROR = 2
    INPUT_STREAM = 3
    OUTPUT_STREAM = 4
    FIELDS = 5
    OUTGOING_REQUEST = 6
    OUTGOING_BODY = 7
    REQUEST_OPTIONS = 8
    FUTURE_INCOMING_RESPONSE = 9
    INCOMING_RESPONSE = 10
    INCOMING_BODY = 11
    FUTURE_TRAILERS = 12


class Stop(wasmtime.WasmtimeError):
    """Traps the component: the call was stopped or broke a host rule."""


class Table:
    """A store's host resources: the objects behind the handles the
    component holds, by their ``rep``."""

    def __init__(self) -> None:
        self._items: dict[int, object] = {}
        self._next = 1

    def push(self, item: object) -> int:
        """Stores ``item``; returns its ``rep``."""
        rep = self._next
        self._next += 1
        self._items[rep] = item
        return rep

    def get(self, rep: int, cls: type[T]) -> T:
        """The ``cls`` behind ``rep``; traps on a handle that is not one."""
        item = self._items.get(rep)
        if not isinstance(item, cls):
            raise Stop(f"unknown {cls.__name__} handle")
        return item

    def pop(self, rep: int) -> Optional[object]:
        """Removes and returns what ``rep`` held."""
        return self._items.pop(rep, None)

    def clear(self) -> list[object]:
        """Empties the table; returns what it held."""
        items = list(self._items.values())
        self._items.clear()
        return items


class StoreHost:
    """What one store's component may use: its resources, the egress policy
    it is held to and the connection pool its requests use."""

    def __init__(self, egress: Egress, pool: Pool) -> None:
        self.table = Table()
        self.egress = egress
        self.pool = pool


class Call:
    """One call into the component: its deadline, and whether and why it was
    stopped (``cancelled``, ``closed``, ``budget``)."""

    def __init__(self, host: StoreHost, budget_s: float) -> None:
        self.host = host
        self.budget_s = budget_s
        self.deadline = time.monotonic() + budget_s
        self.reason: Optional[str] = None
        self._stopped = threading.Event()
        self._on_stop: set[Callable[[], None]] = set()
        self._lock = threading.Lock()

    def stop(self, reason: str) -> None:
        """Stops the call from another thread: any wait ends, any request in
        flight is cut off, and the component traps at its next host call."""
        with self._lock:
            if self.reason is not None:
                return
            self.reason = reason
            self._stopped.set()
            hooks = list(self._on_stop)
        for hook in hooks:
            hook()

    @contextlib.contextmanager
    def stoppable(self, hook: Callable[[], None]) -> Iterator[None]:
        """Runs ``hook`` (e.g. closing a socket) if the call is stopped
        while the block runs; stops at once if it already was."""
        with self._lock:
            self._on_stop.add(hook)
        try:
            self.check()
            yield
        finally:
            with self._lock:
                self._on_stop.discard(hook)

    def check(self) -> None:
        """Traps if the call was stopped or its budget is spent."""
        if self.reason is None and time.monotonic() >= self.deadline:
            self.reason = "budget"
        if self.reason is not None:
            raise Stop(f"call stopped: {self.reason}")

    def remaining(self) -> float:
        """Seconds left of the budget."""
        return self.deadline - time.monotonic()

    def guard(self, on_stop: Callable[[], None], step: Callable[[], T]) -> T:
        """Runs a blocking ``step``; stopping the call meanwhile runs ``on_stop``,
        which must end the step (e.g. by shutting its socket down)."""
        with self.stoppable(on_stop):
            return step()

    def sleep_until(self, when: float) -> None:
        """Waits until the monotonic time ``when``, or traps when the call is
        stopped or its budget ends first."""
        self.check()
        if self._stopped.wait(max(0.0, min(when, self.deadline) - time.monotonic())):
            self.check()
        if when > self.deadline:
            self.check()


_local = threading.local()


def current() -> Call:
    """The call this thread serves; traps outside one."""
    call: Optional[Call] = getattr(_local, "call", None)
    if call is None:
        raise Stop("a host function ran outside a call")
    return call


@contextlib.contextmanager
def serving(call: Call) -> Iterator[Call]:
    """Makes ``call`` the one this thread serves while the block runs."""
    _local.call = call
    try:
        yield call
    finally:
        _local.call = None


def dropped(store: Any, rep: int) -> None:
    """A resource's destructor: the component dropped its handle."""
    call: Optional[Call] = getattr(_local, "call", None)
    if call is not None:
        close = getattr(call.host.table.pop(rep), "close", None)
        if close is not None:
            close()
