#!/usr/bin/env python3
"""Regenerates openapi-derived.json from GBG's OpenAPI file (gbg-go-core-sdk `.spec/spec.yaml`).

Usage: python3 derive_from_openapi.py PATH/TO/gbg-go-openapi.yaml > openapi-derived.json

The output is a JSON Schema (draft-07) document whose `definitions` hold the request and
response body schemas of the v2 endpoints the simulator serves (the token endpoint's form
fields included), with the shared `context.subject` schema factored out into
`definitions/subject`, and whose `operations` map each of those OpenAPI paths to its method,
request definition, request media type and documented response statuses (with the
definition of each status's body, or null when the OpenAPI gives none). Only two mechanical
changes are made on the way:
- `example`/`examples` are dropped (not validation keywords);
- OpenAPI 3.0's boolean `exclusiveMinimum: true` + `minimum: 0` becomes draft-07's
  `exclusiveMinimum: 0`.
Where the simulator and the client follow GBG's docs instead of this file, the difference is
an entry of `deviations.json` (one row each of the README's table), applied on top at run
time; nothing is changed here.
Requires PyYAML.
"""
import json
import sys

import yaml

SUBJECT_REF = {"$ref": "#/definitions/subject"}

# The OpenAPI operations the simulator serves, as (path, method).
OPERATIONS = [
    ("/auth/realms/go/protocol/openid-connect/token", "post"),
    ("/journey/health", "get"),
    ("/journey/start", "post"),
    ("/journey/state/fetch", "post"),
    ("/journey/state/delete", "post"),
    ("/journey/interaction/fetch", "post"),
    ("/journey/interaction/submit", "post"),
    ("/journey/device/start", "post"),
    ("/journey/device/connect", "post"),
]


def clean(node):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("example", "examples"):
                continue
            out[key] = clean(value)
        if out.get("exclusiveMinimum") is True:
            out["exclusiveMinimum"] = out.pop("minimum", 0)
        return out
    if isinstance(node, list):
        return [clean(item) for item in node]
    return node


def is_subject(node):
    return isinstance(node, dict) and "identity" in node.get("properties", {})


def factor_subject(node, found):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "subject" and is_subject(value):
                found.append(value)
                out[key] = SUBJECT_REF
            else:
                out[key] = factor_subject(value, found)
        return out
    if isinstance(node, list):
        return [factor_subject(item, found) for item in node]
    return node


def main(path):
    with open(path, encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)
    paths = spec["paths"]

    def request(p):
        return paths[p]["post"]["requestBody"]["content"]["application/json"]["schema"]

    def response(p, status, method="post"):
        return paths[p][method]["responses"][status]["content"]["application/json"]["schema"]

    token_path = "/auth/realms/go/protocol/openid-connect/token"
    token = paths[token_path]["post"]
    form = "application/x-www-form-urlencoded"
    picked = {
        "startRequest": request("/journey/start"),
        "startResponse": response("/journey/start", "201"),
        "stateFetchRequest": request("/journey/state/fetch"),
        "stateFetchResponse": response("/journey/state/fetch", "200"),
        "stateDeleteRequest": request("/journey/state/delete"),
        "stateDeleteResponse": response("/journey/state/delete", "200"),
        "healthResponse": response("/journey/health", "200", "get"),
        "interactionFetchRequest": request("/journey/interaction/fetch"),
        "interactionFetchResponse": response("/journey/interaction/fetch", "200"),
        "interactionSubmitRequest": request("/journey/interaction/submit"),
        "interactionSubmitResponse": response("/journey/interaction/submit", "200"),
        "deviceStartRequest": request("/journey/device/start"),
        "deviceStartResponse": response("/journey/device/start", "200"),
        "deviceConnectRequest": request("/journey/device/connect"),
        "deviceConnectResponse": response("/journey/device/connect", "200"),
        "tokenRequest": token["requestBody"]["content"][form]["schema"],
        "tokenResponse": token["responses"]["200"]["content"]["application/json"]["schema"],
    }
    found = []
    definitions = {name: clean(factor_subject(schema, found)) for name, schema in picked.items()}
    subjects = {json.dumps(s, sort_keys=True, default=str) for s in found}
    if len(subjects) != 1:
        sys.exit("the endpoints do not share one context.subject schema")
    definitions["subject"] = clean(found[0])
    def definition_of(schema, where):
        """The picked definition equal to `schema`; None when the OpenAPI gives no schema."""
        if schema is None:
            return None
        for name, picked_schema in picked.items():
            if picked_schema == schema:
                return name
        sys.exit(f"{where} has a schema that is not derived")

    operations = {}
    for path, method in OPERATIONS:
        operation = paths[path][method]
        body = operation.get("requestBody", {}).get("content", {})
        media_type = next(iter(body), None)
        operations[path] = {
            "method": method,
            "request": definition_of(body.get(media_type, {}).get("schema"), path),
            "request_media_type": media_type,
            "responses": {
                status: definition_of(
                    answer.get("content", {}).get("application/json", {}).get("schema"),
                    f"{path} {status}",
                )
                for status, answer in operation["responses"].items()
            },
        }
    document = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$comment": "Derived from GBG's OpenAPI file (gbgplc/gbg-go-core-sdk .spec/spec.yaml, MIT) "
        "by derive_from_openapi.py; do not edit by hand.",
        "definitions": dict(sorted(definitions.items())),
        "operations": operations,
    }
    json.dump(document, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
