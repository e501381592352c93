//! Interaction planning: which answers an API journey's interaction gets.
//!
//! An answers document is a JSON object mapping domain elements (or element
//! slots) to the piece of `context.subject` that carries their data:
//!
//! ```json
//! {
//!   "FullName": { "identity": { "firstName": "Jane", "lastNames": ["Doe"] } },
//!   "DateOfBirth": { "identity": { "dateOfBirth": "1992-10-01" } },
//!   "PrimaryDocument": { "documents": [{ "type": "primary", "side1Image": "<base64>" }] }
//! }
//! ```
//!
//! For an interaction, [`plan_submission`] picks the answers for what is
//! still `outstanding` (an answer for `PrimaryDocument` covers the slot
//! `PrimaryDocument/side1Image`) plus any other element the interaction
//! collects and the document answers, and merges their pieces into one
//! subject. It leaves out what the interaction already accepted: GBG's
//! `outstanding` may come back unchanged after a successful submit (GBG's
//! sample backend saw it on a live tenant), so it alone cannot say what is
//! left to send.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::errors::invalid_input;
use crate::types::{AcceptedElement, Error, Interaction, InteractionStep, Participant, Submission};

/// The field refusals name.
const ANSWERS: &str = "answers";

/// The submission for `step` from the answers document `answers`: every
/// outstanding element (which must be answered) and every other collected
/// element that is answered, less those `accepted` records for this
/// interaction. `None` when no interaction is ready, or when that leaves
/// nothing, as when the service shows an answered interaction again while
/// it processes it.
pub fn plan_submission(
    step: &InteractionStep,
    answers: &str,
    accepted: &[AcceptedElement],
) -> Result<Option<Submission>, Error> {
    let InteractionStep::Ready(interaction) = step else {
        return Ok(None);
    };
    let answers = Answers::parse(answers)?;
    let id = &interaction.interaction_id;
    let mut keys: Vec<&str> = Vec::new();
    for element in &interaction.outstanding {
        let key = answers.key_for(element).ok_or_else(|| {
            invalid_input(
                ANSWERS,
                format!("interaction {id} needs {element}, which the answers do not provide"),
            )
        })?;
        push_unique(&mut keys, key);
    }
    for input in collected(interaction) {
        if let Some(key) = answers.key_for(&input.ref_) {
            push_unique(&mut keys, key);
        }
    }
    keys.retain(|key| {
        !accepted
            .iter()
            .any(|a| a.interaction_id == *id && a.domain_element_id == *key)
    });
    if keys.is_empty() {
        return Ok(None);
    }

    let mut subject = Map::new();
    for key in &keys {
        merge(&mut subject, &answers.pieces[*key]);
    }
    Ok(Some(Submission {
        instance_id: interaction.instance_id.clone(),
        interaction_id: id.clone(),
        participants: keys
            .iter()
            .map(|key| Participant {
                domain_element_id: (*key).to_owned(),
                instruction: None,
            })
            .collect(),
        subject: Value::Object(subject).to_string(),
    }))
}

/// What an interaction accepted when the service took `submission`: the
/// entries to add to the `accepted` list of [`plan_submission`].
pub fn accepted_by(submission: &Submission) -> impl Iterator<Item = AcceptedElement> + '_ {
    submission.participants.iter().map(|p| AcceptedElement {
        interaction_id: submission.interaction_id.clone(),
        domain_element_id: p.domain_element_id.clone(),
    })
}

/// Every element `interaction` collects: each entry and its grouped inputs.
fn collected(interaction: &Interaction) -> impl Iterator<Item = &crate::types::ElementInput> {
    interaction
        .collects
        .iter()
        .flat_map(|requirement| std::iter::once(&requirement.element).chain(&requirement.inputs))
}

/// Subject pieces per domain element.
struct Answers {
    pieces: BTreeMap<String, Map<String, Value>>,
}

impl Answers {
    /// Reads an answers document: a JSON object of objects.
    fn parse(text: &str) -> Result<Self, Error> {
        let malformed = |reason: String| {
            invalid_input(
                ANSWERS,
                format!("the answers are not a JSON object of subject pieces: {reason}"),
            )
        };
        let document: Map<String, Value> =
            serde_json::from_str(text).map_err(|e| malformed(e.to_string()))?;
        let pieces = document
            .into_iter()
            .map(|(element, piece)| match piece {
                Value::Object(piece) => Ok((element, piece)),
                _ => Err(malformed(format!(
                    "the answer for {element} is not an object"
                ))),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { pieces })
    }

    /// The answer key covering `element`: the element itself, else the
    /// element a slot belongs to (`PrimaryDocument` for
    /// `PrimaryDocument/side1Image`).
    fn key_for(&self, element: &str) -> Option<&str> {
        let parent = element.split('/').next().unwrap_or(element);
        [element, parent]
            .into_iter()
            .find_map(|key| self.pieces.get_key_value(key).map(|(k, _)| k.as_str()))
    }
}

fn push_unique<'a>(keys: &mut Vec<&'a str>, key: &'a str) {
    if !keys.contains(&key) {
        keys.push(key);
    }
}

/// Deep-merges `piece` into `into`: objects merge key by key, arrays are
/// concatenated, anything else is replaced.
fn merge(into: &mut Map<String, Value>, piece: &Map<String, Value>) {
    for (key, value) in piece {
        match (into.get_mut(key), value) {
            (Some(Value::Object(existing)), Value::Object(more)) => merge(existing, more),
            (Some(Value::Array(existing)), Value::Array(more)) => {
                existing.extend(more.iter().cloned())
            }
            _ => {
                into.insert(key.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::describe::describe;
    use crate::types::{ElementInput, ElementRequirement, JourneyStatus};

    fn requirement(element: &str, spec: &str) -> ElementRequirement {
        ElementRequirement {
            element: ElementInput {
                ref_: element.into(),
                spec: spec.into(),
                recommended: None,
            },
            combinator: None,
            inputs: Vec::new(),
        }
    }

    fn interaction(outstanding: &[&str], collects: &[(&str, &str)]) -> InteractionStep {
        InteractionStep::Ready(Interaction {
            instance_id: "inst".into(),
            interaction_id: "grn:::gbg:design:interaction:x@latest".into(),
            journey_status: JourneyStatus::InProgress,
            collects: collects.iter().map(|(r, s)| requirement(r, s)).collect(),
            consumes: Vec::new(),
            outstanding: outstanding.iter().map(|s| (*s).to_owned()).collect(),
            document: "{}".into(),
        })
    }

    fn answers() -> String {
        json!({
            "FullName": {"identity": {"firstName": "Jane", "lastNames": ["Doe"]}},
            "DateOfBirth": {"identity": {"dateOfBirth": "1992-10-01"}},
            "PersonalEmail": {"identity": {"emails": [{"type": "personal", "email": "j@example.com"}]}},
            "PrimaryDocument": {"documents": [{"type": "primary", "side1Image": "aGk="}]}
        })
        .to_string()
    }

    fn plan(asked: &InteractionStep, accepted: &[AcceptedElement]) -> Submission {
        plan_submission(asked, &answers(), accepted)
            .unwrap()
            .unwrap()
    }

    fn elements(submission: &Submission) -> Vec<&str> {
        submission
            .participants
            .iter()
            .map(|p| p.domain_element_id.as_str())
            .collect()
    }

    #[test]
    fn accepted_elements_are_not_submitted_again() {
        let asked = interaction(
            &["FullName", "DateOfBirth"],
            &[
                ("FullName", "required"),
                ("DateOfBirth", "required"),
                ("PersonalEmail", "optional"),
            ],
        );
        let mut accepted = Vec::new();
        let mut name = plan(&asked, &accepted);
        name.participants.truncate(1);
        accepted.extend(accepted_by(&name));
        // `outstanding` did not shrink: only the rest is sent.
        let rest = plan(&asked, &accepted);
        assert_eq!(elements(&rest), ["DateOfBirth", "PersonalEmail"]);
        let subject: Value = serde_json::from_str(&rest.subject).unwrap();
        assert!(subject["identity"].get("firstName").is_none(), "{subject}");
        accepted.extend(accepted_by(&rest));
        assert_eq!(plan_submission(&asked, &answers(), &accepted), Ok(None));
        // The same elements asked by another interaction are sent again.
        let InteractionStep::Ready(mut next) = asked else {
            unreachable!()
        };
        next.interaction_id = "grn:::gbg:design:interaction:y@latest".into();
        assert_eq!(
            elements(&plan(&InteractionStep::Ready(next), &accepted)),
            ["FullName", "DateOfBirth", "PersonalEmail"]
        );
    }

    #[test]
    fn submits_outstanding_and_answered_optional_elements_in_one_subject() {
        let asked = interaction(
            &["FullName", "DateOfBirth"],
            &[
                ("FullName", "required"),
                ("DateOfBirth", "required"),
                ("PersonalEmail", "optional"),
                ("SSN", "optional"),
            ],
        );
        let submission = plan(&asked, &[]);
        assert_eq!(
            elements(&submission),
            ["FullName", "DateOfBirth", "PersonalEmail"]
        );
        assert_eq!(submission.instance_id, "inst");
        let subject: Value = serde_json::from_str(&submission.subject).unwrap();
        assert_eq!(
            subject,
            json!({"identity": {
                "firstName": "Jane", "lastNames": ["Doe"], "dateOfBirth": "1992-10-01",
                "emails": [{"type": "personal", "email": "j@example.com"}]
            }})
        );
    }

    #[test]
    fn an_element_answer_covers_its_slots() {
        let asked = interaction(
            &["PrimaryDocument/side1Image"],
            &[("PrimaryDocument", "required")],
        );
        assert_eq!(elements(&plan(&asked, &[])), ["PrimaryDocument"]);
    }

    #[test]
    fn nothing_is_planned_while_no_interaction_is_ready() {
        let step = InteractionStep::NotReady(JourneyStatus::InProgress);
        assert_eq!(plan_submission(&step, "not even json", &[]), Ok(None));
    }

    #[test]
    fn a_missing_outstanding_answer_is_named() {
        let asked = interaction(&["CurrentAddress"], &[("CurrentAddress", "required")]);
        let error = plan_submission(&asked, &answers(), &[]).unwrap_err();
        assert_eq!(
            describe(&error),
            "invalid answers: interaction grn:::gbg:design:interaction:x@latest needs CurrentAddress, which the answers do not provide"
        );
    }

    #[test]
    fn malformed_answers_are_refused() {
        let asked = interaction(&[], &[("FullName", "required")]);
        for malformed in ["[1]", r#"{"FullName": "Jane"}"#, "{"] {
            let error = plan_submission(&asked, malformed, &[]).unwrap_err();
            assert!(
                describe(&error).starts_with(
                    "invalid answers: the answers are not a JSON object of subject pieces"
                ),
                "{malformed}: {error:?}"
            );
        }
    }
}
