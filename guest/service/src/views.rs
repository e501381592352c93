//! The JSON the API answers with, in the vocabulary of the `gbg-go`
//! command's `--json` output, so that one set of field names serves both.

use gbg_go_core::describe::status_text;
use gbg_go_core::types::{
    ElementInput, ElementRequirement, InteractionStep, JourneyState, Participant, StartedJourney,
};
use serde_json::{Value, json};

/// `POST /journeys` (`gbg-go start --json`).
pub fn started(started: &StartedJourney) -> Value {
    json!({
        "instance_id": started.instance_id,
        "instance_url": started.instance_url,
        "status": started.status,
        "message": started.message,
    })
}

/// `GET /journeys/{id}` and the webhook receiver (`gbg-go state --json`).
pub fn state(state: &JourneyState) -> Value {
    json!({
        "instance_id": state.instance_id,
        "status": state.status_text,
        "created_at": state.created_at,
        "completed_at": state.completed_at,
        "state": document(&state.document),
    })
}

/// `GET /journeys/{id}/interaction` (`gbg-go interaction fetch --json`).
pub fn step(instance_id: &str, step: &InteractionStep) -> Value {
    match step {
        InteractionStep::Ready(interaction) => json!({
            "instance_id": interaction.instance_id,
            "ready": true,
            "journey_status": status_text(&interaction.journey_status),
            "interaction_id": interaction.interaction_id,
            "collects": interaction.collects.iter().map(requirement).collect::<Vec<_>>(),
            "consumes": interaction.consumes.iter().map(requirement).collect::<Vec<_>>(),
            "outstanding": interaction.outstanding,
            "interaction": document(&interaction.document),
        }),
        InteractionStep::NotReady(status) => json!({
            "instance_id": instance_id,
            "ready": false,
            "journey_status": status_text(status),
        }),
    }
}

/// `POST /journeys/{id}/interaction` (`gbg-go interaction submit --json`).
pub fn submitted(participants: &[Participant]) -> Value {
    let elements: Vec<&str> = participants
        .iter()
        .map(|p| p.domain_element_id.as_str())
        .collect();
    json!({ "submitted": elements.join(", ") })
}

fn requirement(requirement: &ElementRequirement) -> Value {
    let mut out = input(&requirement.element);
    if let Some(combinator) = &requirement.combinator {
        out["combinator"] = json!(combinator);
        out["inputs"] = requirement.inputs.iter().map(input).collect();
    }
    out
}

fn input(input: &ElementInput) -> Value {
    json!({"ref": input.ref_, "spec": input.spec, "recommended": input.recommended})
}

/// A JSON document given as text (kept as a string should it not parse).
fn document(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use gbg_go_core::types::{Interaction, JourneyStatus};

    use super::*;

    #[test]
    fn state_keeps_the_document_as_json() {
        let value = state(&JourneyState {
            instance_id: "i1".into(),
            status: JourneyStatus::Completed,
            status_text: "Completed".into(),
            created_at: Some("2025-01-01T00:00:00Z".into()),
            completed_at: None,
            document: r#"{"status":"Completed"}"#.into(),
        });
        assert_eq!(
            value,
            json!({
                "instance_id": "i1",
                "status": "Completed",
                "created_at": "2025-01-01T00:00:00Z",
                "completed_at": null,
                "state": {"status": "Completed"},
            })
        );
    }

    #[test]
    fn steps_ready_and_not() {
        let ready = InteractionStep::Ready(Interaction {
            instance_id: "i1".into(),
            interaction_id: "x1".into(),
            journey_status: JourneyStatus::InProgress,
            collects: vec![ElementRequirement {
                element: ElementInput {
                    ref_: "Name".into(),
                    spec: "required".into(),
                    recommended: None,
                },
                combinator: Some("oneOf".into()),
                inputs: vec![ElementInput {
                    ref_: "FullName".into(),
                    spec: "required".into(),
                    recommended: Some(true),
                }],
            }],
            consumes: Vec::new(),
            outstanding: vec!["FullName".into()],
            document: "not json".into(),
        });
        let value = step("i1", &ready);
        assert_eq!(value["ready"], true);
        assert_eq!(value["journey_status"], "InProgress");
        assert_eq!(value["collects"][0]["combinator"], "oneOf");
        assert_eq!(value["collects"][0]["inputs"][0]["recommended"], true);
        assert_eq!(value["interaction"], "not json");
        assert_eq!(
            step("i1", &InteractionStep::NotReady(JourneyStatus::Completed)),
            json!({"instance_id": "i1", "ready": false, "journey_status": "Completed"})
        );
    }
}
