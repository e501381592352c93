//! Client settings from flags, environment variables and secret files.

use std::path::Path;

use gbg_go_host::contract::settings;
use gbg_go_host::{
    ClientSettings, Endpoint, Grant, InteractionAuth, Region, RetryPolicy, Secret,
    is_documented_origin,
};
use url::Url;

use crate::args::{ConnectionArgs, InteractionAuthArg, Origin, RegionArg};
use crate::exit::CommandError;
use crate::output::Output;

/// An endpoint setting's flag and environment variable.
struct Names {
    flag: &'static str,
    var: &'static str,
}

const REGION: Names = Names {
    flag: "--region",
    var: settings::REGION.env,
};
const BASE_URL: Names = Names {
    flag: "--base-url",
    var: settings::BASE_URL.env,
};
const TOKEN_URL: Names = Names {
    flag: "--token-url",
    var: settings::TOKEN_URL.env,
};

impl Names {
    /// The setting as it was given: its flag or its variable.
    fn given(&self, origin: Origin) -> &'static str {
        match origin {
            Origin::Flag => self.flag,
            Origin::Environment => self.var,
        }
    }

    /// Where a value given as `origin` came from, for a note.
    fn source(&self, origin: Origin) -> String {
        match origin {
            Origin::Flag => format!("the {} flag", self.flag),
            Origin::Environment => format!("{} in the environment", self.var),
        }
    }
}

impl ConnectionArgs {
    /// The settings these flags and the environment describe. Notes about
    /// where the hosts came from go to stderr through `out`.
    pub fn settings(&self, out: Output) -> Result<ClientSettings, CommandError> {
        let (endpoint, token_url) = self.endpoints(out)?;
        let client_id = self.client_id.clone().ok_or_else(|| {
            CommandError::usage(format!(
                "no client id: set --client-id or {}",
                settings::CLIENT_ID
            ))
        })?;
        let client_secret = secret(
            self.client_secret_file.as_deref(),
            settings::CLIENT_SECRET.env,
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
                    settings::PASSWORD.env,
                    "password",
                    "--password-file",
                )?,
                scope: self.scope.clone(),
            },
        };
        let mut settings = ClientSettings::new(endpoint, grant);
        settings.token_url = token_url;
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

    /// The API endpoint and the token URL.
    ///
    /// The region, base URL and token URL are one choice: they come from the
    /// flags when any of them is a flag, and otherwise from the environment,
    /// never half from each. So `--region eu` in a shell that exported a
    /// simulator's `GBG_GO_TOKEN_URL` sends the secret to GBG's token
    /// endpoint, not to the simulator; the ignored variables are named on
    /// stderr. From the same source, a region and a base URL conflict.
    fn endpoints(&self, out: Output) -> Result<(Endpoint, Option<Url>), CommandError> {
        let origins = self.origins;
        let settings = [
            (&REGION, origins.region),
            (&BASE_URL, origins.base_url),
            (&TOKEN_URL, origins.token_url),
        ];
        let from = if settings.iter().any(|(_, o)| *o == Some(Origin::Flag)) {
            Origin::Flag
        } else {
            Origin::Environment
        };
        let ignored: Vec<&str> = settings
            .iter()
            .filter(|(_, o)| *o == Some(Origin::Environment) && from == Origin::Flag)
            .map(|(names, _)| names.var)
            .collect();
        if !ignored.is_empty() {
            out.notice(format!(
                "note: ignoring {} from the environment: the endpoint flags given are used alone",
                ignored.join(" and ")
            ));
        }
        let taken = |origin: Option<Origin>| origin == Some(from);
        let region = self.region.filter(|_| taken(origins.region));
        let base_url = self.base_url.clone().filter(|_| taken(origins.base_url));
        let token_url = self.token_url.clone().filter(|_| taken(origins.token_url));
        let endpoint = match (region, base_url) {
            (Some(_), Some(_)) => {
                let both = format!("{} and {}", REGION.given(from), BASE_URL.given(from));
                return Err(CommandError::usage(match from {
                    Origin::Flag => format!("{both} both choose the API endpoint: give one"),
                    Origin::Environment => {
                        format!("{both} are both set and both choose the API endpoint: unset one")
                    }
                }));
            }
            (Some(region), None) => Endpoint::Region(match region {
                RegionArg::Eu => Region::Eu,
                RegionArg::Us => Region::Us,
                RegionArg::Au => Region::Au,
            }),
            (None, Some(url)) => Endpoint::BaseUrl(url),
            (None, None) if from == Origin::Flag => {
                return Err(CommandError::usage(format!(
                    "--token-url needs --region or --base-url beside it: endpoint flags are not \
                     combined with {} or {} from the environment",
                    REGION.var, BASE_URL.var
                )));
            }
            (None, None) => {
                return Err(CommandError::usage(format!(
                    "no GBG GO endpoint: set --region or --base-url (or {} / {})",
                    REGION.var, BASE_URL.var
                )));
            }
        };
        // A region and the default token URL are GBG's documented hosts.
        if let Endpoint::BaseUrl(url) = &endpoint
            && !is_documented_origin(url)
        {
            out.notice(format!(
                "note: the API host {} is not one of GBG's; it comes from {}",
                url.origin().ascii_serialization(),
                BASE_URL.source(from)
            ));
        }
        if let Some(url) = &token_url
            && !is_documented_origin(url)
        {
            out.notice(format!(
                "note: the token endpoint {} is not GBG's, and receives the credentials; it comes from {}",
                url.origin().ascii_serialization(),
                TOKEN_URL.source(from)
            ));
        }
        Ok((endpoint, token_url))
    }
}

/// A secret from `file` (surrounding whitespace trimmed) or else from the
/// environment variable `var`; `what` names it and `flag` is the file flag.
fn secret(file: Option<&Path>, var: &str, what: &str, flag: &str) -> Result<Secret, CommandError> {
    let value = match file {
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            CommandError::usage(format!(
                "cannot read the {what} from {}: {e}",
                path.display()
            ))
        })?,
        None => std::env::var(var)
            .map_err(|_| CommandError::usage(format!("no {what}: set {var} or {flag}")))?,
    };
    let value = value.trim();
    if value.is_empty() {
        return Err(CommandError::usage(format!("the {what} is empty")));
    }
    Ok(Secret::new(value))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::args::{Cli, EndpointOrigins};

    const SIMULATOR: &str = "http://127.0.0.1:8080/v2/captain";
    const SIMULATOR_TOKEN: &str = "http://127.0.0.1:8080/as/token.oauth2";

    /// Connection settings with the region, base URL and token URL given
    /// from the origins shown (the process's own environment plays no part).
    fn connection(
        region: Option<Origin>,
        base_url: Option<Origin>,
        token_url: Option<Origin>,
    ) -> ConnectionArgs {
        let cli = Cli::try_parse_from(["gbg-go", "auth"]).unwrap();
        let crate::args::Command::Auth(mut connection) = cli.command else {
            unreachable!("auth parses as auth");
        };
        connection.region = region.map(|_| RegionArg::Eu);
        connection.base_url = base_url.map(|_| Url::parse(SIMULATOR).unwrap());
        connection.token_url = token_url.map(|_| Url::parse(SIMULATOR_TOKEN).unwrap());
        connection.origins = EndpointOrigins {
            region,
            base_url,
            token_url,
        };
        connection
    }

    fn endpoints(connection: &ConnectionArgs) -> Result<(String, Option<String>), String> {
        connection
            .endpoints(Output::new(false))
            .map(|(endpoint, token)| {
                (
                    endpoint.base_url().to_string(),
                    token.map(|t| t.to_string()),
                )
            })
            .map_err(|failure| failure.message)
    }

    const FLAG: Option<Origin> = Some(Origin::Flag);
    const ENV: Option<Origin> = Some(Origin::Environment);
    const EU: &str = "https://eu.platform.go.gbgplc.com/v2/captain";

    #[test]
    fn a_flag_takes_the_endpoint_settings_from_the_flags_alone() {
        // The review's incident: a simulator's URLs exported, --region given.
        assert_eq!(
            endpoints(&connection(FLAG, ENV, ENV)),
            Ok((EU.into(), None))
        );
        assert_eq!(
            endpoints(&connection(ENV, FLAG, None)),
            Ok((SIMULATOR.into(), None))
        );
        assert_eq!(
            endpoints(&connection(FLAG, None, FLAG)),
            Ok((EU.into(), Some(SIMULATOR_TOKEN.into())))
        );
        assert_eq!(
            endpoints(&connection(None, None, FLAG)),
            Err(
                "--token-url needs --region or --base-url beside it: endpoint flags are not \
                 combined with GBG_GO_REGION or GBG_GO_BASE_URL from the environment"
                    .into()
            )
        );
    }

    #[test]
    fn the_environment_is_used_whole_when_no_flag_is_given() {
        assert_eq!(
            endpoints(&connection(None, ENV, ENV)),
            Ok((SIMULATOR.into(), Some(SIMULATOR_TOKEN.into())))
        );
        assert_eq!(
            endpoints(&connection(ENV, None, None)),
            Ok((EU.into(), None))
        );
        assert_eq!(
            endpoints(&connection(None, None, None)),
            Err(
                "no GBG GO endpoint: set --region or --base-url (or GBG_GO_REGION / \
                 GBG_GO_BASE_URL)"
                    .into()
            )
        );
    }

    #[test]
    fn a_region_and_a_base_url_from_one_source_conflict() {
        assert_eq!(
            endpoints(&connection(FLAG, FLAG, None)),
            Err("--region and --base-url both choose the API endpoint: give one".into())
        );
        assert_eq!(
            endpoints(&connection(ENV, ENV, ENV)),
            Err(
                "GBG_GO_REGION and GBG_GO_BASE_URL are both set and both choose the API \
                 endpoint: unset one"
                    .into()
            )
        );
    }
}
