//! The state document `journey/state/fetch` answers (and
//! [`Simulator::instance`](crate::Simulator::instance) returns).

use serde_json::{Value, json};

use crate::clock::{iso8601, unix_millis};
use crate::instances::{Instance, Status};
use crate::module_results;

/// The state document of `instance`: the OpenAPI's `instanceId`, `status`,
/// `metaData{createdTime, completedTime}` and `context.subject`, plus the docs'
/// `context.process` and `context.result`.
pub fn render(instance: &Instance) -> Value {
    let started_at = iso8601(instance.created_at);
    let ended_at = instance
        .finished_at()
        .filter(|_| matches!(instance.status(), Status::Completed | Status::Failed));
    let mut journey = json!({
        "name": instance.journey.title,
        "startedAt": started_at,
        "id": instance.journey.resource_id,
        "version": instance.journey.version,
    });
    if let Some(ended_at) = ended_at {
        journey["endedAt"] = json!(iso8601(ended_at));
        journey["durationMilliSec"] =
            json!(unix_millis(ended_at).saturating_sub(unix_millis(instance.created_at)));
    }
    json!({
        "instanceId": instance.id,
        "status": instance.status().as_str(),
        "metaData": {
            "createdTime": started_at,
            "completedTime": ended_at.map(iso8601).unwrap_or_default(),
        },
        "context": {
            "process": {
                "journey": journey,
                "instance": {"id": instance.id, "instanceId": instance.id},
                "steps": module_results::steps(instance),
            },
            "subject": instance.subject,
            "result": module_results::result(instance),
        },
    })
}
