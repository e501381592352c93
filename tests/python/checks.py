"""Checks of the installed ``gbg-go`` package that the conformance scenarios
do not cover, run by tests/e2e/runtimes/python.rs against a simulator:

    python checks.py arguments      a bad argument never breaks a client
    python checks.py cancellation   cancel, timeout and close stop calls at once
    python checks.py cache          a tampered compile cache entry never runs
    python checks.py events         verify_event against standardwebhooks

Configured by the gbg-go command's variables (GBG_GO_BASE_URL, ...). Each
check asserts as it goes; it prints one JSON line of what it saw for the
Rust test to check against the simulator's log, and exits 1 on a failure.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import gbg_go
import gbg_go.aio


RESOURCE_ID = os.environ.get("GBG_GO_RESOURCE_ID", "")


def refused(what: str, call: Callable[[], Any], field: str) -> None:
    """``call`` raises InvalidInputError naming ``field``."""
    try:
        call()
    except gbg_go.InvalidInputError as e:
        assert e.detail["field"] == field, f"{what}: named {e.detail['field']!r}, not {field!r}"
        assert str(e).startswith(f"invalid {field}: "), f"{what}: message {e}"
        return
    except Exception as e:  # noqa: BLE001 - anything else is the failure this check looks for
        raise AssertionError(f"{what}: raised {type(e).__name__}: {e}") from None
    raise AssertionError(f"{what}: was accepted")


BAD_CALLS: list[tuple[str, Callable[[Any, str], Any], str]] = [
    ("start_journey(123)", lambda c, i: c.start_journey(123), "resource_id"),
    ("start_journey('')", lambda c, i: c.start_journey(""), "resource_id"),
    ("start_journey(delivery='hosted')", lambda c, i: c.start_journey(RESOURCE_ID, delivery="hosted"), "delivery"),
    ("start_journey(delivery=None)", lambda c, i: c.start_journey(RESOURCE_ID, delivery=None), "delivery"),
    ("start_journey(subject='{}')", lambda c, i: c.start_journey(RESOURCE_ID, subject="{}"), "subject"),
    ("start_journey(subject=[1])", lambda c, i: c.start_journey(RESOURCE_ID, subject=[1]), "subject"),
    ("start_journey(subject={'x': {1, 2}})", lambda c, i: c.start_journey(RESOURCE_ID, subject={"x": {1, 2}}), "subject"),
    ("start_journey(subject={'x': nan})", lambda c, i: c.start_journey(RESOURCE_ID, subject={"x": float("nan")}), "subject"),
    ("start_journey(lone surrogate)", lambda c, i: c.start_journey("\ud800"), "resource_id"),
    ("fetch_journey_state(None)", lambda c, i: c.fetch_journey_state(None), "instance_id"),
    ("fetch_journey_state(filter_keys='a')", lambda c, i: c.fetch_journey_state(i, "a"), "filter_keys"),
    ("fetch_journey_state(filter_keys=[1])", lambda c, i: c.fetch_journey_state(i, [1]), "filter_keys[0]"),
    ("wait_for_completion(poll=-1)", lambda c, i: c.wait_for_completion(i, -1), "poll_interval_ms"),
    ("wait_for_completion(poll=1.5)", lambda c, i: c.wait_for_completion(i, 1.5), "poll_interval_ms"),
    ("wait_for_completion(poll=True)", lambda c, i: c.wait_for_completion(i, True), "poll_interval_ms"),
    ("wait_for_completion(timeout_ms=2**32)", lambda c, i: c.wait_for_completion(i, 10, 2**32), "timeout_ms"),
    ("wait_for_completion(timeout=0)", lambda c, i: c.wait_for_completion(i, timeout=0), "timeout"),
    ("wait_for_completion(timeout='1')", lambda c, i: c.wait_for_completion(i, timeout="1"), "timeout"),
    ("delete_instance(b'id')", lambda c, i: c.delete_instance(b"id"), "instance_id"),
    ("fetch_interaction(42)", lambda c, i: c.fetch_interaction(42), "instance_id"),
    ("submit_interaction({})", lambda c, i: c.submit_interaction({}), "submission"),
    (
        "submit_interaction(participants='x')",
        lambda c, i: c.submit_interaction(gbg_go.Submission(i, "x", "FullName", {})),
        "submission.participants",
    ),
    (
        "submit_interaction(participants=['x'])",
        lambda c, i: c.submit_interaction(gbg_go.Submission(i, "x", ["FullName"], {})),
        "submission.participants[0]",
    ),
    (
        "submit_interaction(subject='{}')",
        lambda c, i: c.submit_interaction(gbg_go.Submission(i, "x", [gbg_go.Participant("A")], "{}")),
        "submission.subject",
    ),
    ("health(timeout=-1)", lambda c, i: c.health(timeout=-1), "timeout"),
]
"""A table of bad arguments, per method: each call, and the argument it must name."""


def check_arguments() -> dict[str, Any]:
    """Every bad argument raises InvalidInputError naming it, and the same
    client answers a good call right after, sync and asyncio alike."""
    refused("from_env({})", lambda: gbg_go.ClientConfig.from_env({}), "GBG_GO_CLIENT_ID")
    user = {"GBG_GO_CLIENT_ID": "id", "GBG_GO_CLIENT_SECRET": "secret-value", "GBG_GO_USERNAME": "u@example.com"}
    refused("from_env(no password)", lambda: gbg_go.ClientConfig.from_env(user), "GBG_GO_PASSWORD")
    refused(
        "from_env(interaction auth)",
        lambda: gbg_go.ClientConfig.from_env({**user, "GBG_GO_PASSWORD": "pass-value", "GBG_GO_INTERACTION_AUTH": "x"}),
        "GBG_GO_INTERACTION_AUTH",
    )
    password = gbg_go.ClientConfig.from_env({**user, "GBG_GO_PASSWORD": "pass-value", "GBG_GO_REGION": "us"})
    assert isinstance(password.grant, gbg_go.PasswordGrant) and password.endpoint == "us", password
    runtime = gbg_go.Runtime()
    refused("open(config=dict)", lambda: runtime.open({"endpoint": "eu"}), "config")  # type: ignore[arg-type]
    bad_grant = gbg_go.ClientConfig(endpoint="eu", grant=("id", "secret"))  # type: ignore[arg-type]
    refused("open(grant=tuple)", lambda: runtime.open(bad_grant), "config.grant")
    bad_auth = gbg_go.ClientConfig(endpoint="eu", grant=gbg_go.ClientConfig.from_env().grant, interaction_auth="end-user")  # type: ignore[arg-type]
    refused("open(interaction_auth=...)", lambda: runtime.open(bad_auth), "config.interaction_auth")
    refused("open(egress='x')", lambda: runtime.open(gbg_go.ClientConfig.from_env(), egress="https://x"), "egress")
    with runtime.open(gbg_go.ClientConfig.from_env()) as client:
        instance_id = client.start_journey(RESOURCE_ID).instance_id
        for what, call, field in BAD_CALLS:
            refused(what, lambda: call(client, instance_id), field)
            assert client.fetch_journey_state(instance_id).status == gbg_go.IN_PROGRESS, f"after {what}"
        refused("plan_submission(step=dict)", lambda: runtime.plan_submission({}, {}), "step")  # type: ignore[arg-type]
        not_ready = gbg_go.NotReady(instance_id, gbg_go.IN_PROGRESS)
        refused("plan_submission(answers=[])", lambda: runtime.plan_submission(not_ready, []), "answers")  # type: ignore[arg-type]
        refused("plan_submission(accepted=[1])", lambda: runtime.plan_submission(not_ready, {}, [1]), "accepted[0]")  # type: ignore[list-item]
        assert runtime.plan_submission(not_ready, {}) is None
        as_queried = {"ready": False, "instance_id": instance_id, "journey_status": gbg_go.IN_PROGRESS}
        assert client.plan_submission(as_queried, {}) is None
        refused("plan_submission(step={'ready': True})", lambda: client.plan_submission({"ready": True}, {}), "step")

    async def in_asyncio() -> int:
        aio_runtime = gbg_go.aio.Runtime(max_concurrency=1)
        async with aio_runtime.open(gbg_go.ClientConfig.from_env()) as client:
            for what, call, field in BAD_CALLS:
                try:
                    await call(client, instance_id)
                except gbg_go.InvalidInputError as e:
                    assert e.detail["field"] == field, f"aio {what}: named {e.detail['field']!r}"
                else:
                    raise AssertionError(f"aio {what}: was accepted")
                assert (await client.fetch_journey_state(instance_id)).status == gbg_go.IN_PROGRESS
        return len(BAD_CALLS)

    return {"instance_id": instance_id, "bad_calls": len(BAD_CALLS), "aio_bad_calls": asyncio.run(in_asyncio())}


async def check_cancellation_in_asyncio() -> dict[str, Any]:
    """A cancelled wait stops at once, within its poll interval; its store
    is discarded (the next call fetches a new token); leaving ``async with``
    stops a running wait with ClosedError and returns promptly."""
    poll_ms = 30_000
    runtime = gbg_go.aio.Runtime(max_concurrency=1)
    async with runtime.open(gbg_go.ClientConfig.from_env()) as client:
        instance_id = (await client.start_journey(RESOURCE_ID)).instance_id
        waiting = asyncio.create_task(client.wait_for_completion(instance_id, poll_ms, 120_000))
        await asyncio.sleep(1)
        cancelled_at = time.monotonic()
        waiting.cancel()
        try:
            await waiting
            raise AssertionError("the cancelled wait returned")
        except asyncio.CancelledError:
            pass
        cancel_s = time.monotonic() - cancelled_at
        assert cancel_s < poll_ms / 1000, f"the cancelled wait ran on for {cancel_s:.1f} s"
        # The same client, on a fresh store: it authenticates again.
        assert (await client.fetch_journey_state(instance_id)).status == gbg_go.IN_PROGRESS
        try:
            await client.wait_for_completion(instance_id, poll_ms, 120_000, timeout=1)
            raise AssertionError("the wait outlived its timeout")
        except gbg_go.BudgetExceededError as e:
            assert e.kind == "budget-exceeded" and e.retryable, e
        assert (await client.health()) == "OK"
        left = asyncio.create_task(client.wait_for_completion(instance_id, poll_ms, 120_000))
        await asyncio.sleep(1)
        leaving_at = time.monotonic()
    close_s = time.monotonic() - leaving_at
    assert close_s < poll_ms / 1000, f"leaving async with took {close_s:.1f} s"
    try:
        await left
        raise AssertionError("the wait outlived its client")
    except gbg_go.ClosedError:
        pass
    try:
        await client.health()
        raise AssertionError("a call after close() ran")
    except gbg_go.ClosedError:
        pass
    return {"instance_id": instance_id, "cancel_s": cancel_s, "close_s": close_s}


def check_cancellation_sync() -> dict[str, Any]:
    """close() from another thread stops a blocking wait with ClosedError."""
    runtime = gbg_go.Runtime()
    client = runtime.open(gbg_go.ClientConfig.from_env())
    instance_id = client.start_journey(RESOURCE_ID).instance_id
    threading.Timer(1, client.close).start()
    started = time.monotonic()
    try:
        client.wait_for_completion(instance_id, 30_000, 120_000)
        raise AssertionError("the wait outlived close()")
    except gbg_go.ClosedError:
        pass
    close_s = time.monotonic() - started - 1
    try:
        client.health()
        raise AssertionError("a call after close() ran")
    except gbg_go.ClosedError:
        pass
    return {"sync_instance_id": instance_id, "sync_close_s": close_s}


def check_cancellation() -> dict[str, Any]:
    return {**asyncio.run(check_cancellation_in_asyncio()), **check_cancellation_sync()}


class Warnings(logging.Handler):
    """Collects the warnings of the ``gbg_go`` logger."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def take(self) -> list[str]:
        taken, self.messages = self.messages, []
        return taken


def check_cache() -> dict[str, Any]:
    """A valid entry loads; a tampered, linked, shared or foreign one is
    compiled again, never loaded, and replaced."""
    warnings = Warnings()
    logging.getLogger("gbg_go").addHandler(warnings)
    with tempfile.TemporaryDirectory() as home:
        os.environ["XDG_STATE_HOME"] = f"{home}/state"
        cache = Path(home) / "cache"
        gbg_go.Runtime(cache_dir=cache)
        entries = list(cache.iterdir())
        assert len(entries) == 1, entries
        entry = entries[0]
        assert (cache.stat().st_mode & 0o777) == 0o700, oct(cache.stat().st_mode)
        assert (entry.stat().st_mode & 0o777) == 0o600, oct(entry.stat().st_mode)
        key = Path(home) / "state/gbg-go/compile-cache.key"
        assert (key.stat().st_mode & 0o777) == 0o600, oct(key.stat().st_mode)
        good = entry.read_bytes()

        def loads(label: str) -> list[str]:
            runtime = gbg_go.Runtime(cache_dir=cache)
            with runtime.open(gbg_go.ClientConfig.from_env()) as client:
                assert client.health() == "OK", label
            return warnings.take()

        assert loads("valid entry") == []
        seen = {}
        # A byte of the compiled code flipped: the tag no longer matches.
        tampered = bytearray(good)
        tampered[len(tampered) // 2] ^= 0xFF
        entry.write_bytes(bytes(tampered))
        seen["tampered"] = loads("tampered")
        assert any("tag does not match" in w for w in seen["tampered"]), seen
        assert entry.read_bytes() == good, "the tampered entry was not replaced"
        # A symbolic link to a valid entry kept elsewhere.
        elsewhere = Path(home) / "elsewhere.cwasm"
        elsewhere.write_bytes(good)
        entry.unlink()
        entry.symlink_to(elsewhere)
        seen["link"] = loads("link")
        assert any("not trusted" in w for w in seen["link"]), seen
        assert not entry.is_symlink(), "the link was not replaced"
        # An entry others can write.
        os.chmod(entry, 0o666)
        seen["shared"] = loads("shared")
        assert any("writable by other users" in w for w in seen["shared"]), seen
        # A cache folder others can write is not used at all.
        os.chmod(cache, 0o777)
        seen["shared folder"] = loads("shared folder")
        assert any("not used" in w for w in seen["shared folder"]), seen
        os.chmod(cache, 0o700)
        # A key others can read is no key.
        os.chmod(key, 0o644)
        seen["shared key"] = loads("shared key")
        assert any("not used" in w for w in seen["shared key"]), seen
    return {"warnings": seen}


def check_events() -> dict[str, Any]:
    """verify_event accepts what standardwebhooks signs, and nothing else."""
    from standardwebhooks import Webhook

    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    webhook = Webhook(secret)
    event = {"type": "journey.completed", "timestamp": "2026-01-01T00:00:00Z", "data": {"instance_id": "i1"}}
    body = json.dumps(event)
    now = datetime.now(tz=timezone.utc)

    def headers(at: datetime, signature: str | None = None, msg_id: str = "evt_1") -> dict[str, str]:
        return {
            "Webhook-Id": msg_id,
            "Webhook-Timestamp": str(int(at.timestamp())),
            "Webhook-Signature": signature or webhook.sign(msg_id, at, body),
        }

    assert gbg_go.verify_event(body, headers(now), secret) == event
    assert gbg_go.verify_event(body.encode(), headers(now), secret) == event
    other = Webhook("whsec_" + base64.b64encode(os.urandom(32)).decode()).sign("evt_1", now, body)
    both = f"{other} {webhook.sign('evt_1', now, body)}"
    assert gbg_go.verify_event(body, headers(now, both), secret) == event, "a second signature"
    # What standardwebhooks itself accepts, verify_event accepts too.
    assert webhook.verify(body, headers(now)) == event
    refusals = {
        "tampered body": (body.replace("i1", "i2"), headers(now), secret),
        "old timestamp": (body, headers(now - timedelta(minutes=6)), secret),
        "future timestamp": (body, headers(now + timedelta(minutes=6)), secret),
        "other secret": (body, headers(now), "whsec_" + base64.b64encode(b"x" * 32).decode()),
        "other signer": (body, headers(now, other), secret),
        "other id": (body, {**headers(now), "Webhook-Id": "evt_2"}, secret),
        "no signature": (body, {k: v for k, v in headers(now).items() if k != "Webhook-Signature"}, secret),
        "v2 signature": (body, headers(now, "v2," + webhook.sign("evt_1", now, body).split(",")[1]), secret),
        "not whsec": (body, headers(now), base64.b64encode(b"x" * 32).decode()),
    }
    for what, (data, hdrs, key) in refusals.items():
        try:
            gbg_go.verify_event(data, hdrs, key)
            raise AssertionError(f"{what}: verified")
        except gbg_go.InvalidSignatureError as e:
            assert e.kind == "invalid-signature" and not e.retryable, e
            assert key not in str(e), f"{what}: the message shows the secret"
    return {"refused": sorted(refusals)}


CHECKS = {
    "arguments": check_arguments,
    "cancellation": check_cancellation,
    "cache": check_cache,
    "events": check_events,
}

if __name__ == "__main__":
    print(json.dumps(CHECKS[sys.argv[1]]()))
