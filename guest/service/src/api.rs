//! The service: one request in, one answer out. Routing, the caller's and
//! the webhook's credentials, request bodies, and the GBG GO call through
//! the protocol core's client.

use gbg_go_core::describe::describe;
use gbg_go_core::http::{Clock, Transport};
use gbg_go_core::session::Session;
use gbg_go_core::types::{ClientConfig, Delivery, Error, Participant, StartRequest, Submission};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use serde_json::value::RawValue;

use crate::auth::{self, Refusal};
use crate::http::{IncomingRequest, Response, empty, json};
use crate::problem::Problem;
use crate::routes::{Route, route};
use crate::settings::{self, Config, TokenStoreChoice, WebhookAuth};
use crate::{views, webhook};

/// The body of `POST /journeys`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StartBody {
    /// The published journey; the configured one when absent.
    resource_id: Option<String>,
    /// `page` (the default) or `api`.
    delivery: Option<DeliveryName>,
    /// Prefill data for `context.subject`, passed on unchanged.
    subject: Option<Box<RawValue>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum DeliveryName {
    Page,
    Api,
}

/// The body of `POST /journeys/{id}/interaction`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitBody {
    /// The interaction being answered.
    interaction_id: String,
    /// The domain elements this submission covers.
    elements: Vec<String>,
    /// The `context.subject` data for them, passed on unchanged.
    subject: Box<RawValue>,
}

/// Answers `request` under `config`. `connect` opens a GBG GO client with
/// the client configuration and the token store the settings name; it is
/// called only for routes that reach GBG GO.
pub fn handle<T: Transport, C: Clock>(
    request: &IncomingRequest,
    config: &Config,
    connect: impl FnOnce(ClientConfig, &TokenStoreChoice) -> Result<Session<T, C>, Error>,
) -> Response {
    route(&request.method, &request.path)
        .and_then(|route| serve(route, request, config, connect))
        .unwrap_or_else(Problem::into_response)
}

fn serve<T: Transport, C: Clock>(
    route: Route<'_>,
    request: &IncomingRequest,
    config: &Config,
    connect: impl FnOnce(ClientConfig, &TokenStoreChoice) -> Result<Session<T, C>, Error>,
) -> Result<Response, Problem> {
    if route.needs_service_key() {
        let key = config
            .service_key
            .as_ref()
            .map_err(Problem::not_configured)?;
        auth::caller(request, key).map_err(caller_refused)?;
    }
    let gbg = |e: Error| Problem::from_error(&e);
    match route {
        Route::Health => Ok(json(200, &json!({"status": "ok"}))),
        Route::Ready => {
            let mut client = open(config, connect)?;
            client.prepare().map_err(gbg)?;
            let message = client.health().map_err(gbg)?;
            Ok(json(200, &json!({"ready": true, "message": message})))
        }
        Route::StartJourney => {
            let body: StartBody = if request.body.iter().all(u8::is_ascii_whitespace) {
                StartBody::default()
            } else {
                parse(request, "a start request")?
            };
            let default = config.gbg.as_ref().ok().and_then(|g| g.resource_id.clone());
            let resource_id = body.resource_id.or(default).ok_or_else(|| {
                Problem::malformed(
                    Some("resource_id".into()),
                    format!(
                        "resource_id is required: the body names no journey and {} is not set",
                        settings::RESOURCE_ID
                    ),
                )
            })?;
            let start = StartRequest {
                resource_id,
                delivery: match body.delivery {
                    None | Some(DeliveryName::Page) => Delivery::Page,
                    Some(DeliveryName::Api) => Delivery::Api,
                },
                subject: body.subject.map(|raw| raw.get().to_owned()),
            };
            let started = open(config, connect)?.start_journey(&start).map_err(gbg)?;
            let mut response = json(201, &views::started(&started));
            response.headers.push((
                "location".into(),
                format!("/journeys/{}", started.instance_id),
            ));
            Ok(response)
        }
        Route::JourneyState(id) => {
            let filter_keys = request.query_values("filter_key");
            let state = open(config, connect)?
                .fetch_journey_state(id, &filter_keys)
                .map_err(gbg)?;
            Ok(json(200, &views::state(&state)))
        }
        Route::DeleteJourney(id) => {
            open(config, connect)?.delete_instance(id).map_err(gbg)?;
            Ok(empty(204))
        }
        Route::FetchInteraction(id) => {
            let step = open(config, connect)?.fetch_interaction(id).map_err(gbg)?;
            Ok(json(200, &views::step(id, &step)))
        }
        Route::SubmitInteraction(id) => {
            let body: SubmitBody = parse(request, "an interaction submission")?;
            let submission = Submission {
                instance_id: id.to_owned(),
                interaction_id: body.interaction_id,
                participants: body
                    .elements
                    .into_iter()
                    .map(|element| Participant {
                        domain_element_id: element,
                        instruction: None,
                    })
                    .collect(),
                subject: body.subject.get().to_owned(),
            };
            open(config, connect)?
                .submit_interaction(&submission)
                .map_err(gbg)?;
            Ok(json(200, &views::submitted(&submission.participants)))
        }
        Route::Webhook => {
            let credentials = config.webhook.as_ref().map_err(Problem::not_configured)?;
            auth::webhook(request, credentials).map_err(|r| webhook_refused(r, credentials))?;
            let id = webhook::instance_id(&request.body)?;
            let state = open(config, connect)?
                .fetch_journey_state(&id, &[])
                .map_err(gbg)?;
            Ok(json(200, &views::state(&state)))
        }
    }
}

/// The client for this request; `503` naming the setting when the
/// configuration cannot make one.
fn open<T: Transport, C: Clock>(
    config: &Config,
    connect: impl FnOnce(ClientConfig, &TokenStoreChoice) -> Result<Session<T, C>, Error>,
) -> Result<Session<T, C>, Problem> {
    let gbg = config.gbg.as_ref().map_err(Problem::not_configured)?;
    let store = config
        .token_store
        .as_ref()
        .map_err(Problem::not_configured)?;
    connect(gbg.client.clone(), store).map_err(|error| match &error {
        Error::InvalidInput(input) => {
            let problem = Problem::new(
                503,
                "not-configured",
                "The service is not configured",
                format!("the GBG GO settings are invalid: {}", describe(&error)),
            );
            match settings::for_config_field(&input.field) {
                Some(setting) => problem.field(setting.env),
                None => problem,
            }
        }
        _ => Problem::from_error(&error),
    })
}

/// The JSON body of `request`; `415` for another media type, `400` naming
/// the field at fault.
fn parse<B: DeserializeOwned>(request: &IncomingRequest, what: &str) -> Result<B, Problem> {
    if let Some(content_type) = request.header("content-type") {
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        if !essence.eq_ignore_ascii_case("application/json") {
            return Err(Problem::new(
                415,
                "unsupported-media-type",
                "Unsupported media type",
                format!("the body must be application/json, not {essence}"),
            ));
        }
    }
    let mut json = serde_json::Deserializer::from_slice(&request.body);
    let body = serde_path_to_error::deserialize(&mut json).map_err(|e| {
        // serde_path_to_error writes `.` for the root and `?` for a segment it
        // could not name.
        let path = e.path().to_string();
        let named = path != "." && !path.split('.').any(|segment| segment == "?");
        let field = named.then_some(path);
        let at = field.as_deref().map_or(String::new(), |f| format!("{f}: "));
        Problem::malformed(
            field.clone(),
            format!("the body is not {what}: {at}{}", e.inner()),
        )
    })?;
    json.end()
        .map_err(|e| Problem::malformed(None, format!("the body is not {what}: {e}")))?;
    Ok(body)
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
mod tests;
