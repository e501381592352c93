//! The running simulator: routes, the accept loop (which can drop a connection without
//! answering) and the public [`Simulator`] handle.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::config::{Credentials, SimulatorConfig};
use crate::errors::{ApiError, OAuthError};
use crate::faults::FaultHandle;
use crate::middleware::DropConnection;
use crate::paths::{self, API_PREFIX, TOKEN_PATHS, api};
use crate::registry::Registry;
use crate::request_log::LoggedRequest;
use crate::state::AppState;
use crate::{
    devices, hosted_page, interactions, journeys, middleware, schema, state_document,
    token_endpoint,
};

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(&api(paths::HEALTH), get(journeys::health))
        .route(&api(paths::START), post(journeys::start))
        .route(&api(paths::STATE_FETCH), post(journeys::fetch_state))
        .route(&api(paths::STATE_DELETE), post(journeys::delete_state))
        .route(&api(paths::INTERACTION_FETCH), post(interactions::fetch))
        .route(&api(paths::INTERACTION_SUBMIT), post(interactions::submit))
        .route(&api(paths::DEVICE_START), post(devices::start))
        .route(&api(paths::DEVICE_CONNECT), post(devices::connect))
        .route(TOKEN_PATHS[0], post(token_endpoint::issue))
        .route(TOKEN_PATHS[1], post(token_endpoint::issue))
        .route(
            paths::HOSTED_PAGE_ROUTE,
            get(hosted_page::show).post(hosted_page::submit),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::disable())
        .layer(from_fn_with_state(state.clone(), middleware::front_door))
        .with_state(state)
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::route_not_found(uri.path())
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    if paths::is_token_path(uri.path()) {
        OAuthError::method_not_allowed().into_response()
    } else {
        ApiError::method_not_allowed(method.as_str(), uri.path()).into_response()
    }
}

/// A running simulator. Dropping it, or [`Simulator::shutdown`], stops it.
pub struct Simulator {
    address: SocketAddr,
    state: Arc<AppState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Validates `config`, binds `listen` (port 0: any free port) and starts serving.
    pub async fn start(config: SimulatorConfig, listen: SocketAddr) -> std::io::Result<Simulator> {
        let invalid =
            |message: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, message);
        config.validate().map_err(|e| invalid(e.to_string()))?;
        schema::ensure_compiled().map_err(invalid)?;
        let registry = Registry::new(&config.journeys, &config.default_journey)
            .ok_or_else(|| invalid("the default journey is not published".to_owned()))?;
        let state = Arc::new(AppState::new(config, registry));
        let listener = TcpListener::bind(listen).await?;
        let address = reachable(listener.local_addr()?);
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(serve(listener, router(state.clone()), stopped));
        tracing::info!(%address, "GBG GO simulator listening");
        Ok(Simulator {
            address,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `http://<address>:<port>`, e.g. `http://127.0.0.1:40123`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The API base URL: the origin + `/v2/captain`.
    pub fn base_url(&self) -> String {
        format!("{}{API_PREFIX}", self.origin())
    }

    /// The token URL: the origin + `/as/token.oauth2`.
    pub fn token_url(&self) -> String {
        format!("{}{}", self.origin(), TOKEN_PATHS[0])
    }

    /// The credentials the token endpoint accepts.
    pub fn credentials(&self) -> &Credentials {
        &self.state.credentials
    }

    /// The default journey's pinned resource id, `<64 hex>@<version>`.
    pub fn resource_id(&self) -> String {
        self.state.registry.default_journey().pinned_resource_id()
    }

    /// The pinned resource id of scenario `name`, if published.
    pub fn journey_resource_id(&self, name: &str) -> Option<String> {
        self.state
            .registry
            .by_name(name)
            .map(|j| j.pinned_resource_id())
    }

    /// The fault knobs, changeable while the simulator runs.
    pub fn faults(&self) -> FaultHandle {
        self.state.faults.clone()
    }

    /// Makes every token issued so far (access, connect and end-user) invalid now.
    pub fn expire_all_tokens(&self) {
        self.state.tokens.expire_all();
    }

    /// Every token issued so far (access, connect and end-user), for tests that
    /// check that no token leaks into logs or output. Expired tokens are
    /// forgotten once more than 10 000 are held.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.tokens.issued()
    }

    /// The current state document of instance `id` (as `journey/state/fetch` would
    /// answer, without counting as a fetch); `None` if unknown, deleted or expired.
    pub fn instance(&self, id: &str) -> Option<serde_json::Value> {
        self.state
            .with_instance(id, |instance| state_document::render(instance))
            .ok()
    }

    /// The requests received so far (the most recent [`LOG_CAPACITY`](crate::LOG_CAPACITY)),
    /// in order.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.state.log.snapshot()
    }

    /// Stops accepting, closes every connection and waits for the server task.
    pub async fn shutdown(mut self) {
        drop(self.stop.take());
        if let Some(task) = self.task.take() {
            // The task ends by itself once told to stop; a join error means it was
            // already aborted, which is fine too.
            let _ = task.await;
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// An address clients can connect to: the unspecified address becomes loopback.
fn reachable(address: SocketAddr) -> SocketAddr {
    match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), address.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), address.port())
        }
        _ => address,
    }
}

async fn serve(listener: TcpListener, router: Router, mut stopped: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, router.clone()));
                }
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

/// Serves one HTTP/1.1 connection. A response marked [`DropConnection`] becomes a
/// service error, on which hyper closes the connection without writing anything.
async fn serve_connection(stream: TcpStream, router: Router) {
    // Best effort: without TCP_NODELAY answers are only slower.
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let router = router.clone();
        async move {
            let response = router
                .oneshot(request)
                .await
                .unwrap_or_else(|never| match never {});
            if response.extensions().get::<DropConnection>().is_some() {
                Err(DropConnection)
            } else {
                Ok(response)
            }
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service);
    if let Err(error) = connection.await {
        tracing::debug!(%error, "connection closed with an error");
    }
}
