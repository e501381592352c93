//! The host, not the component, decides where the component may connect.

use gbg_go_host::{ApiError, EgressPolicy, Error, PlainHttp, TransportKind};

use crate::support;

#[tokio::test(flavor = "multi_thread")]
async fn requests_to_authorities_off_the_allow_list_are_denied_before_sending() {
    // The token endpoint is allowed, the API (another simulator) is not.
    let allowed = support::simulator().await;
    let forbidden = support::simulator().await;
    let mut settings = support::settings(&allowed);
    settings.endpoint = gbg_go_host::Endpoint::BaseUrl(support::url(&forbidden.base_url()));
    let policy = EgressPolicy::allowing(&[support::url(&allowed.token_url())]);
    let mut client = support::runtime()
        .open_with_policy(settings, policy)
        .await
        .unwrap();

    let error = client
        .start_journey(&support::hosted(forbidden.resource_id()))
        .await
        .unwrap_err();
    let Error::Api {
        error: ApiError::Transport(transport),
        ..
    } = &error
    else {
        panic!("expected a transport denial, got {error:?}");
    };
    assert_eq!(transport.kind, TransportKind::Denied);
    let authority = forbidden.origin().trim_start_matches("http://").to_owned();
    assert_eq!(transport.authority, authority);
    assert_eq!(
        error.to_string(),
        format!("the host's egress policy denied a request to {authority}")
    );
    assert!(
        forbidden.request_log().is_empty(),
        "no byte reached the forbidden server"
    );
    assert_eq!(
        support::count_requests(&allowed, "/as/token.oauth2"),
        1,
        "the allowed token endpoint was used"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deny_all_policy_stops_even_authentication() {
    let simulator = support::simulator().await;
    let mut client = support::runtime()
        .open_with_policy(support::settings(&simulator), EgressPolicy::deny_all())
        .await
        .unwrap();
    assert_denied(client.authenticate().await.unwrap_err());
    assert!(simulator.request_log().is_empty());
}

/// The allow-list keys on scheme, host and port: allowing `https://H:P` does
/// not allow `http://H:P`, even with plain `http` allowed anywhere.
#[tokio::test(flavor = "multi_thread")]
async fn plain_http_to_an_allowed_https_origin_is_denied() {
    let simulator = support::simulator().await;
    let https_twins: Vec<url::Url> = [simulator.base_url(), simulator.token_url()]
        .iter()
        .map(|url| support::url(&url.replacen("http://", "https://", 1)))
        .collect();
    let policy = EgressPolicy::allowing(&https_twins).plain_http(PlainHttp::Anywhere);
    let mut client = support::runtime()
        .open_with_policy(support::settings(&simulator), policy)
        .await
        .unwrap();
    assert_denied(client.authenticate().await.unwrap_err());
    assert!(
        simulator.request_log().is_empty(),
        "no byte reached the server"
    );
}

/// Asserts that `error` is the host's egress denial.
fn assert_denied(error: Error) {
    assert!(
        matches!(&error, Error::Api { error: ApiError::Transport(t), .. } if t.kind == TransportKind::Denied),
        "{error:?}"
    );
}

/// The resource table is bounded (256 entries), so every request must give
/// its entries back: 1,000 requests on one client, four times the bound.
#[tokio::test(flavor = "multi_thread")]
async fn a_client_makes_many_more_requests_than_its_resource_table_holds() {
    let simulator = support::simulator().await;
    let mut client = support::client(&simulator).await;
    let id = support::start_hosted(&mut client, simulator.resource_id())
        .await
        .instance_id;
    for fetch in 0..1_000 {
        if let Err(error) = client.fetch_journey_state(&id, &[]).await {
            panic!("fetch {fetch} failed: {error}");
        }
    }
}
