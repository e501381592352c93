"""The conformance runner for Python: runs every scenario of
../conformance/scenarios.json through the installed ``gbg-go`` package (the
component it ships, on wasmtime-py), and checks each step's outcome.

    python conformance.py TARGETS.json

TARGETS.json (written by the Rust test that started the simulators) maps each
scenario name to its variables: {"scenarios": {"<name>": {"base_url": ...}}}.
Prints ``PASS <name>`` or ``FAIL <name>: <why>`` per scenario, then
``N passed, N failed``; exits 1 when any failed.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable, Optional

import gbg_go

RUNTIME = "python"
SCENARIOS = Path(__file__).resolve().parent.parent / "conformance" / "scenarios.json"


def main(targets_path: str) -> int:
    suite = json.loads(SCENARIOS.read_text())
    targets = json.loads(Path(targets_path).read_text())
    runtime = gbg_go.Runtime()
    passed = failed = 0
    for scenario in suite["scenarios"]:
        started = time.monotonic()
        try:
            variables = targets["scenarios"].get(scenario["name"])
            if variables is None:
                raise AssertionError("no variables for this scenario in the targets file")
            run(runtime, suite, scenario, dict(variables))
            passed += 1
            print(f"PASS {scenario['name']} ({round((time.monotonic() - started) * 1000)} ms)", flush=True)
        except Exception as e:  # report every failure, then go on
            failed += 1
            print(f"FAIL {scenario['name']}: {e!r}", flush=True)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def run(runtime: gbg_go.Runtime, suite: dict, scenario: dict, variables: dict) -> None:
    """Runs one scenario's steps against a fresh client, held to the
    scenario's ``egress`` allow-list when it has one."""
    spec = substitute({**suite["client"], **scenario.get("client", {})}, variables)
    config = gbg_go.ClientConfig(
        endpoint=spec["base-url"],
        token_url=spec["token-url"],
        grant=gbg_go.ClientCredentials(spec["client-id"], spec["client-secret"]),
    )
    egress = substitute(scenario["egress"], variables) if "egress" in scenario else None
    with runtime.open(config, egress=egress) as client:
        for index, template in enumerate(scenario["steps"]):
            step = substitute(template, variables)
            if "end-user" in step:
                submit_hosted_page(step["url"], step["form"])
                continue
            observed, text, message = observe(lambda: perform(client, step))
            expected = step.get("expect_by_runtime", {}).get(RUNTIME, step["expect"])
            where = f"step {index} ({step['call']})"
            mismatch = match(expected, observed, "")
            if mismatch:
                raise AssertionError(f"{where}: {mismatch}; observed {json.dumps(observed)}")
            pattern = step.get("message")
            if pattern is not None and RUNTIME not in step.get("expect_by_runtime", {}) and not reads(message, pattern):
                raise AssertionError(f"{where}: the message {message!r} does not read {pattern!r}")
            if any(secret in text for secret in scenario.get("forbid", [])):
                raise AssertionError(f"{where}: the outcome shows a secret")
            for name, pointer in step.get("save", {}).items():
                value = observed
                for key in pointer.split("/")[1:]:
                    value = value[key]
                variables[name] = value


def perform(client: gbg_go.Client, step: dict) -> Any:
    """Calls the component for one step."""
    call = step["call"]
    if call == "authenticate":
        return client.authenticate()
    if call == "start-journey":
        request = step["request"]
        subject = None if request["subject"] is None else json.loads(request["subject"])
        return client.start_journey(request["resource-id"], request["delivery"], subject)
    if call == "fetch-journey-state":
        return client.fetch_journey_state(step["instance-id"], step.get("filter-keys", []))
    if call == "wait-for-completion":
        options = step["options"]
        return client.wait_for_completion(step["instance-id"], options["poll-interval-ms"], options["timeout-ms"])
    if call == "fetch-interaction":
        return client.fetch_interaction(step["instance-id"])
    if call == "submit-interaction":
        submission = step["submission"]
        participants = [
            gbg_go.Participant(p["domain-element-id"], p["instruction"]) for p in submission["participants"]
        ]
        return client.submit_interaction(
            gbg_go.Submission(
                submission["instance-id"],
                submission["interaction-id"],
                participants,
                json.loads(submission["subject"]),
            )
        )
    if call == "plan-submission":
        accepted = [gbg_go.AcceptedElement(a["interaction-id"], a["domain-element-id"]) for a in step["accepted"]]
        return client.plan_submission(step_of(step["step"]), step["answers"], accepted)
    raise ValueError(f"unknown call {call}")


def step_of(value: dict) -> gbg_go.InteractionStep:
    """A canonical interaction step (as ``canonical`` writes it) as the package's value."""
    spelled = {case: text for text, case in STATUSES.items()}

    def status(case: Any) -> str:
        return case["other"] if isinstance(case, dict) else spelled[case]

    if "not-ready" in value:
        return gbg_go.NotReady("", status(value["not-ready"]))
    ready = value["ready"]

    def requirement(r: dict) -> gbg_go.ElementRequirement:
        inputs = [gbg_go.ElementInput(i["ref"], i["spec"], i["recommended"]) for i in r["inputs"]]
        element = r["element"]
        return gbg_go.ElementRequirement(element["ref"], element["spec"], element["recommended"], r["combinator"], inputs)

    return gbg_go.Interaction(
        instance_id=ready["instance-id"],
        interaction_id=ready["interaction-id"],
        journey_status=status(ready["journey-status"]),
        collects=[requirement(r) for r in ready["collects"]],
        consumes=[requirement(r) for r in ready["consumes"]],
        outstanding=ready["outstanding"],
        interaction=ready["document"],
    )


def observe(call: Callable[[], Any]) -> tuple[dict, str, Optional[str]]:
    """The outcome in the scenarios' canonical form, all its text (for the
    secret check) and the error's message."""
    try:
        observed = {"ok": canonical(call())}
        return observed, json.dumps(observed), None
    except gbg_go.GbgGoError as e:
        observed = {"err": {e.kind: kebab(e.detail)}}
        return observed, f"{json.dumps(observed)} {e} {e!r}", str(e)


def reads(message: Optional[str], pattern: str) -> bool:
    """Whether ``message`` reads as ``pattern``, where ``*`` stands for any text."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return message is not None and re.fullmatch(regex, message, re.S) is not None


STATUSES = {
    gbg_go.IN_PROGRESS: "in-progress",
    gbg_go.COMPLETED: "completed",
    gbg_go.FAILED: "failed",
    gbg_go.PAUSED: "paused",
}


def status(text: str) -> Any:
    """A status as GBG spells it, as its WIT case (``{"other": text}`` for others)."""
    return STATUSES.get(text, {"other": text})


def canonical(value: Any) -> Any:
    """A package value in the canonical (WIT) form: kebab-case field names,
    None as null, a status as its WIT case beside its text, an interaction
    step as its case, and documents under ``document``."""
    if isinstance(value, gbg_go.NotReady):
        return {"not-ready": status(value.journey_status)}
    if isinstance(value, gbg_go.Interaction):
        fields = kebab(dataclasses.asdict(value))
        fields["journey-status"] = status(value.journey_status)
        fields["document"] = fields.pop("interaction")
        for key in ("collects", "consumes"):
            fields[key] = [requirement(r) for r in fields[key]]
        return {"ready": fields}
    if isinstance(value, gbg_go.JourneyState):
        fields = kebab(dataclasses.asdict(value))
        fields["status"], fields["status-text"] = status(value.status), value.status
        fields["document"] = fields.pop("state")
        return fields
    if dataclasses.is_dataclass(value):
        return kebab(dataclasses.asdict(value))
    return value


def requirement(entry: dict) -> dict:
    """A requirement in the WIT's shape: its own element apart."""
    element = {key: entry[key] for key in ("ref", "spec", "recommended")}
    return {"element": element, "combinator": entry["combinator"], "inputs": entry["inputs"]}


def kebab(value: Any) -> Any:
    """Plain data with kebab-case keys; ``last_status`` as its WIT case."""
    if isinstance(value, dict):
        return {
            key.replace("_", "-"): status(v) if key == "last_status" and v is not None else kebab(v)
            for key, v in value.items()
        }
    if isinstance(value, list):
        return [kebab(v) for v in value]
    return value


def match(expected: Any, actual: Any, path: str) -> str:
    """Why ``actual`` does not match ``expected`` (see ../conformance/README.md), or ''."""
    if expected == "$string":
        return "" if isinstance(actual, str) and actual else f"{path or '.'}: expected a string"
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{path or '.'}: expected {len(expected)} entries"
        return next((m for i, e in enumerate(expected) if (m := match(e, actual[i], f"{path}[{i}]"))), "")
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{path or '.'}: expected an object"
        return next((m for k, e in expected.items() if (m := match(e, actual.get(k), f"{path}.{k}"))), "")
    same = expected == actual and type(expected) is type(actual)
    return "" if same else f"{path or '.'}: expected {json.dumps(expected)}"


def substitute(template: Any, variables: dict) -> Any:
    """Replaces every ``${name}`` in the strings of ``template`` by the variable."""
    if isinstance(template, str):

        def value(m: re.Match) -> str:
            if m.group(1) not in variables:
                raise KeyError(f"unknown variable {m.group(1)}")
            return variables[m.group(1)]

        return re.sub(r"\$\{(\w+)\}", value, template)
    if isinstance(template, list):
        return [substitute(t, variables) for t in template]
    if isinstance(template, dict):
        return {k: substitute(v, variables) for k, v in template.items()}
    return template


def submit_hosted_page(url: str, form: dict) -> None:
    """Plays the end user: submits the hosted page's form, as a browser would."""
    data = urllib.parse.urlencode(form).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method="POST")) as answer:
        page = answer.read().decode()
        if answer.status != 200 or 'id="outcome"' not in page:
            raise AssertionError(f"submitting the hosted page {url} answered {answer.status}")


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
