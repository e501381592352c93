"""The GBG GO client for asyncio.

The sync client's methods, as coroutines. Each call runs the component on a
thread of the client's own executor (the package calls wasmtime through
ctypes, which releases the GIL, and its ``wasi:http`` waits on sockets and
timers that release it too), so the event loop keeps running while a call
waits on the network or between the polls of ``wait_for_completion``.

A client runs up to ``max_concurrency`` calls at once, each in its own store
(component instance) with its own token cache; more calls wait their turn.
Cancelling a task stops its call at once: any wait ends, any request in
flight is cut off, and that store is discarded, never reused.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
from typing import Any, Awaitable, Callable, Generator, Iterable, Mapping, Optional, Sequence, TypeVar

from . import _calls, _client, _convert, _facts
from ._calls import Prepared
from ._client import Instance, PathLike, budget
from ._egress import Egress, reachable_urls
from ._errors import ClosedError
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

__all__ = ["Client", "Runtime"]

T = TypeVar("T")


class Runtime:
    """The compiled component; ``runtime.open(config)`` opens a :class:`Client`.

    Takes the arguments of :class:`gbg_go.Runtime`, and ``max_concurrency``.
    The component is loaded (from the compile cache, or compiled) on a
    worker thread when the first client opens, never on the event loop.
    """

    def __init__(
        self,
        component: Optional[PathLike] = None,
        *,
        memory_bytes: int = _facts.MEMORY_BYTES,
        cache: bool = True,
        cache_dir: Optional[PathLike] = None,
        max_concurrency: int = _facts.MAX_CONCURRENCY,
    ) -> None:
        self._load_args = (component, memory_bytes, cache, cache_dir)
        self._max_concurrency = _convert.u32("max_concurrency", max_concurrency, least=1)
        self._runtime: Optional[_client.Runtime] = None
        self._loading: Optional[asyncio.Future[_client.Runtime]] = None

    def open(self, config: ClientConfig, *, egress: Optional[Iterable[str]] = None) -> "Opening":
        """Checks ``config`` and opens a client. Sends nothing.

        Await it (``client = await runtime.open(config)``) or enter it
        (``async with runtime.open(config) as client:``). ``egress`` is that
        of :meth:`gbg_go.Runtime.open`.
        """
        return Opening(lambda: self._open(config, egress))

    async def plan_submission(
        self,
        step: PlannableStep,
        answers: Mapping[str, Any],
        accepted: Iterable[AcceptedElement] = (),
    ) -> Optional[Submission]:
        """:meth:`gbg_go.Runtime.plan_submission`: pure and quick, it runs on
        the event loop once the component is loaded."""
        return (await self._load()).plan_submission(step, answers, accepted)

    async def _open(self, config: ClientConfig, egress: Optional[Iterable[str]]) -> "Client":
        runtime = await self._load()
        client = Client(runtime, config, egress, self._max_concurrency)
        client._release(await client._open())
        return client

    async def _load(self) -> _client.Runtime:
        if self._runtime is not None:
            return self._runtime
        if self._loading is None:
            component, memory_bytes, cache, cache_dir = self._load_args
            self._loading = asyncio.ensure_future(
                asyncio.to_thread(
                    _client.Runtime, component, memory_bytes=memory_bytes, cache=cache, cache_dir=cache_dir
                )
            )
        try:
            self._runtime = await asyncio.shield(self._loading)
        except BaseException:
            if self._loading.done():
                self._loading = None
            raise
        return self._runtime


class Opening:
    """A client being opened: await it, or use it in ``async with``, which
    closes the client on the way out."""

    def __init__(self, open: Callable[[], Awaitable["Client"]]) -> None:
        self._open = open
        self._client: Optional[Client] = None

    def __await__(self) -> Generator[Any, None, "Client"]:
        return self._open().__await__()

    async def __aenter__(self) -> "Client":
        self._client = await self._open()
        return self._client

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.close()


class Client:
    """A GBG GO client whose methods are coroutines; none blocks the event loop.

    Every method takes ``timeout``, the call's time budget in seconds (120
    by default, plus ``timeout_ms`` for :meth:`wait_for_completion`).
    """

    def __init__(
        self,
        runtime: _client.Runtime,
        config: ClientConfig,
        egress: Optional[Iterable[str]],
        max_concurrency: int,
    ) -> None:
        self._runtime = runtime
        self._config = _convert.config(config)
        self._egress = Egress(_convert.strings("egress", egress) if egress is not None else reachable_urls(config))
        self._max = max_concurrency
        self._executor = concurrent.futures.ThreadPoolExecutor(max_concurrency, thread_name_prefix="gbg-go")
        self._idle: list[Instance] = []
        self._busy: set[Instance] = set()
        self._waiting: collections.deque[asyncio.Future[Instance]] = collections.deque()
        self._opened = 0
        self._closed = False

    @property
    def allowed_origins(self) -> list[str]:
        """The origins (``scheme://host:port``) this client's component may reach."""
        return sorted(self._egress.allowed)

    async def authenticate(self, *, timeout: Optional[float] = None) -> TokenInfo:
        """Fetches a new customer access token; returns its lifetime."""
        return await self._run(_calls.authenticate(), timeout)

    async def start_journey(
        self,
        resource_id: str,
        delivery: Delivery = "page",
        subject: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
    ) -> StartedJourney:
        """Starts a journey: ``delivery`` ``"page"`` (GBG's hosted pages) or
        ``"api"`` (your own UI); ``subject`` prefills ``context.subject``."""
        return await self._run(_calls.start_journey(resource_id, delivery, subject), timeout)

    async def fetch_journey_state(
        self, instance_id: str, filter_keys: Sequence[str] = (), *, timeout: Optional[float] = None
    ) -> JourneyState:
        """Fetches an instance's state."""
        return await self._run(_calls.fetch_journey_state(instance_id, filter_keys), timeout)

    async def wait_for_completion(
        self,
        instance_id: str,
        poll_interval_ms: int = _facts.POLL_INTERVAL_MS,
        timeout_ms: int = _facts.WAIT_TIMEOUT_MS,
        *,
        timeout: Optional[float] = None,
    ) -> JourneyState:
        """Polls until the instance is no longer ``InProgress``; raises
        :class:`~gbg_go.WaitTimeoutError` once ``timeout_ms`` has passed."""
        return await self._run(_calls.wait_for_completion(instance_id, poll_interval_ms, timeout_ms), timeout)

    async def delete_instance(self, instance_id: str, *, timeout: Optional[float] = None) -> None:
        """Permanently deletes an instance's state."""
        await self._run(_calls.delete_instance(instance_id), timeout)

    async def health(self, *, timeout: Optional[float] = None) -> str:
        """The service's health message, ``OK`` when healthy."""
        return await self._run(_calls.health(), timeout)

    async def fetch_interaction(self, instance_id: str, *, timeout: Optional[float] = None) -> InteractionStep:
        """The interaction an API journey waits on, or :class:`~gbg_go.NotReady`."""
        return await self._run(_calls.fetch_interaction(instance_id), timeout)

    async def submit_interaction(self, submission: Submission, *, timeout: Optional[float] = None) -> None:
        """Submits data for an interaction (see :meth:`Runtime.plan_submission`)."""
        await self._run(_calls.submit_interaction(submission), timeout)

    async def plan_submission(
        self,
        step: PlannableStep,
        answers: Mapping[str, Any],
        accepted: Iterable[AcceptedElement] = (),
    ) -> Optional[Submission]:
        """:meth:`gbg_go.Runtime.plan_submission`: the submission that answers
        ``step`` from ``answers``, less the ``accepted`` elements. Sends nothing."""
        return self._runtime.plan_submission(step, answers, accepted)

    async def close(self) -> None:
        """Stops running calls (they raise :class:`~gbg_go.ClosedError`) and
        releases the client. Calls after this raise it too."""
        if self._closed:
            return
        self._closed = True
        for waiter in self._waiting:
            if not waiter.done():
                waiter.set_exception(ClosedError("the client was closed"))
        for instance in list(self._busy):
            instance.stop("closed")
        idle, self._idle = self._idle, []
        await asyncio.to_thread(self._shut_down, idle)

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _shut_down(self, idle: list[Instance]) -> None:
        self._executor.shutdown(wait=True)
        for instance in idle:
            instance.close()

    async def _run(self, call: Prepared[T], timeout: Optional[float]) -> T:
        budget_s = budget(_convert.seconds("timeout", timeout), call.wait_ms)
        instance = await self._acquire()
        loop = asyncio.get_running_loop()
        try:
            running = self._executor.submit(instance.method, call.method, call.args, budget_s)
        except RuntimeError:  # the executor was shut down: the client closed meanwhile
            raise ClosedError("the client was closed") from None
        # The store goes back to the pool when the call has really ended.
        running.add_done_callback(lambda _: loop.call_soon_threadsafe(self._release, instance))
        try:
            return call.lift(await asyncio.wrap_future(running))
        except asyncio.CancelledError:
            instance.stop("cancelled")
            raise

    async def _open(self) -> Instance:
        if self._closed:
            raise ClosedError("the client was closed")
        self._opened += 1
        try:
            return await asyncio.wrap_future(self._executor.submit(self._new_instance))
        except BaseException:
            self._opened -= 1
            raise

    def _new_instance(self) -> Instance:
        instance = Instance(self._runtime, self._egress)
        instance.open_client(self._config, _facts.CALL_BUDGET_MS / 1000)
        return instance

    async def _acquire(self) -> Instance:
        if self._closed:
            raise ClosedError("the client was closed")
        if self._idle:
            instance = self._idle.pop()
        elif self._opened < self._max:
            instance = await self._open()
        else:
            waiter: asyncio.Future[Instance] = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            try:
                instance = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                    self._release(waiter.result())
                raise
        self._busy.add(instance)
        return instance

    def _release(self, instance: Instance) -> None:
        """Takes back a store whose call ended: a broken one is let go, and
        its place opened anew for whoever waits."""
        self._busy.discard(instance)
        if instance.broken or self._closed:
            self._opened -= 1
            if not instance.broken:
                self._executor_close(instance)
            if self._waiting and not self._closed:
                asyncio.ensure_future(self._reopen_for_waiter())
            return
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(instance)
                return
        self._idle.append(instance)

    def _executor_close(self, instance: Instance) -> None:
        try:
            self._executor.submit(instance.close)
        except RuntimeError:
            instance.close()

    async def _reopen_for_waiter(self) -> None:
        try:
            instance = await self._open()
        except BaseException as error:
            while self._waiting:
                waiter = self._waiting.popleft()
                if not waiter.done():
                    waiter.set_exception(error)
                    return
            return
        self._release(instance)
