//! Client settings from flags, environment variables and secret files.

use std::path::Path;

use gbg_go_host::{ClientSettings, Endpoint, Grant, InteractionAuth, Region, RetryPolicy, Secret};

use crate::args::{ConnectionArgs, InteractionAuthArg, RegionArg};
use crate::exit::Failure;

impl ConnectionArgs {
    /// The settings these flags and the environment describe.
    pub fn settings(&self) -> Result<ClientSettings, Failure> {
        let endpoint = match (&self.base_url, self.region) {
            (Some(url), _) => Endpoint::BaseUrl(url.clone()),
            (None, Some(region)) => Endpoint::Region(match region {
                RegionArg::Eu => Region::Eu,
                RegionArg::Us => Region::Us,
                RegionArg::Au => Region::Au,
            }),
            (None, None) => {
                return Err(Failure::usage(
                    "no GBG GO endpoint: set --region or --base-url (or GBG_GO_REGION / GBG_GO_BASE_URL)",
                ));
            }
        };
        let client_id = self
            .client_id
            .clone()
            .ok_or_else(|| Failure::usage("no client id: set --client-id or GBG_GO_CLIENT_ID"))?;
        let client_secret = secret(
            self.client_secret_file.as_deref(),
            "GBG_GO_CLIENT_SECRET",
            "client secret",
            "--client-secret-file",
        )?;
        let grant = match &self.username {
            None => Grant::ClientCredentials {
                client_id,
                client_secret,
                scope: self.scope.clone(),
            },
            Some(username) => Grant::Password {
                client_id,
                client_secret,
                username: username.clone(),
                password: secret(
                    self.password_file.as_deref(),
                    "GBG_GO_PASSWORD",
                    "password",
                    "--password-file",
                )?,
                scope: self.scope.clone(),
            },
        };
        let mut settings = ClientSettings::new(endpoint, grant);
        settings.token_url = self.token_url.clone();
        settings.hosted_base_url = self.hosted_base_url.clone();
        settings.source = self.source.clone();
        settings.retry = self.max_attempts.map(|max_attempts| RetryPolicy {
            max_attempts,
            initial_backoff_ms: 250,
            max_backoff_ms: 5_000,
            max_elapsed_ms: 30_000,
        });
        settings.interaction_auth = self.interaction_auth.map(|auth| match auth {
            InteractionAuthArg::Customer => InteractionAuth::CustomerToken,
            InteractionAuthArg::EndUser => InteractionAuth::EndUserToken,
        });
        Ok(settings)
    }
}

/// A secret from `file` (surrounding whitespace trimmed) or else from the
/// environment variable `var`; `what` names it and `flag` is the file flag.
fn secret(file: Option<&Path>, var: &str, what: &str, flag: &str) -> Result<Secret, Failure> {
    let value = match file {
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            Failure::usage(format!(
                "cannot read the {what} from {}: {e}",
                path.display()
            ))
        })?,
        None => std::env::var(var)
            .map_err(|_| Failure::usage(format!("no {what}: set {var} or {flag}")))?,
    };
    let value = value.trim();
    if value.is_empty() {
        return Err(Failure::usage(format!("the {what} is empty")));
    }
    Ok(Secret::new(value))
}
