//! Who may call: the caller key on the API routes, and the Webhook module's
//! credentials on the receiver, checked from the request's head alone
//! ([`admit`]), before any of its body is read. Presented values are
//! compared with the expected ones through their SHA-256 digests in
//! constant time, so neither the time taken nor an early exit tells how
//! much of a guess was right, or how long the secret is.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use gbg_go_contract::Secret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::http::IncomingRequest;
use crate::problem::Problem;
use crate::routes::Guard;
use crate::settings::{Config, WebhookAuth};

/// Admits `request` to a route guarded by `guard`: `503` when the
/// credentials it needs are not configured (the service fails closed),
/// `401` when the caller's are missing or wrong.
pub fn admit(guard: Guard, request: &IncomingRequest, config: &Config) -> Result<(), Problem> {
    match guard {
        Guard::Open => Ok(()),
        Guard::ServiceKey => {
            let key = config
                .service_key
                .as_ref()
                .map_err(Problem::not_configured)?;
            caller(request, key).map_err(caller_refused)
        }
        Guard::Webhook => {
            let credentials = config.webhook.as_ref().map_err(Problem::not_configured)?;
            webhook(request, credentials).map_err(|r| webhook_refused(r, credentials))
        }
    }
}

/// Why a caller was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No credentials of the expected kind were presented.
    Missing,
    /// Credentials were presented and did not match.
    Wrong,
}

/// Checks `Authorization: Bearer <key>` against the service key.
pub fn caller(request: &IncomingRequest, key: &Secret) -> Result<(), Refusal> {
    let presented = credentials(request, "authorization", "bearer").ok_or(Refusal::Missing)?;
    matches(presented.as_bytes(), key.expose().as_bytes())
}

/// Checks a notification's credentials against the Webhook module's.
pub fn webhook(request: &IncomingRequest, auth: &WebhookAuth) -> Result<(), Refusal> {
    match auth {
        WebhookAuth::Basic { username, password } => {
            let encoded = credentials(request, "authorization", "basic").ok_or(Refusal::Missing)?;
            let decoded = STANDARD.decode(encoded).map_err(|_| Refusal::Wrong)?;
            let expected = format!("{username}:{}", password.expose());
            matches(&decoded, expected.as_bytes())
        }
        WebhookAuth::Header { header, key } => {
            let value = request.header(header).ok_or(Refusal::Missing)?;
            // GBG base64-encodes the key when it goes in `Authorization: Basic`.
            let basic = credentials(request, header, "basic")
                .and_then(|encoded| STANDARD.decode(encoded).ok());
            matches(value.trim().as_bytes(), key.expose().as_bytes()).or_else(|refusal| match basic
            {
                Some(decoded) => matches(&decoded, key.expose().as_bytes()),
                None => Err(refusal),
            })
        }
    }
}

/// The credentials after `<scheme> ` in header `name` (the scheme matched
/// without regard to case).
fn credentials<'a>(request: &'a IncomingRequest, name: &str, scheme: &str) -> Option<&'a str> {
    let value = request.header(name)?.trim();
    let (given, rest) = value.split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then(|| rest.trim())
}

fn matches(presented: &[u8], expected: &[u8]) -> Result<(), Refusal> {
    let same: bool = Sha256::digest(presented)
        .ct_eq(&Sha256::digest(expected))
        .into();
    if same { Ok(()) } else { Err(Refusal::Wrong) }
}

fn caller_refused(refusal: Refusal) -> Problem {
    let detail = match refusal {
        Refusal::Missing => "this route needs the header Authorization: Bearer <service key>",
        Refusal::Wrong => "the service key presented is wrong",
    };
    Problem::new(
        401,
        "unauthenticated",
        "Missing or wrong service key",
        detail,
    )
    .header("www-authenticate", r#"Bearer realm="gbg-go""#)
}

fn webhook_refused(refusal: Refusal, credentials: &WebhookAuth) -> Problem {
    let detail = match (refusal, credentials) {
        (Refusal::Missing, WebhookAuth::Basic { .. }) => {
            "the notification carries no Basic credentials".to_owned()
        }
        (Refusal::Missing, WebhookAuth::Header { header, .. }) => {
            format!("the notification carries no {header} header")
        }
        (Refusal::Wrong, _) => "the notification's credentials are wrong".to_owned(),
    };
    let problem = Problem::new(
        401,
        "unauthenticated",
        "Missing or wrong webhook credentials",
        detail,
    );
    match credentials {
        WebhookAuth::Basic { .. } => {
            problem.header("www-authenticate", r#"Basic realm="gbg-go webhook""#)
        }
        WebhookAuth::Header { .. } => problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> IncomingRequest {
        IncomingRequest::new("POST", "/", headers)
    }

    #[test]
    fn the_caller_presents_the_key_as_a_bearer_token() {
        let key = Secret::new("k3y");
        assert_eq!(
            caller(&request(&[("Authorization", "Bearer k3y")]), &key),
            Ok(())
        );
        assert_eq!(
            caller(&request(&[("authorization", "bearer  k3y ")]), &key),
            Ok(())
        );
        for (headers, refusal) in [
            (vec![], Refusal::Missing),
            (vec![("Authorization", "Basic k3y")], Refusal::Missing),
            (vec![("Authorization", "k3y")], Refusal::Missing),
            (vec![("Authorization", "Bearer k3")], Refusal::Wrong),
            (vec![("Authorization", "Bearer k3yy")], Refusal::Wrong),
            (vec![("Authorization", "Bearer ")], Refusal::Missing),
        ] {
            assert_eq!(
                caller(&request(&headers), &key),
                Err(refusal),
                "{headers:?}"
            );
        }
    }

    #[test]
    fn the_webhook_presents_basic_credentials() {
        let auth = WebhookAuth::Basic {
            username: "gbg".into(),
            password: Secret::new("pa:ss"),
        };
        let basic = |text: &str| format!("Basic {}", STANDARD.encode(text));
        assert_eq!(
            webhook(&request(&[("Authorization", &basic("gbg:pa:ss"))]), &auth),
            Ok(())
        );
        for (value, refusal) in [
            (basic("gbg:pass"), Refusal::Wrong),
            (basic("other:pa:ss"), Refusal::Wrong),
            ("Basic !!!".to_owned(), Refusal::Wrong),
            ("Bearer pa:ss".to_owned(), Refusal::Missing),
        ] {
            assert_eq!(
                webhook(&request(&[("Authorization", &value)]), &auth),
                Err(refusal)
            );
        }
        assert_eq!(webhook(&request(&[]), &auth), Err(Refusal::Missing));
    }

    #[test]
    fn the_webhook_presents_a_key_in_its_header() {
        let auth = WebhookAuth::Header {
            header: "x-api-key".into(),
            key: Secret::new("key-1"),
        };
        assert_eq!(webhook(&request(&[("X-Api-Key", "key-1")]), &auth), Ok(()));
        assert_eq!(
            webhook(&request(&[("X-Api-Key", "key-2")]), &auth),
            Err(Refusal::Wrong)
        );
        assert_eq!(
            webhook(&request(&[("Authorization", "key-1")]), &auth),
            Err(Refusal::Missing)
        );
        let in_authorization = WebhookAuth::Header {
            header: "authorization".into(),
            key: Secret::new("key-1"),
        };
        let encoded = format!("Basic {}", STANDARD.encode("key-1"));
        assert_eq!(
            webhook(&request(&[("Authorization", &encoded)]), &in_authorization),
            Ok(())
        );
        assert_eq!(
            webhook(&request(&[("Authorization", "key-1")]), &in_authorization),
            Ok(())
        );
        assert_eq!(
            webhook(
                &request(&[("Authorization", "Basic a2V5LTI=")]),
                &in_authorization
            ),
            Err(Refusal::Wrong)
        );
    }
}
