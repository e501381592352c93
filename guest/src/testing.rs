//! Test helpers: configurations, a scripted transport and a virtual clock.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::time::Duration;

use crate::http::{Clock, Limits, Method, Request, Response, SendError, Transport};
use crate::token_store::TokenStore;
use crate::types::{
    ApiFailure, ApiProblem, ClientConfig, ClientCredentialsGrant, Endpoint, Error, Grant,
    InvalidInput, InvalidResponse, TransportError, TransportKind,
};

/// Every secret used in tests contains this marker.
pub const MARKER: &str = "SECRET";
/// The client secret of [`config`].
pub const CLIENT_SECRET: &str = "client-SECRET-value";

/// A client-credentials configuration for `base_url`.
pub fn config(base_url: &str) -> ClientConfig {
    ClientConfig {
        endpoint: Endpoint::BaseUrl(base_url.to_owned()),
        token_url: Some("https://auth.test/as/token.oauth2".to_owned()),
        grant: Grant::ClientCredentials(ClientCredentialsGrant {
            client_id: "client-id".to_owned(),
            client_secret: CLIENT_SECRET.to_owned(),
            scope: None,
        }),
        hosted_base_url: None,
        source: None,
        retry: None,
        token_refresh_margin_s: None,
        max_response_bytes: None,
        request_timeout_ms: None,
        interaction_auth: None,
    }
}

/// A secret with a space and every character that the form, percent and
/// JSON encodings treat specially.
pub const ODD_SECRET: &str = "Sup3r s3cret+/=&%\"\\value-SECRET";

/// Every spelling in which a server could echo `secret`: as is; form-encoded
/// (also in lower- and upper-case); percent-encoded with upper- and
/// lower-case hex; JSON-escaped, also with `\/` and a `\u` escape; upper and
/// lower case; and after 990 characters of padding.
pub fn echoes(secret: &str) -> Vec<String> {
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let quoted = serde_json::to_string(secret).unwrap();
    let json = &quoted[1..quoted.len() - 1];
    let mut chars = json.chars();
    let first = chars.next().map_or_else(String::new, |c| {
        let mut units = [0; 2];
        c.encode_utf16(&mut units)
            .iter()
            .map(|u| format!("\\u{u:04x}"))
            .collect()
    });
    let more_escaped = format!("{first}{}", chars.as_str().replace('/', "\\/"));
    vec![
        secret.to_owned(),
        form.clone(),
        form.to_ascii_lowercase(),
        form.to_uppercase(),
        percent_encoded(secret, true),
        percent_encoded(secret, false),
        json.to_owned(),
        more_escaped,
        secret.to_uppercase(),
        secret.to_lowercase(),
        format!("{}{secret}", "p".repeat(990)),
    ]
}

/// `text` with every byte but ASCII letters and digits percent-encoded, in
/// upper- or lower-case hex.
pub fn percent_encoded(text: &str, upper_hex: bool) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => char::from(b).to_string(),
            _ if upper_hex => format!("%{b:02X}"),
            _ => format!("%{b:02x}"),
        })
        .collect()
}

/// The field of an `invalid-input` error.
pub fn refused_field<T>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::InvalidInput(InvalidInput { field, .. })) => field,
        Err(other) => panic!("expected invalid-input, got {other:?}"),
        Ok(_) => panic!("expected invalid-input, got success"),
    }
}

/// The reason of an `invalid-response` error.
pub fn invalid_reason<T>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::InvalidResponse(InvalidResponse { reason, .. })) => reason,
        Err(other) => panic!("expected invalid-response, got {other:?}"),
        Ok(_) => panic!("expected invalid-response, got success"),
    }
}

/// A response with these headers and body.
pub fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
    Response {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        body: body.as_bytes().to_vec(),
    }
}

/// The `api-failure` of an error answer's error.
pub fn api_failure_of(error: &Error) -> &ApiFailure {
    crate::errors::failure_of(error).unwrap_or_else(|| panic!("no api-failure in {error:?}"))
}

/// An answer with a JSON content type and a request id.
pub fn answer(status: u16, body: &str) -> Result<Response, SendError> {
    answer_with(status, &[], body)
}

/// An answer with extra headers.
pub fn answer_with(
    status: u16,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<Response, SendError> {
    let request_id = format!("req-{status}");
    let mut all = vec![
        ("Content-Type", "application/json"),
        ("X-Request-ID", request_id.as_str()),
    ];
    all.extend_from_slice(headers);
    Ok(response(status, &all, body))
}

/// A transport failure.
pub fn broken(kind: TransportKind) -> Result<Response, SendError> {
    Err(SendError::Transport(TransportError {
        kind,
        authority: "api.test".to_owned(),
        message: format!("{kind:?}"),
    }))
}

/// Virtual time: sleeping advances it instantly.
#[derive(Clone, Default)]
pub struct FakeClock(Rc<ClockState>);

#[derive(Default)]
struct ClockState {
    now_ms: Cell<u64>,
    sleeps: RefCell<Vec<u64>>,
    random: Cell<u64>,
}

/// The wall-clock time at virtual time 0.
pub const EPOCH_MS: u64 = 1_700_000_000_000;

impl FakeClock {
    /// Virtual milliseconds since the start.
    pub fn now(&self) -> u64 {
        self.0.now_ms.get()
    }

    /// Moves time forward.
    pub fn advance(&self, ms: u64) {
        self.0.now_ms.set(self.0.now_ms.get() + ms);
    }

    /// Every sleep so far, in milliseconds.
    pub fn sleeps(&self) -> Vec<u64> {
        self.0.sleeps.borrow().clone()
    }

    /// The value `random_u64` returns from now on.
    pub fn set_random(&self, value: u64) {
        self.0.random.set(value);
    }
}

impl Clock for FakeClock {
    fn now_unix_ms(&self) -> u64 {
        EPOCH_MS + self.now()
    }

    fn monotonic_ms(&self) -> u64 {
        self.now()
    }

    fn sleep(&self, duration: Duration) {
        let ms = u64::try_from(duration.as_millis()).unwrap();
        self.0.sleeps.borrow_mut().push(ms);
        self.advance(ms);
    }

    fn random_u64(&self) -> u64 {
        self.0.random.get()
    }
}

/// One request the fake transport saw.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The request.
    pub request: Request,
    /// The limits it was sent with.
    pub limits: Limits,
    /// Virtual time when it was sent.
    pub at_ms: u64,
}

impl Seen {
    /// The URL path.
    pub fn path(&self) -> &str {
        self.request.url.path()
    }

    /// The bearer token, if any.
    pub fn bearer(&self) -> Option<&str> {
        self.request
            .header("authorization")?
            .strip_prefix("Bearer ")
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.request.body).unwrap()
    }
}

/// A scripted answer: a response, or the failure to get one.
pub type Scripted = Result<Response, SendError>;

/// A transport answering from per-path scripts, taking a fixed virtual time
/// per exchange (a timeout when that exceeds the request's limit). The token path answers a new
/// token (`at-SECRET-<n>`, 3600 s) whenever its script is empty; other
/// paths with an empty script answer 599.
#[derive(Clone)]
pub struct FakeTransport(Rc<TransportState>);

struct TransportState {
    clock: FakeClock,
    latency_ms: Cell<u64>,
    scripts: RefCell<HashMap<String, VecDeque<Scripted>>>,
    seen: RefCell<Vec<Seen>>,
    tokens_issued: Cell<u32>,
}

/// GBG GO's answer with `status` to a start without `resourceId`: one
/// `4002 MISSING_FIELD` problem, under `request_id`.
pub fn missing_resource_id(status: u16, request_id: &str) -> ApiFailure {
    ApiFailure {
        status,
        request_id: Some(request_id.into()),
        problems: vec![problem(
            "4002",
            "MISSING_FIELD",
            "Body",
            "resourceId is required",
            "Provide resourceId",
        )],
        message: None,
    }
}

/// An entry of GBG's `errors` envelope.
pub fn problem(code: &str, name: &str, location: &str, problem: &str, action: &str) -> ApiProblem {
    ApiProblem {
        code: code.into(),
        name: name.into(),
        location: location.into(),
        problem: problem.into(),
        action: action.into(),
    }
}

/// The token path of [`config`].
pub const TOKEN_PATH: &str = "/as/token.oauth2";

/// The API paths of the requests the client sends, under the base URLs the
/// tests configure (`.../v2/captain`).
pub mod paths {
    /// `journey/start`.
    pub const START: &str = "/v2/captain/journey/start";
    /// `journey/state/fetch`.
    pub const STATE: &str = "/v2/captain/journey/state/fetch";
    /// `journey/state/delete`.
    pub const DELETE: &str = "/v2/captain/journey/state/delete";
    /// `journey/health`.
    pub const HEALTH: &str = "/v2/captain/journey/health";
    /// `journey/interaction/fetch`.
    pub const FETCH: &str = "/v2/captain/journey/interaction/fetch";
    /// `journey/interaction/submit`.
    pub const SUBMIT: &str = "/v2/captain/journey/interaction/submit";
}

impl FakeTransport {
    /// A transport on `clock`'s virtual time.
    pub fn new(clock: &FakeClock) -> Self {
        Self(Rc::new(TransportState {
            clock: clock.clone(),
            latency_ms: Cell::new(0),
            scripts: RefCell::default(),
            seen: RefCell::default(),
            tokens_issued: Cell::new(0),
        }))
    }

    /// Queues answers for requests to `path`.
    pub fn script(&self, path: &str, answers: impl IntoIterator<Item = Scripted>) {
        self.0
            .scripts
            .borrow_mut()
            .entry(path.to_owned())
            .or_default()
            .extend(answers);
    }

    /// How long each exchange takes in virtual time.
    pub fn set_latency(&self, ms: u64) {
        self.0.latency_ms.set(ms);
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.0.seen.borrow().clone()
    }

    /// The requests to `path`.
    pub fn seen_at(&self, path: &str) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.path() == path)
            .collect()
    }
}

impl Transport for FakeTransport {
    fn send(&self, request: &Request, limits: &Limits) -> Result<Response, SendError> {
        let state = &self.0;
        state.seen.borrow_mut().push(Seen {
            request: request.clone(),
            limits: *limits,
            at_ms: state.clock.now(),
        });
        let latency = state.latency_ms.get();
        if latency > u64::from(limits.timeout_ms) {
            state.clock.advance(u64::from(limits.timeout_ms));
            return broken(TransportKind::Timeout);
        }
        state.clock.advance(latency);
        let path = request.url.path().to_owned();
        let scripted = state
            .scripts
            .borrow_mut()
            .get_mut(&path)
            .and_then(VecDeque::pop_front);
        match scripted {
            Some(answer) => answer,
            None if path == TOKEN_PATH => {
                assert_eq!(request.method, Method::Post);
                let n = state.tokens_issued.get() + 1;
                state.tokens_issued.set(n);
                answer(
                    200,
                    &format!(
                        r#"{{"access_token":"at-{MARKER}-{n}","token_type":"Bearer","expires_in":3600}}"#
                    ),
                )
            }
            None => answer(599, r#"{"message":"unscripted"}"#),
        }
    }
}

/// A token store in memory, shared by its clones, like a bucket that
/// several instances open.
#[derive(Clone, Default)]
pub struct MemoryStore(Rc<RefCell<HashMap<String, Vec<u8>>>>);

impl MemoryStore {
    /// Every entry.
    pub fn entries(&self) -> HashMap<String, Vec<u8>> {
        self.0.borrow().clone()
    }
}

impl TokenStore for MemoryStore {
    fn get(&mut self, name: &str) -> Option<Vec<u8>> {
        self.0.borrow().get(name).cloned()
    }

    fn set(&mut self, name: &str, value: &[u8]) {
        self.0.borrow_mut().insert(name.to_owned(), value.to_vec());
    }
}
