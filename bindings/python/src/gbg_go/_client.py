"""The runtime (the compiled component) and the sync client.

Each client runs the component in its own store: a memory limit, no
environment, arguments, stdio or files, and the package's own ``wasi:http``
(:mod:`gbg_go._wasi_http`), which holds every request to the client's egress
allow-list. Every call has a time budget; a call that runs past it, is
stopped, or traps leaves its store for good, and the client opens a fresh
one for the next call.
"""

from __future__ import annotations

import os
import threading
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence, TypeVar, Union

import wasmtime
from wasmtime.component import ExportIndex, Func, ResourceAny

from . import _abi, _cache, _calls, _convert, _facts, _wasi
from ._calls import Prepared
from ._connections import Pool
from ._egress import Egress, reachable_urls
from ._errors import BudgetExceededError, ClosedError, GbgGoError, TrapError
from ._host import Call, StoreHost, serving
from ._types import (
    AcceptedElement,
    ClientConfig,
    Delivery,
    InteractionStep,
    JourneyState,
    PlannableStep,
    StartedJourney,
    Submission,
    TokenInfo,
)

CLIENT = f"gbg:go/client@{_facts.VERSION}"
PLANNER = f"gbg:go/interaction-planner@{_facts.VERSION}"

COMPONENT_FILE = "gbg_go_client.wasm"
"""The component this package ships, next to this module."""

PathLike = Union[str, "os.PathLike[str]"]

T = TypeVar("T")


class Runtime:
    """The compiled component, shared by every client opened from it.

    ``component`` is a component file; the one this package ships when
    absent. The compiled form is kept in a private, tamper-checked cache on
    disk (``cache_dir``, by default ``~/.cache/gbg-go``), so a new process
    loads it in milliseconds; ``cache=False`` compiles it every time.
    ``memory_bytes`` bounds each client's memory.
    """

    def __init__(
        self,
        component: Optional[PathLike] = None,
        *,
        memory_bytes: int = _facts.MEMORY_BYTES,
        cache: bool = True,
        cache_dir: Optional[PathLike] = None,
    ) -> None:
        self._engine = wasmtime.Engine()
        if component is None:
            wasm = resources.files(__package__).joinpath(COMPONENT_FILE).read_bytes()
        else:
            wasm = Path(component).read_bytes()
        folder = Path(cache_dir) if cache_dir is not None else _cache.default_dir()
        self._component = _cache.load(self._engine, wasm, folder if cache else None)
        self._linker = _wasi.linker(self._engine, self._component)
        self._memory_bytes = _convert.u32("memory_bytes", memory_bytes, least=1 << 20)
        self._pool = Pool()
        self._exports: dict[tuple[str, str], tuple[ExportIndex, Optional[_abi.Export]]] = {}
        self._planner: Optional[Instance] = None
        self._planner_lock = threading.Lock()

    def open(
        self,
        config: ClientConfig,
        *,
        egress: Optional[Iterable[str]] = None,
    ) -> "Client":
        """Checks ``config`` and opens a client in its own store. Sends nothing.

        ``egress`` lists the URLs whose origins (``scheme://host:port``) the
        component may reach; by default the API base and token URL of
        ``config``. Everything else is refused before a byte is sent.
        """
        return Client(self, config, egress)

    def plan_submission(
        self,
        step: PlannableStep,
        answers: Mapping[str, Any],
        accepted: Iterable[AcceptedElement] = (),
    ) -> Optional[Submission]:
        """The submission that answers ``step`` (from ``fetch_interaction``, or
        the Temporal workflow's ``interaction`` query) from ``answers``, or None
        when there is nothing to send (the journey is not waiting, or GBG shows
        an answered interaction again: poll again). Sends nothing; needs no
        client (:meth:`Client.plan_submission` is the same).

        ``answers`` maps each domain element (or element slot) to the piece
        of ``context.subject`` that carries its data, e.g.
        ``{"FullName": {"identity": {"firstName": "Jane"}}}``; ``accepted``
        lists what earlier submissions for the interaction delivered
        (:meth:`Submission.accepted`), so it is not sent again.
        """
        args = (
            _convert.step(step),
            _convert.json_object("answers", answers),
            _convert.text_records("accepted", accepted, AcceptedElement),
        )
        with self._planner_lock:
            if self._planner is None or self._planner.broken:
                self._planner = Instance(self, Egress(()))
            planned = self._planner.call(PLANNER, "plan-submission", args, _facts.CALL_BUDGET_MS / 1000)
        return _convert.planned(planned)

    def close(self) -> None:
        """Closes the idle keep-alive connections of the runtime's clients."""
        self._pool.close()

    def _export(self, interface: str, name: str) -> tuple[ExportIndex, Optional[_abi.Export]]:
        """The export's index in the component, and its codecs once compiled."""
        found = self._exports.get((interface, name))
        if found is None:
            outer = self._component.get_export_index(interface)
            index = self._component.get_export_index(name, outer) if outer is not None else None
            if index is None:
                raise TrapError(f"the component does not export {interface}#{name}")
            found = self._exports[(interface, name)] = (index, None)
        return found

    def _codecs(self, interface: str, name: str, func: Func, store: wasmtime.Store) -> _abi.Export:
        """The export's codecs, compiled from its type the first time."""
        index, codecs = self._export(interface, name)
        if codecs is None:
            codecs = _abi.Export(func.type(store))
            self._exports[(interface, name)] = (index, codecs)
        return codecs


class Instance:
    """One store with the component instantiated in it, and the component's
    ``client`` resource once opened.

    ``broken`` becomes true when a call did not end normally (it trapped,
    was stopped or ran out of budget): the store must not be used again.
    """

    def __init__(self, runtime: Runtime, egress: Egress) -> None:
        self._runtime = runtime
        self.store = wasmtime.Store(runtime._engine)
        self.store.set_limits(memory_size=runtime._memory_bytes)
        self.store.set_wasi(wasmtime.WasiConfig())  # no env, args, stdio or files
        self.host = StoreHost(egress, runtime._pool)
        self.handle: Optional[ResourceAny] = None
        self.broken = False
        self._funcs: dict[tuple[str, str], Func] = {}
        self._lock = threading.Lock()
        self._running: Optional[Call] = None
        self._stopped: Optional[str] = None
        with serving(Call(self.host, _facts.CALL_BUDGET_MS / 1000)):
            self._instance = runtime._linker.instantiate(self.store, runtime._component)

    def open_client(self, config: Any, budget_s: float) -> None:
        """Opens the component's client with the WIT ``config``."""
        self.handle = self.call(CLIENT, "[static]client.open", (config,), budget_s)

    def method(self, name: str, args: Sequence[Any], budget_s: float) -> Any:
        """Calls ``[method]client.<name>`` on the opened client."""
        return self.call(CLIENT, f"[method]client.{name}", (self.handle, *args), budget_s)

    def call(self, interface: str, name: str, args: Sequence[Any], budget_s: float) -> Any:
        """Calls an export within ``budget_s`` seconds; returns its ok value
        or raises the package's error."""
        call = Call(self.host, budget_s)
        with self._lock:
            if self._stopped is not None or self.broken:
                self.broken = True
                raise _stopped(self._stopped or "closed", budget_s, None)
            self._running = call
        try:
            with serving(call):
                return _convert.unwrap(self._call(interface, name, args), self._describe)
        except GbgGoError:
            raise
        except Exception as error:  # a trap, or wasmtime refusing a value
            self._break()
            raise _stopped(call.reason, budget_s, error) from None
        finally:
            with self._lock:
                self._running = None

    def stop(self, reason: str) -> None:
        """Stops the running call, if any, and any later one: ``cancelled``
        or ``closed``. Safe from any thread."""
        with self._lock:
            self._stopped = self._stopped or reason
            running = self._running
        if running is not None:
            running.stop(reason)

    def close(self) -> None:
        """Drops the component's client (a store that broke is just let go)."""
        if self.handle is not None and not self.broken:
            handle, self.handle = self.handle, None
            with serving(Call(self.host, _facts.CALL_BUDGET_MS / 1000)):
                try:
                    handle.drop(self.store)
                except wasmtime.WasmtimeError:
                    self._break()
        for item in self.host.table.clear():
            close = getattr(item, "close", None)
            if close is not None:
                close()

    def _describe(self, error: _convert.Variant) -> str:
        return str(self._call(CLIENT, "describe-error", (error,)))

    def _call(self, interface: str, name: str, args: Sequence[Any]) -> Any:
        func = self._funcs.get((interface, name))
        if func is None:
            index, _ = self._runtime._export(interface, name)
            func = self._instance.get_func(self.store, index)
            if func is None:
                raise TrapError(f"the component does not export {interface}#{name}")
            self._funcs[(interface, name)] = func
        return self._runtime._codecs(interface, name, func, self.store).call(self.store, func, args)

    def _break(self) -> None:
        self.broken = True
        for item in self.host.table.clear():
            close = getattr(item, "close", None)
            if close is not None:
                close()


def _stopped(reason: Optional[str], budget_s: float, error: Optional[Exception]) -> GbgGoError:
    """The error for a call that did not end normally."""
    if reason == "budget":
        return BudgetExceededError(
            f"the call ran past its time budget of {budget_s:g} s and was stopped",
            detail={"budget_s": budget_s},
        )
    if reason in ("closed", "cancelled"):
        return ClosedError(f"the client was {reason}")
    cause = str(error).strip().splitlines()[0] if error is not None and str(error).strip() else "trap"
    return TrapError(f"the component trapped, and the client replaced it: {cause}", detail={"reason": cause})


def budget(timeout: Optional[float], wait_ms: int = 0) -> float:
    """A call's time budget in seconds: its ``timeout`` when given, else the
    contract's call budget plus the wait's own timeout."""
    return timeout if timeout is not None else (_facts.CALL_BUDGET_MS + wait_ms) / 1000


class Client:
    """A GBG GO client running in the component. Calls block until they end.

    Use it in a ``with`` block, or call :meth:`close`. Calls are serialised:
    one thread at a time runs the component, and :meth:`close` from another
    thread stops a running call with :class:`~gbg_go.ClosedError`.
    Every method takes ``timeout``, the call's time budget in seconds (120 by
    default, plus ``timeout_ms`` for :meth:`wait_for_completion`).
    """

    def __init__(self, runtime: Runtime, config: ClientConfig, egress: Optional[Iterable[str]]) -> None:
        self._runtime = runtime
        self._config = _convert.config(config)
        self._egress = Egress(_convert.strings("egress", egress) if egress is not None else reachable_urls(config))
        self._lock = threading.Lock()
        self._closed = False
        self._instance: Optional[Instance] = None
        with self._lock:
            self._instance = self._open()

    @property
    def allowed_origins(self) -> list[str]:
        """The origins (``scheme://host:port``) this client's component may reach."""
        return sorted(self._egress.allowed)

    def authenticate(self, *, timeout: Optional[float] = None) -> TokenInfo:
        """Fetches a new customer access token; returns its lifetime."""
        return self._run(_calls.authenticate(), timeout)

    def start_journey(
        self,
        resource_id: str,
        delivery: Delivery = "page",
        subject: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
    ) -> StartedJourney:
        """Starts a journey: ``delivery`` ``"page"`` (GBG's hosted pages) or
        ``"api"`` (your own UI); ``subject`` prefills ``context.subject``."""
        return self._run(_calls.start_journey(resource_id, delivery, subject), timeout)

    def fetch_journey_state(
        self, instance_id: str, filter_keys: Sequence[str] = (), *, timeout: Optional[float] = None
    ) -> JourneyState:
        """Fetches an instance's state."""
        return self._run(_calls.fetch_journey_state(instance_id, filter_keys), timeout)

    def wait_for_completion(
        self,
        instance_id: str,
        poll_interval_ms: int = _facts.POLL_INTERVAL_MS,
        timeout_ms: int = _facts.WAIT_TIMEOUT_MS,
        *,
        timeout: Optional[float] = None,
    ) -> JourneyState:
        """Polls until the instance is no longer ``InProgress``; raises
        :class:`~gbg_go.WaitTimeoutError` once ``timeout_ms`` has passed."""
        return self._run(_calls.wait_for_completion(instance_id, poll_interval_ms, timeout_ms), timeout)

    def delete_instance(self, instance_id: str, *, timeout: Optional[float] = None) -> None:
        """Permanently deletes an instance's state."""
        self._run(_calls.delete_instance(instance_id), timeout)

    def health(self, *, timeout: Optional[float] = None) -> str:
        """The service's health message, ``OK`` when healthy."""
        return self._run(_calls.health(), timeout)

    def fetch_interaction(self, instance_id: str, *, timeout: Optional[float] = None) -> InteractionStep:
        """The interaction an API journey waits on, or :class:`~gbg_go.NotReady`."""
        return self._run(_calls.fetch_interaction(instance_id), timeout)

    def submit_interaction(self, submission: Submission, *, timeout: Optional[float] = None) -> None:
        """Submits data for an interaction (see :meth:`Runtime.plan_submission`)."""
        self._run(_calls.submit_interaction(submission), timeout)

    def plan_submission(
        self,
        step: PlannableStep,
        answers: Mapping[str, Any],
        accepted: Iterable[AcceptedElement] = (),
    ) -> Optional[Submission]:
        """:meth:`Runtime.plan_submission`: the submission that answers ``step``
        from ``answers``, less the ``accepted`` elements. Sends nothing."""
        return self._runtime.plan_submission(step, answers, accepted)

    def close(self) -> None:
        """Releases the client; a call running in another thread is stopped.
        Calls after this raise :class:`~gbg_go.ClosedError`."""
        self._closed = True
        instance = self._instance
        if instance is not None:
            instance.stop("closed")
        with self._lock:
            instance, self._instance = self._instance, None
            if instance is not None:
                instance.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self) -> Instance:
        instance = Instance(self._runtime, self._egress)
        instance.open_client(self._config, _facts.CALL_BUDGET_MS / 1000)
        return instance

    def _run(self, call: Prepared[T], timeout: Optional[float]) -> T:
        budget_s = budget(_convert.seconds("timeout", timeout), call.wait_ms)
        with self._lock:
            if self._closed:
                raise ClosedError("the client was closed")
            instance = self._instance or self._open()
            self._instance = instance
            try:
                return call.lift(instance.method(call.method, call.args, budget_s))
            finally:
                if instance.broken:
                    self._instance = None
