//! The JSON the API answers with: the contract's views
//! ([`gbg_go_contract::views`]), which the `gbg-go` command's `--json`
//! output shares.

use gbg_go_contract::views::{self, Document, Input, Ready, Requirement, Step, Submitted};
use gbg_go_core::describe::status_text;
use gbg_go_core::types::{
    ElementInput, ElementRequirement, InteractionStep, JourneyState, Participant, StartedJourney,
};
use serde_json::Value;

/// `POST /journeys` (`gbg-go start --json`).
pub fn started(started: &StartedJourney) -> Value {
    views::to_value(&views::Started {
        instance_id: &started.instance_id,
        instance_url: started.instance_url.as_deref(),
        status: &started.status,
        message: started.message.as_deref(),
    })
}

/// `GET /journeys/{id}` (`gbg-go state --json`).
pub fn state(state: &JourneyState) -> Value {
    views::to_value(&views::State {
        instance_id: &state.instance_id,
        status: &state.status_text,
        created_at: state.created_at.as_deref(),
        completed_at: state.completed_at.as_deref(),
        state: Document(&state.document),
    })
}

/// `GET /journeys/{id}/interaction` (`gbg-go interaction fetch --json`).
pub fn step(instance_id: &str, step: &InteractionStep) -> Value {
    let view = match step {
        InteractionStep::Ready(interaction) => Step {
            instance_id: &interaction.instance_id,
            ready: true,
            journey_status: status_text(&interaction.journey_status),
            interaction: Some(Ready {
                interaction_id: &interaction.interaction_id,
                collects: interaction.collects.iter().map(requirement).collect(),
                consumes: interaction.consumes.iter().map(requirement).collect(),
                outstanding: &interaction.outstanding,
                interaction: Document(&interaction.document),
            }),
        },
        InteractionStep::NotReady(status) => Step {
            instance_id,
            ready: false,
            journey_status: status_text(status),
            interaction: None,
        },
    };
    views::to_value(&view)
}

/// `POST /journeys/{id}/interaction` (`gbg-go interaction submit --json`).
pub fn submitted(participants: &[Participant]) -> Value {
    views::to_value(&Submitted::of(
        participants.iter().map(|p| p.domain_element_id.as_str()),
    ))
}

fn requirement(requirement: &ElementRequirement) -> Requirement<'_> {
    Requirement::new(
        input(&requirement.element),
        requirement.combinator.as_deref(),
        requirement.inputs.iter().map(input).collect(),
    )
}

fn input(input: &ElementInput) -> Input<'_> {
    Input {
        element: &input.ref_,
        spec: &input.spec,
        recommended: input.recommended,
    }
}

#[cfg(test)]
mod tests {
    use gbg_go_core::types::{Interaction, JourneyStatus};
    use serde_json::json;

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
