//! A session with GBG GO: one configuration and its cached tokens, with
//! token renewal, retries, one re-authentication on 401, and the journey
//! and interaction calls.

use std::time::Duration;

use url::Url;

use crate::config::{Operation, Settings};
use crate::errors::{Answerer, classify, invalid_input, retry_after_ms};
use crate::http::{Clock, Limits, Method, Request, Response, Transport};
use crate::interaction::{self, EndUserTokens, Fetched};
use crate::journey;
use crate::redact::{redact, scrub};
use crate::retry::{Decision, FailedAttempt, Idempotency, decide, is_retryable};
use crate::token::{self, Lease};
use crate::token_store::{SharedTokens, StoredToken, TokenStore};
use crate::types::{
    ClientConfig, Error, InteractionAuth, InteractionStep, JourneyState, JourneyStatus,
    StartRequest, StartedJourney, Submission, TokenInfo, WaitOptions, WaitTimeout,
};
use gbg_go_contract::Secret;

/// The shortest accepted `poll-interval-ms` of `wait-for-completion`.
pub const MIN_POLL_INTERVAL_MS: u32 = 10;

/// Which bearer token a request presents.
#[derive(Clone, Copy, Debug)]
enum Auth<'a> {
    /// None (`journey/health`).
    None,
    /// The customer access token.
    Customer,
    /// The end-user token of this instance.
    EndUser(&'a str),
}

/// A session with GBG GO over a transport and a clock: the protocol side of
/// the WIT `client` resource (and of each request the journey service
/// serves).
pub struct Session<T: Transport, C: Clock> {
    settings: Settings,
    transport: T,
    clock: C,
    customer: Option<Lease>,
    /// Where customer tokens are shared with other instances, if anywhere.
    shared: Option<SharedTokens>,
    end_users: EndUserTokens,
    /// The `deviceId` of the device flow, drawn when it first runs.
    device_id: Option<String>,
}

impl<T: Transport, C: Clock> Session<T, C> {
    /// Validates `config`; sends nothing.
    pub fn open(config: ClientConfig, transport: T, clock: C) -> Result<Self, Error> {
        let settings = Settings::from_config(config)?;
        Ok(Self {
            settings,
            transport,
            clock,
            customer: None,
            shared: None,
            end_users: EndUserTokens::default(),
            device_id: None,
        })
    }

    /// Shares customer tokens through `store`: a fresh token found there is
    /// used instead of fetching one, and every token fetched is saved there.
    pub fn with_token_store(mut self, store: Box<dyn TokenStore>) -> Self {
        self.shared = Some(SharedTokens::new(store, &self.settings));
        self
    }

    /// Makes sure a fresh customer token is at hand, fetching one only when
    /// neither this client nor its token store has one.
    pub fn prepare(&mut self) -> Result<(), Error> {
        self.guarded(|c| c.bearer(Auth::Customer, false, None).map(drop))
    }

    /// Fetches a new customer access token, replacing the cached one.
    pub fn authenticate(&mut self) -> Result<TokenInfo, Error> {
        self.guarded(|c| c.new_customer_token(None).map(|(_, info)| info))
    }

    /// `journey/start`.
    pub fn start_journey(&mut self, request: &StartRequest) -> Result<StartedJourney, Error> {
        self.guarded(|c| {
            let body = journey::start_body(request)?;
            let response = c.call(
                Method::Post,
                Operation::Start,
                body,
                Auth::Customer,
                Idempotency::NonIdempotent,
                None,
            )?;
            journey::parse_started(&response, &c.settings.hosted_base)
        })
    }

    /// `journey/state/fetch`.
    pub fn fetch_journey_state(
        &mut self,
        instance_id: &str,
        filter_keys: &[String],
    ) -> Result<JourneyState, Error> {
        self.guarded(|c| {
            let body = journey::state_body(instance_id, filter_keys)?;
            c.fetch_state(body, None)
        })
    }

    /// Polls the state until it is not in progress, or until
    /// `options.timeout-ms` has passed.
    pub fn wait_for_completion(
        &mut self,
        instance_id: &str,
        options: WaitOptions,
    ) -> Result<JourneyState, Error> {
        self.guarded(|c| c.wait(instance_id, options))
    }

    /// `journey/state/delete`.
    pub fn delete_instance(&mut self, instance_id: &str) -> Result<(), Error> {
        self.guarded(|c| {
            let body = journey::instance_body(instance_id)?;
            c.call(
                Method::Post,
                Operation::StateDelete,
                body,
                Auth::Customer,
                Idempotency::Idempotent,
                None,
            )?;
            Ok(())
        })
    }

    /// `GET journey/health`, without a token.
    pub fn health(&mut self) -> Result<String, Error> {
        self.guarded(|c| {
            let response = c.call(
                Method::Get,
                Operation::Health,
                Vec::new(),
                Auth::None,
                Idempotency::Idempotent,
                None,
            )?;
            journey::parse_health(&response)
        })
    }

    /// `journey/interaction/fetch`.
    pub fn fetch_interaction(&mut self, instance_id: &str) -> Result<InteractionStep, Error> {
        self.guarded(|c| {
            let body = journey::instance_body(instance_id)?;
            let auth = c.interaction_auth(instance_id);
            let response = c.call(
                Method::Post,
                Operation::InteractionFetch,
                body,
                auth,
                Idempotency::Idempotent,
                None,
            )?;
            match interaction::parse_step(&response, instance_id)? {
                Fetched::Step(step) => Ok(step),
                // No interaction, and the answer names no status: the state does.
                Fetched::NotReadyUnstated => {
                    let state = c.fetch_state(journey::state_body(instance_id, &[])?, None)?;
                    Ok(InteractionStep::NotReady(state.status))
                }
            }
        })
    }

    /// `journey/interaction/submit`; an in-body error answer is an error.
    pub fn submit_interaction(&mut self, submission: &Submission) -> Result<(), Error> {
        self.guarded(|c| {
            let body = interaction::submit_body(submission)?;
            let auth = c.interaction_auth(&submission.instance_id);
            let response = c.call(
                Method::Post,
                Operation::InteractionSubmit,
                body,
                auth,
                Idempotency::NonIdempotent,
                None,
            )?;
            interaction::parse_submit(&response)
        })
    }

    /// Runs `f` and scrubs every known secret from its error, then bounds
    /// the error's texts.
    fn guarded<R>(&mut self, f: impl FnOnce(&mut Self) -> Result<R, Error>) -> Result<R, Error> {
        f(self).map_err(|error| {
            let mut secrets = self.settings.credentials.secrets();
            secrets.extend(self.customer.as_ref().map(|l| l.secret().expose()));
            secrets.extend(self.end_users.secrets());
            scrub(error, &secrets)
        })
    }

    fn interaction_auth<'a>(&self, instance_id: &'a str) -> Auth<'a> {
        match self.settings.interaction_auth {
            InteractionAuth::CustomerToken => Auth::Customer,
            InteractionAuth::EndUserToken => Auth::EndUser(instance_id),
        }
    }

    /// `journey/state/fetch` with a body from [`journey::state_body`].
    fn fetch_state(&mut self, body: Vec<u8>, deadline: Option<u64>) -> Result<JourneyState, Error> {
        let response = self.call(
            Method::Post,
            Operation::StateFetch,
            body,
            Auth::Customer,
            Idempotency::Idempotent,
            deadline,
        )?;
        journey::parse_state(&response)
    }

    fn wait(&mut self, instance_id: &str, options: WaitOptions) -> Result<JourneyState, Error> {
        // Built once, checking the instance id before the options; every poll
        // sends it.
        let body = journey::state_body(instance_id, &[])?;
        if options.poll_interval_ms < MIN_POLL_INTERVAL_MS {
            return Err(invalid_input(
                "poll-interval-ms",
                format!("must be at least {MIN_POLL_INTERVAL_MS}"),
            ));
        }
        if options.timeout_ms == 0 {
            return Err(invalid_input("timeout-ms", "must be at least 1"));
        }
        let started = self.clock.monotonic_ms();
        let deadline = started.saturating_add(u64::from(options.timeout_ms));
        let mut last_status = None;
        loop {
            let mut pause = u64::from(options.poll_interval_ms);
            match self.fetch_state(body.clone(), Some(deadline)) {
                Ok(state) if state.status != JourneyStatus::InProgress => return Ok(state),
                Ok(state) => last_status = Some(state.status),
                Err(Error::RateLimited(limited)) => {
                    pause = pause.max(limited.retry_after_ms.unwrap_or(0));
                }
                Err(error) if is_retryable(&error, Idempotency::Idempotent) => {}
                Err(error) => return Err(error),
            }
            let now = self.clock.monotonic_ms();
            if now < deadline {
                self.clock
                    .sleep(Duration::from_millis(pause.min(deadline - now)));
            }
            let now = self.clock.monotonic_ms();
            if now >= deadline {
                return Err(Error::Timeout(WaitTimeout {
                    instance_id: instance_id.to_owned(),
                    last_status,
                    waited_ms: now.saturating_sub(started),
                }));
            }
        }
    }

    /// Sends a request for `operation`, with the bearer
    /// token `auth` asks for; on a 401, renews that token once and sends once
    /// more.
    fn call(
        &mut self,
        method: Method,
        operation: Operation,
        body: Vec<u8>,
        auth: Auth<'_>,
        idempotency: Idempotency,
        deadline: Option<u64>,
    ) -> Result<Response, Error> {
        let bearer = self.bearer(auth, false, deadline)?;
        let url = self.settings.endpoints.url(operation).clone();
        let request = self.request(method, url, body, bearer.as_ref());
        match self.send(&request, bearer.as_ref(), idempotency, deadline) {
            Err(Error::Unauthorized(_)) if bearer.is_some() => {
                let bearer = self.bearer(auth, true, deadline)?;
                let request = self.request(method, request.url, request.body, bearer.as_ref());
                self.send(&request, bearer.as_ref(), idempotency, deadline)
            }
            other => other,
        }
    }

    /// The token for `auth`: the cached one while fresh, else (or when
    /// `renew`) a new one.
    fn bearer(
        &mut self,
        auth: Auth<'_>,
        renew: bool,
        deadline: Option<u64>,
    ) -> Result<Option<Secret>, Error> {
        let now = self.clock.monotonic_ms();
        let margin = self.settings.refresh_margin_ms;
        match auth {
            Auth::None => Ok(None),
            Auth::Customer => {
                let fresh = |lease: &Lease| !renew && lease.is_fresh(now, margin);
                if !self.customer.as_ref().is_some_and(fresh)
                    && let Some(lease) = self.shared_lease().filter(fresh)
                {
                    self.customer = Some(lease);
                }
                match self.customer.as_ref().filter(|l| fresh(l)) {
                    Some(lease) => Ok(Some(lease.secret().clone())),
                    None => Ok(Some(self.new_customer_token(deadline)?.0)),
                }
            }
            Auth::EndUser(instance_id) => {
                if renew {
                    self.end_users.remove(instance_id);
                }
                match self.end_users.fresh(instance_id, now, margin) {
                    Some(secret) => Ok(Some(secret.clone())),
                    None => Ok(Some(self.new_end_user_token(instance_id, deadline)?)),
                }
            }
        }
    }

    fn new_customer_token(&mut self, deadline: Option<u64>) -> Result<(Secret, TokenInfo), Error> {
        self.customer = None;
        let sent_mono = self.clock.monotonic_ms();
        let sent_wall = self.clock.now_unix_ms();
        let request = token::request(&self.settings);
        let response = self.exchange(
            &request,
            Answerer::TokenEndpoint,
            Idempotency::Idempotent,
            deadline,
        )?;
        let issued = token::parse(&response)?;
        let info = TokenInfo {
            token_type: issued.token_type,
            expires_in_s: issued.expires_in_s,
            expires_at_ms: sent_wall.saturating_add(issued.expires_in_s.saturating_mul(1000)),
        };
        self.customer = Some(Lease::new(
            issued.access_token.clone(),
            issued.expires_in_s,
            sent_mono,
        ));
        if let Some(shared) = &mut self.shared {
            let stored = StoredToken {
                access_token: issued.access_token.expose().to_owned(),
                token_type: info.token_type.clone(),
                expires_in_s: info.expires_in_s,
                expires_at_ms: info.expires_at_ms,
            };
            shared.save(&stored, &self.clock);
        }
        Ok((issued.access_token, info))
    }

    /// The customer token another instance shared, while it has time left.
    fn shared_lease(&mut self) -> Option<Lease> {
        let stored = self.shared.as_mut()?.load()?;
        let remaining = stored
            .expires_at_ms
            .checked_sub(self.clock.now_unix_ms())
            .filter(|&left| left > 0)?;
        Some(Lease::resumed(
            Secret::new(stored.access_token),
            stored.expires_in_s,
            remaining,
            self.clock.monotonic_ms(),
        ))
    }

    /// `journey/device/start` with the customer token, then
    /// `journey/device/connect` with the connect token as bearer.
    fn new_end_user_token(
        &mut self,
        instance_id: &str,
        deadline: Option<u64>,
    ) -> Result<Secret, Error> {
        let body = interaction::device_start_body(instance_id)?;
        let response = self.call(
            Method::Post,
            Operation::DeviceStart,
            body,
            Auth::Customer,
            Idempotency::Idempotent,
            deadline,
        )?;
        let connect_token = interaction::parse_connect_token(&response)?;
        let device_id = self.device_id.get_or_insert_with(|| {
            interaction::device_id(self.clock.random_u64(), self.clock.random_u64())
        });
        let body = interaction::device_connect_body(&connect_token, device_id);
        let url = self
            .settings
            .endpoints
            .url(Operation::DeviceConnect)
            .clone();
        let request = self.request(Method::Post, url, body, Some(&connect_token));
        let sent = self.clock.monotonic_ms();
        let response = self.send(
            &request,
            Some(&connect_token),
            Idempotency::Idempotent,
            deadline,
        )?;
        let (end_user_token, lifetime_s) = interaction::parse_end_user_token(&response)?;
        let lease = Lease::new(end_user_token.clone(), lifetime_s, sent);
        self.end_users
            .insert(instance_id, lease, self.clock.monotonic_ms());
        Ok(end_user_token)
    }

    /// An API request presenting `bearer`, if any.
    fn request(&self, method: Method, url: Url, body: Vec<u8>, bearer: Option<&Secret>) -> Request {
        let mut headers = vec![("Accept".to_owned(), "application/json".to_owned())];
        if method == Method::Post {
            headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
        }
        if let Some(token) = bearer {
            headers.push((
                "Authorization".to_owned(),
                format!("Bearer {}", token.expose()),
            ));
        }
        headers.extend(self.settings.identity_headers());
        Request {
            method,
            url,
            headers,
            body,
        }
    }

    /// Exchanges one API request, scrubbing its bearer token from any error.
    fn send(
        &self,
        request: &Request,
        bearer: Option<&Secret>,
        idempotency: Idempotency,
        deadline: Option<u64>,
    ) -> Result<Response, Error> {
        self.exchange(request, Answerer::Api, idempotency, deadline)
            .map_err(|e| redact(e, &[bearer.map_or("", Secret::expose)]))
    }

    /// Sends `request` to `answerer` until it succeeds (2xx) or the retry
    /// policy gives up; the retry budget never extends past `deadline`.
    fn exchange(
        &self,
        request: &Request,
        answerer: Answerer,
        idempotency: Idempotency,
        deadline: Option<u64>,
    ) -> Result<Response, Error> {
        let policy = self.settings.retry;
        let budget_end = self
            .clock
            .monotonic_ms()
            .saturating_add(u64::from(policy.max_elapsed_ms));
        let end = deadline.map_or(budget_end, |d| d.min(budget_end));
        let mut attempts = 0;
        loop {
            attempts += 1;
            let limits = Limits {
                timeout_ms: self.request_timeout_ms(deadline),
                max_response_bytes: self.settings.max_response_bytes,
            };
            let failure = match self.transport.send(request, &limits) {
                Ok(response) if response.is_success() => return Ok(response),
                Ok(response) => {
                    let now = self.clock.now_unix_ms();
                    FailedAttempt {
                        error: classify(&response, now, answerer),
                        retry_after_ms: retry_after_ms(&response, now),
                    }
                }
                Err(error) => FailedAttempt {
                    error: error.into(),
                    retry_after_ms: None,
                },
            };
            let remaining = end.saturating_sub(self.clock.monotonic_ms());
            let random = self.clock.random_u64();
            match decide(&policy, &failure, idempotency, attempts, remaining, random) {
                Decision::Retry(wait_ms) => self.clock.sleep(Duration::from_millis(wait_ms)),
                Decision::GiveUp => return Err(failure.error),
            }
        }
    }

    /// The configured request timeout, shortened to what is left before
    /// `deadline` (at least 1 ms).
    fn request_timeout_ms(&self, deadline: Option<u64>) -> u32 {
        let configured = self.settings.request_timeout_ms;
        match deadline {
            None => configured,
            Some(deadline) => {
                let left = deadline.saturating_sub(self.clock.monotonic_ms()).max(1);
                u32::try_from(left).map_or(configured, |left| left.min(configured))
            }
        }
    }
}

#[cfg(test)]
mod tests;
