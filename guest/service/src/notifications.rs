//! `POST /webhooks/gbg`: GBG's Webhook-module notifications, turned into
//! signed events for the integrator ([`crate::events`]). The answer carries
//! no state: GBG's sender ignores it, and whoever holds the webhook
//! credentials must not read journeys through it.
//!
//! GBG does not document the notification's payload (only that it carries
//! the journey's completion status), so the instance id is looked for in
//! each plausible place in turn.

use gbg_go_core::http::Clock;
use serde_json::Value;

use crate::answers::{Response, empty};
use crate::call::Call;
use crate::engine::Engine;
use crate::events::{self, Event};
use crate::problem::Problem;

/// Receives a notification (its credentials already checked): fetches the
/// instance's state, sends its event when events are configured, and
/// answers `204` once the receiver has taken it (`502` when it did not, so
/// that the sender retries); `204` without events configured.
pub fn receive<E: Engine>(call: &mut Call<'_, E>) -> Result<Response, Problem> {
    let body = call.body()?;
    let id = instance_id(&body)?;
    let events = call
        .config
        .events
        .as_ref()
        .map_err(Problem::not_configured)?;
    let state = call.session()?.fetch_journey_state(&id, &[])?;
    if let Some(events) = events {
        let now_ms = call.engine.clock().now_unix_ms();
        let event = Event::of(&state, now_ms, events.include_state);
        events::deliver(&call.engine.transport(), events, &event, now_ms)?;
    }
    Ok(empty(204))
}

/// Where a notification may name its journey instance (JSON pointers),
/// tried in this order.
pub const INSTANCE_ID_PLACES: &[&str] = &[
    "/instanceId",
    "/instance_id",
    "/journeyInstanceId",
    "/data/instanceId",
    "/journey/instanceId",
    "/instance/id",
    "/payload/instanceId",
    "/context/instanceId",
];

/// The instance id a notification names; `400` naming the places looked at
/// when it names none.
pub fn instance_id(body: &[u8]) -> Result<String, Problem> {
    let notification: Value = serde_json::from_slice(body)
        .map_err(|e| Problem::malformed(None, format!("the notification is not JSON: {e}")))?;
    if !notification.is_object() {
        return Err(Problem::malformed(
            None,
            "the notification is not a JSON object",
        ));
    }
    INSTANCE_ID_PLACES
        .iter()
        .find_map(|place| {
            let id = notification.pointer(place)?.as_str()?.trim();
            (!id.is_empty()).then(|| id.to_owned())
        })
        .ok_or_else(|| {
            let places: Vec<String> = INSTANCE_ID_PLACES
                .iter()
                .map(|place| place.trim_start_matches('/').replace('/', "."))
                .collect();
            Problem::new(
                400,
                "missing-instance-id",
                "The notification names no journey instance",
                format!(
                    "the notification names no journey instance: looked for a non-empty string \
                     at {}",
                    places.join(", ")
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_found_in_each_plausible_place() {
        for body in [
            r#"{"instanceId":"abc","status":"Completed"}"#,
            r#"{"instance_id":"abc"}"#,
            r#"{"journeyInstanceId":"abc"}"#,
            r#"{"data":{"instanceId":"abc"}}"#,
            r#"{"journey":{"instanceId":"abc"}}"#,
            r#"{"instance":{"id":"abc"}}"#,
            r#"{"payload":{"instanceId":"abc"}}"#,
            r#"{"context":{"instanceId":" abc "}}"#,
            r#"{"instanceId":"","data":{"instanceId":"abc"}}"#,
        ] {
            assert_eq!(instance_id(body.as_bytes()), Ok("abc".into()), "{body}");
        }
    }

    #[test]
    fn a_notification_without_an_id_is_400_naming_the_places() {
        let problem = instance_id(br#"{"status":"Completed","instanceId":7}"#).unwrap_err();
        assert_eq!((problem.status, problem.kind), (400, "missing-instance-id"));
        assert!(
            problem
                .detail
                .contains("instanceId, instance_id, journeyInstanceId, data.instanceId"),
            "{}",
            problem.detail
        );
        for bad in [&b"not json"[..], b"[1]", b""] {
            let problem = instance_id(bad).unwrap_err();
            assert_eq!((problem.status, problem.kind), (400, "malformed-request"));
        }
    }
}
