//! The OAuth token request, the token response, and token lifetimes.

use url::form_urlencoded;

use crate::config::Settings;
use crate::http::{Method, Request, Response};
use crate::json::Body;
use crate::types::Error;
use gbg_go_contract::Secret;

/// The lifetime assumed when a token answer has no `expires_in`.
pub const DEFAULT_LIFETIME_S: u64 = 300;

/// The form-encoded token request for the configured grant.
pub fn request(settings: &Settings) -> Request {
    let grant = settings.credentials.fields();
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", grant.grant_type)
        .append_pair("client_id", grant.client_id)
        .append_pair("client_secret", grant.client_secret.expose());
    if let Some((username, password)) = grant.user {
        form.append_pair("username", username)
            .append_pair("password", password.expose());
    }
    if let Some(scope) = grant.scope {
        form.append_pair("scope", scope);
    }
    Request {
        method: Method::Post,
        url: settings.token_url.clone(),
        headers: vec![
            (
                "Content-Type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            ),
            ("Accept".to_owned(), "application/json".to_owned()),
        ]
        .into_iter()
        .chain(settings.identity_headers())
        .collect(),
        body: form.finish().into_bytes(),
    }
}

/// A token endpoint's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct IssuedToken {
    /// The access token.
    pub access_token: Secret,
    /// `token_type`, `Bearer` when absent.
    pub token_type: String,
    /// `expires_in`, [`DEFAULT_LIFETIME_S`] when absent.
    pub expires_in_s: u64,
}

/// Parses `{access_token, token_type, expires_in}` from a 2xx answer.
pub fn parse(response: &Response) -> Result<IssuedToken, Error> {
    let body = Body::parse(response)?;
    let root = body.root();
    Ok(IssuedToken {
        access_token: Secret::new(body.req_non_empty(root, "access_token", "access_token")?),
        token_type: body
            .opt::<&str>(root, "token_type", "token_type")?
            .unwrap_or("Bearer")
            .to_owned(),
        expires_in_s: body.seconds(root, "expires_in", DEFAULT_LIFETIME_S)?,
    })
}

/// A cached bearer token and when it expires on the monotonic clock.
#[derive(Clone, Debug, PartialEq)]
pub struct Lease {
    secret: Secret,
    lifetime_ms: u64,
    expires_at_ms: u64,
}

impl Lease {
    /// A token obtained at `now_ms` that lives `lifetime_s` seconds.
    pub fn new(secret: Secret, lifetime_s: u64, now_ms: u64) -> Self {
        Self::resumed(secret, lifetime_s, lifetime_s.saturating_mul(1000), now_ms)
    }

    /// A token that lives `lifetime_s` seconds in all and has `remaining_ms`
    /// of them left at `now_ms`, such as one another instance obtained.
    pub fn resumed(secret: Secret, lifetime_s: u64, remaining_ms: u64, now_ms: u64) -> Self {
        Self {
            secret,
            lifetime_ms: lifetime_s.saturating_mul(1000),
            expires_at_ms: now_ms.saturating_add(remaining_ms),
        }
    }

    /// The token.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// Whether the token may still be used at `now_ms`: it is replaced
    /// `margin_ms` before expiry, or halfway through its life if that is
    /// later, so that short-lived tokens are not refetched on every call.
    pub fn is_fresh(&self, now_ms: u64, margin_ms: u64) -> bool {
        let margin = margin_ms.min(self.lifetime_ms / 2);
        now_ms.saturating_add(margin) < self.expires_at_ms
    }

    /// Whether the token has expired at `now_ms`.
    pub fn is_expired(&self, now_ms: u64) -> bool {
        now_ms >= self.expires_at_ms
    }

    /// When the token expires, on the monotonic clock.
    pub fn expires_at_ms(&self) -> u64 {
        self.expires_at_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{config, invalid_reason};
    use crate::types::{ClientCredentialsGrant, Grant, PasswordGrant};

    fn form(request: &Request) -> Vec<(String, String)> {
        form_urlencoded::parse(&request.body).into_owned().collect()
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn client_credentials_form_escapes_special_characters() {
        let mut c = config("http://host");
        c.token_url = Some("https://auth.example/as/token.oauth2".into());
        c.grant = Grant::ClientCredentials(ClientCredentialsGrant {
            client_id: "id&x=1".into(),
            client_secret: "s3c+r/e=t &%".into(),
            scope: None,
        });
        let request = request(&Settings::from_config(c).unwrap());
        assert_eq!(request.method, Method::Post);
        assert_eq!(request.url.as_str(), "https://auth.example/as/token.oauth2");
        assert_eq!(
            request.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(request.header("accept"), Some("application/json"));
        assert_eq!(request.header("authorization"), None);
        let text = String::from_utf8(request.body.clone()).unwrap();
        assert_eq!(
            text,
            "grant_type=client_credentials&client_id=id%26x%3D1\
             &client_secret=s3c%2Br%2Fe%3Dt+%26%25&scope=gbg.token"
        );
        assert_eq!(
            form(&request),
            pairs(&[
                ("grant_type", "client_credentials"),
                ("client_id", "id&x=1"),
                ("client_secret", "s3c+r/e=t &%"),
                ("scope", "gbg.token"),
            ])
        );
    }

    #[test]
    fn password_form_has_every_field_and_optional_scope() {
        let grant = |scope: Option<&str>| {
            Grant::Password(PasswordGrant {
                client_id: "org".into(),
                client_secret: "sec ret 8".into(),
                username: "api+user@example.com".into(),
                password: "p&ss=wörd#1".into(),
                scope: scope.map(str::to_owned),
            })
        };
        let mut c = config("http://host");
        c.grant = grant(None);
        let request = request(&Settings::from_config(c).unwrap());
        let text = String::from_utf8(request.body.clone()).unwrap();
        assert!(text.contains("username=api%2Buser%40example.com"), "{text}");
        assert!(text.contains("password=p%26ss%3Dw%C3%B6rd%231"), "{text}");
        assert_eq!(
            form(&request),
            pairs(&[
                ("grant_type", "password"),
                ("client_id", "org"),
                ("client_secret", "sec ret 8"),
                ("username", "api+user@example.com"),
                ("password", "p&ss=wörd#1"),
            ])
        );
        let mut c = config("http://host");
        c.grant = grant(Some("gbg.token openid"));
        let request = super::request(&Settings::from_config(c).unwrap());
        assert_eq!(
            form(&request).last(),
            Some(&("scope".to_owned(), "gbg.token openid".to_owned()))
        );
    }

    fn answer(body: &str) -> Response {
        crate::testing::response(200, &[], body)
    }

    #[test]
    fn parses_token_answers() {
        let token = parse(&answer(
            r#"{"access_token":"abc","token_type":"Bearer","expires_in":3600}"#,
        ))
        .unwrap();
        assert_eq!(token.access_token.expose(), "abc");
        assert_eq!(token.token_type, "Bearer");
        assert_eq!(token.expires_in_s, 3600);
        let token = parse(&answer(r#"{"access_token":"abc"}"#)).unwrap();
        assert_eq!(token.token_type, "Bearer");
        assert_eq!(token.expires_in_s, DEFAULT_LIFETIME_S);
    }

    #[test]
    fn refuses_bad_token_answers() {
        for (body, reason) in [
            (r#"{"token_type":"Bearer"}"#, "missing field access_token"),
            (r#"{"access_token":""}"#, "field access_token is empty"),
            (
                r#"{"access_token":7}"#,
                "field access_token is not a string",
            ),
            (
                r#"{"access_token":"a","expires_in":"3600"}"#,
                "field expires_in is not a number",
            ),
            ("<html></html>", "body is not JSON"),
            (r#"{"access_token":"a""#, "body is not JSON"),
        ] {
            assert_eq!(invalid_reason(parse(&answer(body))), reason, "{body}");
        }
    }

    #[test]
    fn issued_token_debug_hides_the_token() {
        let token = parse(&answer(r#"{"access_token":"very-secret-token"}"#)).unwrap();
        assert!(!format!("{token:?}").contains("very-secret-token"));
    }

    #[test]
    fn lease_freshness_uses_the_margin() {
        let lease = Lease::new(Secret::new("t"), 3600, 1_000);
        let expires = 1_000 + 3_600_000;
        assert_eq!(lease.expires_at_ms(), expires);
        assert!(lease.is_fresh(expires - 60_001, 60_000));
        assert!(!lease.is_fresh(expires - 60_000, 60_000));
        assert!(!lease.is_expired(expires - 1));
        assert!(lease.is_expired(expires));
    }

    #[test]
    fn a_resumed_lease_keeps_its_lifetime_for_the_margin() {
        // 3600 s in all, 100 s left: inside the 60 s margin only at the end.
        let lease = Lease::resumed(Secret::new("t"), 3600, 100_000, 5_000);
        assert_eq!(lease.expires_at_ms(), 105_000);
        assert!(lease.is_fresh(44_999, 60_000));
        assert!(!lease.is_fresh(45_000, 60_000));
    }

    #[test]
    fn short_lived_tokens_use_half_their_life_as_margin() {
        let lease = Lease::new(Secret::new("t"), 60, 0);
        assert!(lease.is_fresh(29_999, 60_000));
        assert!(!lease.is_fresh(30_000, 60_000));
        let zero = Lease::new(Secret::new("t"), 0, 0);
        assert!(!zero.is_fresh(0, 60_000));
    }
}
