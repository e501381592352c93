//! An admitted request as its route's function sees it ([`Call`]): its
//! head, its body read on demand within the body deadline, the settings,
//! and a session with GBG GO lent by the engine.

use std::ops::{Deref, DerefMut};

use gbg_go_core::describe::describe;
use gbg_go_core::session::Session;
use gbg_go_core::types::Error;
use serde::de::DeserializeOwned;

use crate::engine::{Engine, Kept};
use crate::http::{Body, IncomingRequest, MAX_BODY_BYTES};
use crate::problem::Problem;
use crate::settings::{self, Config};
use crate::stores::Store;

/// An admitted request, as its route's function sees it.
pub struct Call<'a, E: Engine> {
    /// The request's head.
    pub request: &'a IncomingRequest,
    body: &'a mut dyn Body,
    /// The settings.
    pub config: &'a Config,
    /// The engine.
    pub engine: &'a E,
}

impl<'a, E: Engine> Call<'a, E> {
    /// The call of an admitted `request`, whose `body` is not read yet.
    pub fn new(
        request: &'a IncomingRequest,
        body: &'a mut dyn Body,
        config: &'a Config,
        engine: &'a E,
    ) -> Self {
        Self {
            request,
            body,
            config,
            engine,
        }
    }

    /// The whole body: `413` over [`MAX_BODY_BYTES`] (declared or read),
    /// `408` when it has not arrived within `GBG_GO_BODY_TIMEOUT_MS`.
    pub fn body(&mut self) -> Result<Vec<u8>, Problem> {
        let timeout_ms = *self
            .config
            .body_timeout_ms
            .as_ref()
            .map_err(Problem::not_configured)?;
        if self
            .request
            .declared_length()
            .is_some_and(|length| length > MAX_BODY_BYTES)
        {
            return Err(Problem::too_large(MAX_BODY_BYTES));
        }
        self.body.read(MAX_BODY_BYTES, timeout_ms)
    }

    /// The body as JSON `B`, described as `what` in problems.
    pub fn json<B: DeserializeOwned>(&mut self, what: &str) -> Result<B, Problem> {
        let body = self.body()?;
        parse(self.request, &body, what)
    }

    /// The store the settings name, for tokens and idempotency records.
    pub fn store(&self) -> Result<Box<dyn Store>, Problem> {
        let choice = self
            .config
            .store
            .as_ref()
            .map_err(Problem::not_configured)?;
        Ok(self.engine.store(choice))
    }

    /// A session with GBG GO sharing tokens through the store: the one the
    /// instance kept from an earlier request with the same settings, else a
    /// new one; `503` naming the setting when the settings cannot make one.
    pub fn session(&self) -> Result<Lent<'_, E>, Problem> {
        let client = &self
            .config
            .gbg
            .as_ref()
            .map_err(Problem::not_configured)?
            .client;
        let choice = self
            .config
            .store
            .as_ref()
            .map_err(Problem::not_configured)?;
        let session = match self.engine.kept_session(client, choice) {
            Some(session) => session,
            None => Session::open(client.clone(), self.engine.transport(), self.engine.clock())
                .map(|session| session.with_token_store(self.engine.store(choice)))
                .map_err(not_configured)?,
        };
        Ok(Lent {
            engine: self.engine,
            held: Some(Kept {
                client: client.clone(),
                store: choice.clone(),
                session,
            }),
        })
    }
}

/// A session lent to a route, given back to the engine when the route is
/// done with it, for the instance's next request.
pub struct Lent<'a, E: Engine> {
    engine: &'a E,
    /// The session and what it was opened for; taken when dropped.
    held: Option<Kept<E::Transport, E::Clock>>,
}

impl<E: Engine> Deref for Lent<'_, E> {
    type Target = Session<E::Transport, E::Clock>;

    fn deref(&self) -> &Self::Target {
        &self.held.as_ref().expect("held until dropped").session
    }
}

impl<E: Engine> DerefMut for Lent<'_, E> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.held.as_mut().expect("held until dropped").session
    }
}

impl<E: Engine> Drop for Lent<'_, E> {
    fn drop(&mut self) {
        if let Some(kept) = self.held.take() {
            self.engine.keep_session(kept);
        }
    }
}

/// The problem for a client configuration the protocol core refused.
fn not_configured(error: Error) -> Problem {
    match &error {
        Error::InvalidInput(input) => {
            let problem = Problem::new(
                503,
                "not-configured",
                "The service is not configured",
                format!("the GBG GO settings are invalid: {}", describe(&error)),
            );
            match settings::for_config_field(&input.field) {
                Some(setting) => problem.field(setting.env),
                None => problem,
            }
        }
        _ => Problem::from(error),
    }
}

/// `body` of `request` as JSON `B`; `415` for another media type, `400`
/// naming the field at fault.
pub fn parse<B: DeserializeOwned>(
    request: &IncomingRequest,
    body: &[u8],
    what: &str,
) -> Result<B, Problem> {
    if let Some(content_type) = request.header("content-type") {
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        if !essence.eq_ignore_ascii_case("application/json") {
            return Err(Problem::new(
                415,
                "unsupported-media-type",
                "Unsupported media type",
                format!("the body must be application/json, not {essence}"),
            ));
        }
    }
    let mut json = serde_json::Deserializer::from_slice(body);
    let parsed = serde_path_to_error::deserialize(&mut json).map_err(|e| {
        // serde_path_to_error writes `.` for the root and `?` for a segment it
        // could not name.
        let path = e.path().to_string();
        let named = path != "." && !path.split('.').any(|segment| segment == "?");
        let field = named.then_some(path);
        let at = field.as_deref().map_or(String::new(), |f| format!("{f}: "));
        Problem::malformed(
            field.clone(),
            format!("the body is not {what}: {at}{}", e.inner()),
        )
    })?;
    json.end()
        .map_err(|e| Problem::malformed(None, format!("the body is not {what}: {e}")))?;
    Ok(parsed)
}
