//! Where the simulator serves what: the journey API below [`API_PREFIX`], the token
//! endpoint's two paths and the hosted journey pages.

/// The path prefix of the journey API (`<origin>/v2/captain/journey/...`).
pub const API_PREFIX: &str = "/v2/captain";

/// `journey/health`, below [`API_PREFIX`].
pub const HEALTH: &str = "journey/health";
/// `journey/start`, below [`API_PREFIX`].
pub const START: &str = "journey/start";
/// `journey/state/fetch`, below [`API_PREFIX`].
pub const STATE_FETCH: &str = "journey/state/fetch";
/// `journey/state/delete`, below [`API_PREFIX`].
pub const STATE_DELETE: &str = "journey/state/delete";
/// `journey/interaction/fetch`, below [`API_PREFIX`].
pub const INTERACTION_FETCH: &str = "journey/interaction/fetch";
/// `journey/interaction/submit`, below [`API_PREFIX`].
pub const INTERACTION_SUBMIT: &str = "journey/interaction/submit";
/// `journey/device/start`, below [`API_PREFIX`].
pub const DEVICE_START: &str = "journey/device/start";
/// `journey/device/connect`, below [`API_PREFIX`].
pub const DEVICE_CONNECT: &str = "journey/device/connect";

/// The token endpoint paths: the docs' PingFederate path and the OpenAPI's Keycloak path.
pub const TOKEN_PATHS: [&str; 2] = [
    "/as/token.oauth2",
    "/auth/realms/go/protocol/openid-connect/token",
];

/// The route of the hosted journey pages.
pub const HOSTED_PAGE_ROUTE: &str = "/journey/{instance_id}";

/// The full path of journey API operation `operation` (e.g. [`START`]).
pub fn api(operation: &str) -> String {
    format!("{API_PREFIX}/{operation}")
}

/// The part of `path` below [`API_PREFIX`] (`journey/start`), if it is a journey API path.
pub fn below_api(path: &str) -> Option<&str> {
    path.strip_prefix(API_PREFIX)
        .and_then(|rest| rest.strip_prefix('/'))
}

/// Whether `path` is one of the [`TOKEN_PATHS`].
pub fn is_token_path(path: &str) -> bool {
    TOKEN_PATHS.contains(&path)
}

/// The hosted page of instance `id`: `/journey/<id>`.
pub fn hosted_page(id: &str) -> String {
    format!("/journey/{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths_round_trip() {
        assert_eq!(api(START), "/v2/captain/journey/start");
        assert_eq!(below_api(&api(START)), Some(START));
        assert_eq!(below_api("/v2/captainjourney/start"), None);
        assert_eq!(below_api("/journey/start"), None);
    }
}
