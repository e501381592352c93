"""The values the client takes and returns: frozen dataclasses, with plain
dicts for JSON documents and GBG's spellings for statuses, the vocabulary of
the ``gbg-go`` command's ``--json`` and of the journey service's answers.

Nothing here imports wasmtime, so the Temporal workflow sandbox can load it.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Optional, Union

from . import _facts
from ._errors import invalid_argument

Delivery = Literal["page", "api"]
"""How the end user takes part: GBG's hosted pages, or the integrator's own UI."""

InteractionAuth = Literal["customer-token", "end-user-token"]
"""Which bearer token the interaction calls present."""


class Region(str, enum.Enum):
    """A GBG GO region with a documented platform host; ``"eu"`` etc. work too."""

    EU = "eu"
    US = "us"
    AU = "au"


@dataclass(frozen=True)
class ClientCredentials:
    """OAuth ``client_credentials``: an API client's id and secret."""

    client_id: str
    client_secret: str = field(repr=False)
    scope: Optional[str] = None


@dataclass(frozen=True)
class PasswordGrant:
    """OAuth ``password``: client id and secret plus an API user's name and password."""

    client_id: str
    client_secret: str = field(repr=False)
    username: str
    password: str = field(repr=False)
    scope: Optional[str] = None


Grant = Union[ClientCredentials, PasswordGrant]
"""How the client obtains its customer access token."""


@dataclass(frozen=True)
class RetryPolicy:
    """How transient failures are retried (WIT ``retry-policy``)."""

    max_attempts: int
    initial_backoff_ms: int
    max_backoff_ms: int
    max_elapsed_ms: int


@dataclass(frozen=True)
class ClientConfig:
    """Everything a client needs (WIT ``client-config``).

    ``endpoint`` is a region (``"eu"``, ``"us"``, ``"au"`` or a :class:`Region`)
    or an API base URL up to and including ``/v2/captain``. Options left
    ``None`` take the component's defaults.
    """

    endpoint: Union[Region, str]
    grant: Grant
    token_url: Optional[str] = None
    hosted_base_url: Optional[str] = None
    source: Optional[str] = None
    retry: Optional[RetryPolicy] = None
    token_refresh_margin_s: Optional[int] = None
    max_response_bytes: Optional[int] = None
    request_timeout_ms: Optional[int] = None
    interaction_auth: Optional[InteractionAuth] = None

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> "ClientConfig":
        """The configuration the ``gbg-go`` command reads from the environment
        (``os.environ`` by default): ``GBG_GO_BASE_URL`` or ``GBG_GO_REGION``
        (``eu`` when neither is set), ``GBG_GO_TOKEN_URL``, ``GBG_GO_CLIENT_ID``,
        ``GBG_GO_CLIENT_SECRET``, ``GBG_GO_USERNAME`` and ``GBG_GO_PASSWORD``
        (the password grant), ``GBG_GO_SCOPE``, ``GBG_GO_HOSTED_BASE_URL``,
        ``GBG_GO_SOURCE`` and ``GBG_GO_INTERACTION_AUTH`` (``customer`` or
        ``end-user``). An empty variable counts as unset; a missing one that is
        needed raises :class:`~gbg_go.InvalidInputError` naming it."""
        env = os.environ if environ is None else environ

        def get(name: str) -> Optional[str]:
            return env.get(name) or None

        def need(name: str) -> str:
            value = get(name)
            if value is None:
                raise invalid_argument(name, "is not set")
            return value

        client_id, secret = need(_facts.CLIENT_ID_SETTING), need(_facts.CLIENT_SECRET_SETTING)
        scope, username = get(_facts.SCOPE_SETTING), get(_facts.USERNAME_SETTING)
        grant: Grant = (
            PasswordGrant(client_id, secret, username, need(_facts.PASSWORD_SETTING), scope)
            if username is not None
            else ClientCredentials(client_id, secret, scope)
        )
        auth = get(_facts.INTERACTION_AUTH_SETTING)
        auths: dict[Optional[str], Optional[InteractionAuth]] = {
            None: None,
            "customer": "customer-token",
            "end-user": "end-user-token",
        }
        if auth not in auths:
            raise invalid_argument(_facts.INTERACTION_AUTH_SETTING, "must be customer or end-user")
        return cls(
            endpoint=get(_facts.BASE_URL_SETTING) or get(_facts.REGION_SETTING) or "eu",
            grant=grant,
            token_url=get(_facts.TOKEN_URL_SETTING),
            hosted_base_url=get(_facts.HOSTED_BASE_URL_SETTING),
            source=get(_facts.SOURCE_SETTING),
            interaction_auth=auths[auth],
        )


@dataclass(frozen=True)
class TokenInfo:
    """A customer access token's lifetime; the token itself is never returned."""

    token_type: str
    expires_in_s: int
    expires_at_ms: int


@dataclass(frozen=True)
class StartedJourney:
    """A started journey."""

    instance_id: str
    instance_url: Optional[str]
    """The hosted page to send the end user to, when there is one."""
    status: str
    message: Optional[str]


@dataclass(frozen=True)
class JourneyState:
    """A journey instance's state.

    ``status`` is spelled as GBG spells it: ``InProgress``, ``Completed``,
    ``Failed``, ``Paused``, or any other text verbatim.
    """

    instance_id: str
    status: str
    created_at: Optional[str]
    completed_at: Optional[str]
    state: dict[str, Any]
    """The full state document."""


@dataclass(frozen=True)
class ElementInput:
    """One domain element an interaction asks for or shows."""

    ref: str
    spec: str
    """``required``, ``optional`` or ``conditional``."""
    recommended: Optional[bool]


@dataclass(frozen=True)
class ElementRequirement:
    """One ``collects``/``consumes`` entry: an element, or a ``oneOf``/``allOf``
    group of ``inputs``."""

    ref: str
    spec: str
    recommended: Optional[bool]
    combinator: Optional[str]
    inputs: list[ElementInput]


@dataclass(frozen=True)
class Interaction:
    """An interaction that waits for the end user's data."""

    instance_id: str
    interaction_id: str
    journey_status: str
    collects: list[ElementRequirement]
    consumes: list[ElementRequirement]
    outstanding: list[str]
    """The domain elements not yet submitted (GBG may leave it unchanged
    after a submission it accepted)."""
    interaction: dict[str, Any]
    """The full interaction document."""


@dataclass(frozen=True)
class NotReady:
    """No interaction waits: GBG's modules are running (poll again), or the
    journey ended (read its state)."""

    instance_id: str
    journey_status: str


InteractionStep = Union[Interaction, NotReady]
"""What ``fetch_interaction`` returns."""

PlannableStep = Union[Interaction, NotReady, Mapping[str, Any]]
"""What ``plan_submission`` takes: an :data:`InteractionStep`, or the dict
of one with ``ready`` that the Temporal workflow's ``interaction`` query gives."""


@dataclass(frozen=True)
class Participant:
    """One element a submission covers, e.g. ``FullName`` or ``PrimaryDocument/side1Image``."""

    domain_element_id: str
    instruction: Optional[str] = None


@dataclass(frozen=True)
class AcceptedElement:
    """An element an interaction accepted: one participant of a submission
    the service took."""

    interaction_id: str
    domain_element_id: str


@dataclass(frozen=True)
class Submission:
    """The data for one interaction: the elements it covers and the piece
    of ``context.subject`` that carries them."""

    instance_id: str
    interaction_id: str
    participants: list[Participant]
    subject: dict[str, Any]

    def accepted(self) -> list[AcceptedElement]:
        """What the interaction has accepted once this submission succeeded."""
        return [AcceptedElement(self.interaction_id, p.domain_element_id) for p in self.participants]
