//! The HTTP API's routes.

use crate::problem::Problem;

/// What a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route<'a> {
    /// `GET /health`: liveness, answered without GBG GO or a key.
    Health,
    /// `GET /ready`: whether the service is configured, can get a token and
    /// GBG GO answers its health check.
    Ready,
    /// `POST /journeys`: start a journey.
    StartJourney,
    /// `GET /journeys/{id}`: the journey's state.
    JourneyState(&'a str),
    /// `DELETE /journeys/{id}`: delete the journey's state.
    DeleteJourney(&'a str),
    /// `GET /journeys/{id}/interaction`: the interaction an API journey
    /// waits on.
    FetchInteraction(&'a str),
    /// `POST /journeys/{id}/interaction`: submit data for an interaction.
    SubmitInteraction(&'a str),
    /// `POST /webhooks/gbg`: a notification from GBG's Webhook module.
    Webhook,
}

/// The credentials a route asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guard {
    /// None: liveness.
    Open,
    /// The service key, as `Authorization: Bearer <key>`.
    ServiceKey,
    /// The Webhook module's credentials.
    Webhook,
}

impl Route<'_> {
    /// The credentials the caller must present: the service key on every
    /// route but liveness and the webhook receiver, which has its own.
    pub fn guard(self) -> Guard {
        match self {
            Route::Health => Guard::Open,
            Route::Webhook => Guard::Webhook,
            _ => Guard::ServiceKey,
        }
    }
}

/// The route for `method` and `path`; `404` for an unknown path and `405`
/// (with `Allow`) for a method the path does not take.
pub fn route<'a>(method: &str, path: &'a str) -> Result<Route<'a>, Problem> {
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    let (allowed, route): (&str, Option<Route<'a>>) = match (segments.as_slice(), method) {
        (["health"], "GET") => ("GET", Some(Route::Health)),
        (["health"], _) => ("GET", None),
        (["ready"], "GET") => ("GET", Some(Route::Ready)),
        (["ready"], _) => ("GET", None),
        (["journeys"], "POST") => ("POST", Some(Route::StartJourney)),
        (["journeys"], _) => ("POST", None),
        (["journeys", id], "GET") if !id.is_empty() => {
            ("GET, DELETE", Some(Route::JourneyState(id)))
        }
        (["journeys", id], "DELETE") if !id.is_empty() => {
            ("GET, DELETE", Some(Route::DeleteJourney(id)))
        }
        (["journeys", id], _) if !id.is_empty() => ("GET, DELETE", None),
        (["journeys", id, "interaction"], "GET") if !id.is_empty() => {
            ("GET, POST", Some(Route::FetchInteraction(id)))
        }
        (["journeys", id, "interaction"], "POST") if !id.is_empty() => {
            ("GET, POST", Some(Route::SubmitInteraction(id)))
        }
        (["journeys", id, "interaction"], _) if !id.is_empty() => ("GET, POST", None),
        (["webhooks", "gbg"], "POST") => ("POST", Some(Route::Webhook)),
        (["webhooks", "gbg"], _) => ("POST", None),
        _ => {
            return Err(Problem::new(
                404,
                "no-route",
                "No such route",
                format!(
                    "the service has no route {path}: it answers /health, /ready, /journeys, \
                     /journeys/{{id}}, /journeys/{{id}}/interaction and /webhooks/gbg"
                ),
            ));
        }
    };
    route.ok_or_else(|| {
        Problem::new(
            405,
            "method-not-allowed",
            "Method not allowed",
            format!("{path} does not take {method}; it takes {allowed}"),
        )
        .header("allow", allowed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route() {
        for (method, path, expected) in [
            ("GET", "/health", Route::Health),
            ("GET", "/ready", Route::Ready),
            ("POST", "/journeys", Route::StartJourney),
            ("GET", "/journeys/abc", Route::JourneyState("abc")),
            ("DELETE", "/journeys/abc", Route::DeleteJourney("abc")),
            (
                "GET",
                "/journeys/abc/interaction",
                Route::FetchInteraction("abc"),
            ),
            (
                "POST",
                "/journeys/abc/interaction",
                Route::SubmitInteraction("abc"),
            ),
            ("POST", "/webhooks/gbg", Route::Webhook),
        ] {
            assert_eq!(route(method, path), Ok(expected), "{method} {path}");
        }
    }

    #[test]
    fn unknown_paths_are_404_and_other_methods_405() {
        for path in [
            "/",
            "/journeys/",
            "/journeys//interaction",
            "/health/x",
            "/webhooks",
        ] {
            assert_eq!(route("GET", path).unwrap_err().status, 404, "{path}");
        }
        let problem = route("PUT", "/journeys/abc").unwrap_err();
        assert_eq!(problem.status, 405);
        assert_eq!(problem.headers, [("allow", "GET, DELETE".to_owned())]);
        assert_eq!(route("GET", "/webhooks/gbg").unwrap_err().status, 405);
        assert_eq!(route("POST", "/health").unwrap_err().status, 405);
    }

    #[test]
    fn only_liveness_and_the_webhook_go_without_the_key() {
        assert_eq!(Route::Health.guard(), Guard::Open);
        assert_eq!(Route::Webhook.guard(), Guard::Webhook);
        assert_eq!(Route::Ready.guard(), Guard::ServiceKey);
        assert_eq!(Route::JourneyState("x").guard(), Guard::ServiceKey);
    }
}
