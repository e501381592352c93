//! The JSON the `gbg-go` command prints with `--json` and the journey
//! service answers with: one set of field names for both.
//!
//! Each view borrows from the answer it shows. Documents (state,
//! interaction) are JSON text in the contract and become JSON values here.

use serde::{Serialize, Serializer};

/// A started journey: `gbg-go start --json`, `POST /journeys`.
#[derive(Debug, Serialize)]
pub struct Started<'a> {
    /// The new journey instance.
    pub instance_id: &'a str,
    /// The hosted page to send the end user to, when there is one.
    pub instance_url: Option<&'a str>,
    /// The start status, `started` in the documented answer.
    pub status: &'a str,
    /// The service's confirmation, when it sent one.
    pub message: Option<&'a str>,
}

/// A journey's state: `gbg-go state --json`, `GET /journeys/{id}`.
#[derive(Debug, Serialize)]
pub struct State<'a> {
    /// The instance.
    pub instance_id: &'a str,
    /// The status as GBG spells it (`InProgress`, `Completed`, ...).
    pub status: &'a str,
    /// When the instance was created, when given.
    pub created_at: Option<&'a str>,
    /// When the instance ended, when given.
    pub completed_at: Option<&'a str>,
    /// The full state document.
    pub state: Document<'a>,
}

/// What an API journey waits on: `gbg-go interaction fetch --json`,
/// `GET /journeys/{id}/interaction`.
#[derive(Debug, Serialize)]
pub struct Step<'a> {
    /// The instance.
    pub instance_id: &'a str,
    /// Whether an interaction is waiting for the end user's data.
    pub ready: bool,
    /// The journey's status as GBG spells it.
    pub journey_status: &'a str,
    /// The interaction, when one is ready.
    #[serde(flatten)]
    pub interaction: Option<Ready<'a>>,
}

/// An interaction that is ready, inside a [`Step`].
#[derive(Debug, Serialize)]
pub struct Ready<'a> {
    /// The id to submit against.
    pub interaction_id: &'a str,
    /// The domain elements it collects.
    pub collects: Vec<Requirement<'a>>,
    /// The domain elements it shows read-only.
    pub consumes: Vec<Requirement<'a>>,
    /// The domain elements not yet submitted.
    pub outstanding: &'a [String],
    /// The full interaction document.
    pub interaction: Document<'a>,
}

/// One entry of `collects` or `consumes`: an element, or a group of them.
#[derive(Debug, Serialize)]
pub struct Requirement<'a> {
    /// The element, or the group's own entry.
    #[serde(flatten)]
    pub element: Input<'a>,
    /// `oneOf` or `allOf` for a group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub combinator: Option<&'a str>,
    /// The grouped elements, for a group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Vec<Input<'a>>>,
}

impl<'a> Requirement<'a> {
    /// An element (`combinator` absent) or a group of `inputs`.
    pub fn new(element: Input<'a>, combinator: Option<&'a str>, inputs: Vec<Input<'a>>) -> Self {
        Self {
            element,
            combinator,
            inputs: combinator.map(|_| inputs),
        }
    }
}

/// One domain element an interaction asks for or shows.
#[derive(Debug, Serialize)]
pub struct Input<'a> {
    /// The domain element, e.g. `FullName`.
    #[serde(rename = "ref")]
    pub element: &'a str,
    /// `required`, `optional` or `conditional`.
    pub spec: &'a str,
    /// Whether the journey designer recommends collecting it, when said.
    pub recommended: Option<bool>,
}

/// What a submission covered: `gbg-go interaction submit --json`,
/// `POST /journeys/{id}/interaction`.
#[derive(Debug, Serialize)]
pub struct Submitted {
    /// The submitted elements, comma-separated.
    pub submitted: String,
}

impl Submitted {
    /// The view of a submission of `elements`.
    pub fn of<'e>(elements: impl IntoIterator<Item = &'e str>) -> Self {
        Self {
            submitted: elements.into_iter().collect::<Vec<_>>().join(", "),
        }
    }
}

/// The payload of a completion event the journey service signs and sends
/// to `GBG_GO_EVENTS_URL` (a Standard Webhooks message).
#[derive(Debug, Serialize)]
pub struct Event<'a> {
    /// What happened: [`crate::spellings::event_type`] of the status.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// When the service made the event (RFC 3339, UTC).
    pub timestamp: &'a str,
    /// The journey it is about.
    pub data: EventData<'a>,
}

/// The `data` of an [`Event`]: no personal data unless the whole state
/// document was asked for.
#[derive(Debug, Serialize)]
pub struct EventData<'a> {
    /// The instance.
    pub instance_id: &'a str,
    /// The status as GBG spells it.
    pub status: &'a str,
    /// When the instance was created, when given.
    pub created_at: Option<&'a str>,
    /// When the instance ended, when given.
    pub completed_at: Option<&'a str>,
    /// GBG's decision (the state's `context.result`), when it has one.
    pub decision: Option<serde_json::Value>,
    /// The whole state document, only when the service is configured to
    /// send it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Document<'a>>,
}

/// A JSON document given as text: shown as the JSON it holds, or as a
/// string should it not parse.
#[derive(Debug, Clone, Copy)]
pub struct Document<'a>(pub &'a str);

impl Document<'_> {
    /// The document as a JSON value.
    pub fn value(self) -> serde_json::Value {
        serde_json::from_str(self.0).unwrap_or_else(|_| self.0.into())
    }
}

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(serializer)
    }
}

/// `view` as a JSON value (its fields in name order, as every answer
/// prints them).
pub fn to_value(view: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(view).expect("views serialize to JSON")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn steps_ready_and_not() {
        let input = |element, recommended| Input {
            element,
            spec: "required",
            recommended,
        };
        let outstanding = vec!["FullName".to_owned()];
        let ready = Step {
            instance_id: "i1",
            ready: true,
            journey_status: "InProgress",
            interaction: Some(Ready {
                interaction_id: "x1",
                collects: vec![Requirement::new(
                    input("Name", None),
                    Some("oneOf"),
                    vec![input("FullName", Some(true))],
                )],
                consumes: vec![Requirement::new(input("Email", None), None, Vec::new())],
                outstanding: &outstanding,
                interaction: Document("not json"),
            }),
        };
        let value = to_value(&ready);
        assert_eq!(value["ready"], true);
        assert_eq!(value["interaction_id"], "x1");
        assert_eq!(
            value["collects"][0],
            json!({"ref": "Name", "spec": "required", "recommended": null, "combinator": "oneOf",
                   "inputs": [{"ref": "FullName", "spec": "required", "recommended": true}]})
        );
        assert_eq!(
            value["consumes"][0],
            json!({"ref": "Email", "spec": "required", "recommended": null})
        );
        assert_eq!(value["interaction"], "not json");
        let not_ready = Step {
            instance_id: "i1",
            ready: false,
            journey_status: "Completed",
            interaction: None,
        };
        assert_eq!(
            to_value(&not_ready),
            json!({"instance_id": "i1", "ready": false, "journey_status": "Completed"})
        );
        assert_eq!(
            to_value(&Submitted::of(["FullName", "DateOfBirth"])),
            json!({"submitted": "FullName, DateOfBirth"})
        );
    }
}
