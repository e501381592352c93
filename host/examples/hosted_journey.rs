//! The Rust embedding guide's example (`host/README.md`): verify a person
//! with a hosted GBG GO journey. The end-to-end test
//! `the_rust_guide_example_runs_a_hosted_journey` runs its functions against
//! the simulator; `main` runs them with the `gbg-go` command's variables:
//!
//! ```sh
//! cargo run --release -p gbg-go-host --example hosted_journey
//! ```

use gbg_go_host::{
    ClientSettings, Delivery, Endpoint, Error, Grant, JourneyState, Runtime, Secret, StartRequest,
    WaitOptions,
};
use url::Url;

/// Settings for an API base and token URL with client credentials. The
/// runtime will let the component reach exactly these two authorities.
pub fn settings(
    api_base: Url,
    token_url: Url,
    client_id: &str,
    client_secret: Secret,
) -> ClientSettings {
    let mut settings = ClientSettings::new(
        Endpoint::BaseUrl(api_base),
        Grant::client_credentials(client_id, client_secret),
    );
    settings.token_url = Some(token_url);
    settings
}

/// Starts a hosted journey, hands its page's URL to `send_user_to`, and
/// waits (up to 10 minutes) until the journey is no longer in progress.
pub async fn verify_identity(
    runtime: &Runtime,
    settings: ClientSettings,
    resource_id: &str,
    send_user_to: impl FnOnce(&str),
) -> Result<JourneyState, Error> {
    let mut client = runtime.open(settings).await?;
    let started = client
        .start_journey(&StartRequest {
            resource_id: resource_id.to_owned(),
            delivery: Delivery::Page,
            subject: None,
        })
        .await?;
    if let Some(url) = &started.instance_url {
        send_user_to(url);
    }
    let wait = WaitOptions {
        poll_interval_ms: 1_000,
        timeout_ms: 600_000,
    };
    client.wait_for_completion(&started.instance_id, wait).await
}

/// Verifies a person against the service that `GBG_GO_BASE_URL`,
/// `GBG_GO_TOKEN_URL`, `GBG_GO_CLIENT_ID`, `GBG_GO_CLIENT_SECRET` and
/// `GBG_GO_RESOURCE_ID` name (the variables `gbg-go simulate` prints).
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("set {name}"));
    let settings = settings(
        Url::parse(&var("GBG_GO_BASE_URL")?)?,
        Url::parse(&var("GBG_GO_TOKEN_URL")?)?,
        &var("GBG_GO_CLIENT_ID")?,
        Secret::new(var("GBG_GO_CLIENT_SECRET")?),
    );
    let runtime = Runtime::new(Default::default())?;
    let resource_id = var("GBG_GO_RESOURCE_ID")?;
    let state = verify_identity(&runtime, settings, &resource_id, |url| {
        println!("Send the end user to: {url}");
    })
    .await?;
    println!("journey {} ended: {}", state.instance_id, state.status_text);
    Ok(())
}
