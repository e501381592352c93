"""The contract's facts this package needs: copies of the Rust crate
``gbg-go-contract`` (``wit/contract``), which an end-to-end test pins to it.

Nothing here imports wasmtime, so the Temporal workflow sandbox can load it.
"""

from __future__ import annotations

VERSION = "0.3.0"
"""This release, as Cargo, PyPI, npm and the WIT package spell it."""

WIT_PACKAGE = f"gbg:go@{VERSION}"
"""The component's WIT package, which names its exported interfaces."""

# -- defaults (wit/contract/src/defaults.rs) -----------------------------------

MEMORY_BYTES = 64 << 20
"""Linear memory one client's store may use."""

CALL_BUDGET_MS = 120_000
"""The longest one call may run; a wait gets its own timeout on top."""

MAX_CONCURRENCY = 4
"""Calls one asyncio client runs at once, each in its own instance."""

CONNECT_TIMEOUT_MS = 10_000
"""The host's ceiling on a request's connect timeout."""

FIRST_BYTE_TIMEOUT_MS = 30_000
"""The host's ceiling on the wait for an answer's first byte."""

BETWEEN_BYTES_TIMEOUT_MS = 30_000
"""The host's ceiling on the wait between two body bytes."""

EXCHANGE_DEADLINE_MS = 60_000
"""The whole exchange of one request ends within this."""

POLL_INTERVAL_MS = 2_000
"""The pause between two state fetches of a wait."""

WAIT_TIMEOUT_MS = 600_000
"""The longest a wait may take."""

# -- hosts (wit/contract/src/hosts.rs) ------------------------------------------

TOKEN_URL = "https://api.auth.gbgplc.com/as/token.oauth2"
"""GBG's documented public OAuth token endpoint."""

REGIONS = ("eu", "us", "au")
"""The regions with a documented platform host."""

API_PREFIX = "/v2/captain"
"""The path every v2 ("Captain") API URL starts with."""


def region_base_url(region: str) -> str:
    """The API base URL of ``region``, one of :data:`REGIONS`."""
    return f"https://{region}.platform.go.gbgplc.com{API_PREFIX}"


# -- spellings (wit/contract/src/spellings.rs) ----------------------------------

IN_PROGRESS = "InProgress"
COMPLETED = "Completed"
FAILED = "Failed"
PAUSED = "Paused"

STATUSES = {"in-progress": IN_PROGRESS, "completed": COMPLETED, "failed": FAILED, "paused": PAUSED}
"""GBG's spelling of each named case of the WIT ``journey-status``."""

ERROR_KINDS = {
    "invalid-input": False,
    "bad-request": False,
    "unauthorized": False,
    "forbidden": False,
    "not-found": False,
    "rate-limited": True,
    "server-error": True,
    "transport": True,
    "invalid-response": True,
    "timeout": False,
}
"""Each case of the WIT ``error``, in the WIT's order, and whether the same
call made again later, unchanged, may succeed."""

# -- settings (wit/contract/src/settings.rs) ------------------------------------
# The environment variables of the gbg-go command, which ClientConfig.from_env reads.

REGION_SETTING = "GBG_GO_REGION"
BASE_URL_SETTING = "GBG_GO_BASE_URL"
TOKEN_URL_SETTING = "GBG_GO_TOKEN_URL"
CLIENT_ID_SETTING = "GBG_GO_CLIENT_ID"
CLIENT_SECRET_SETTING = "GBG_GO_CLIENT_SECRET"
USERNAME_SETTING = "GBG_GO_USERNAME"
PASSWORD_SETTING = "GBG_GO_PASSWORD"
SCOPE_SETTING = "GBG_GO_SCOPE"
HOSTED_BASE_URL_SETTING = "GBG_GO_HOSTED_BASE_URL"
SOURCE_SETTING = "GBG_GO_SOURCE"
INTERACTION_AUTH_SETTING = "GBG_GO_INTERACTION_AUTH"
