//! Answers for API journeys, and the submission they make for an
//! interaction.
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
//! For an interaction, [`Answers::submission_for`] picks the answers for what
//! is still `outstanding` (an answer for `PrimaryDocument` covers the slot
//! `PrimaryDocument/side1Image`) plus any optional element the interaction
//! collects and the document answers, and merges their pieces into one subject.
//! It leaves out what the interaction already [`Accepted`]: GBG's `outstanding`
//! may come back unchanged after a successful submit (GBG's sample backend saw
//! it on a live tenant), so it alone cannot say what is left to send.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};

use crate::{Interaction, Participant, Submission};

/// Subject pieces per domain element.
#[derive(Debug, Clone, Default)]
pub struct Answers {
    pieces: BTreeMap<String, Map<String, Value>>,
}

/// Why answers could not be read or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswersError {
    /// The document is not a JSON object of objects.
    #[error("the answers are not a JSON object of subject pieces: {0}")]
    Malformed(String),
    /// The interaction needs an element the answers do not have.
    #[error("interaction {interaction_id} needs {element}, which the answers do not provide")]
    Missing {
        /// The interaction.
        interaction_id: String,
        /// The element still outstanding.
        element: String,
    },
}

/// The elements each interaction accepted, by interaction id: what a loop
/// must not submit again.
#[derive(Debug, Clone, Default)]
pub struct Accepted {
    elements: HashMap<String, BTreeSet<String>>,
}

impl Accepted {
    /// Records that the service accepted `submission`.
    pub fn record(&mut self, submission: &Submission) {
        self.elements
            .entry(submission.interaction_id.clone())
            .or_default()
            .extend(
                submission
                    .participants
                    .iter()
                    .map(|p| p.domain_element_id.clone()),
            );
    }

    /// Whether interaction `interaction_id` accepted `element`.
    pub fn contains(&self, interaction_id: &str, element: &str) -> bool {
        self.elements
            .get(interaction_id)
            .is_some_and(|elements| elements.contains(element))
    }
}

impl Answers {
    /// Parses an answers document.
    pub fn from_json(text: &str) -> Result<Self, AnswersError> {
        let document: Map<String, Value> =
            serde_json::from_str(text).map_err(|e| AnswersError::Malformed(e.to_string()))?;
        let pieces = document
            .into_iter()
            .map(|(element, piece)| match piece {
                Value::Object(piece) => Ok((element, piece)),
                _ => Err(AnswersError::Malformed(format!(
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

    /// The submission for `interaction`: every outstanding element (which
    /// must be answered) and every other collected element that is answered,
    /// less those the interaction already accepted; `None` when that leaves
    /// nothing, as when the service shows an answered interaction again while
    /// it processes it.
    pub fn submission_for(
        &self,
        interaction: &Interaction,
        accepted: &Accepted,
    ) -> Result<Option<Submission>, AnswersError> {
        let id = &interaction.interaction_id;
        let mut keys: Vec<&str> = Vec::new();
        for element in &interaction.outstanding {
            let key = self.key_for(element).ok_or_else(|| AnswersError::Missing {
                interaction_id: id.clone(),
                element: element.clone(),
            })?;
            push_unique(&mut keys, key);
        }
        let collected = interaction.collects.iter().flat_map(|requirement| {
            std::iter::once(&requirement.element).chain(&requirement.inputs)
        });
        for key in collected.filter_map(|input| self.key_for(&input.ref_)) {
            push_unique(&mut keys, key);
        }
        keys.retain(|key| !accepted.contains(id, key));
        if keys.is_empty() {
            return Ok(None);
        }

        let mut subject = Map::new();
        for key in &keys {
            merge(&mut subject, &self.pieces[*key]);
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
    use super::*;
    use crate::{ElementInput, ElementRequirement, JourneyStatus};
    use serde_json::json;

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

    fn interaction(outstanding: &[&str], collects: &[(&str, &str)]) -> Interaction {
        Interaction {
            instance_id: "inst".into(),
            interaction_id: "grn:::gbg:design:interaction:x@latest".into(),
            journey_status: JourneyStatus::InProgress,
            collects: collects.iter().map(|(r, s)| requirement(r, s)).collect(),
            consumes: Vec::new(),
            outstanding: outstanding.iter().map(|s| (*s).to_owned()).collect(),
            document: "{}".into(),
        }
    }

    fn answers() -> Answers {
        Answers::from_json(
            &json!({
                "FullName": {"identity": {"firstName": "Jane", "lastNames": ["Doe"]}},
                "DateOfBirth": {"identity": {"dateOfBirth": "1992-10-01"}},
                "PersonalEmail": {"identity": {"emails": [{"type": "personal", "email": "j@example.com"}]}},
                "PrimaryDocument": {"documents": [{"type": "primary", "side1Image": "aGk="}]}
            })
            .to_string(),
        )
        .unwrap()
    }

    fn plan(asked: &Interaction, accepted: &Accepted) -> Submission {
        answers().submission_for(asked, accepted).unwrap().unwrap()
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
        let mut accepted = Accepted::default();
        let mut name = plan(&asked, &accepted);
        name.participants.truncate(1);
        accepted.record(&name);
        assert!(accepted.contains(&asked.interaction_id, "FullName"));
        assert!(!accepted.contains("another interaction", "FullName"));
        // `outstanding` did not shrink: only the rest is sent.
        let rest = plan(&asked, &accepted);
        assert_eq!(elements(&rest), ["DateOfBirth", "PersonalEmail"]);
        let subject: Value = serde_json::from_str(&rest.subject).unwrap();
        assert!(subject["identity"].get("firstName").is_none(), "{subject}");
        accepted.record(&rest);
        assert_eq!(answers().submission_for(&asked, &accepted), Ok(None));
        // The same elements asked by another interaction are sent again.
        let mut next = asked.clone();
        next.interaction_id = "grn:::gbg:design:interaction:y@latest".into();
        assert_eq!(
            elements(&plan(&next, &accepted)),
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
        let submission = plan(&asked, &Accepted::default());
        let ids: Vec<_> = submission
            .participants
            .iter()
            .map(|p| p.domain_element_id.as_str())
            .collect();
        assert_eq!(ids, ["FullName", "DateOfBirth", "PersonalEmail"]);
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
        let submission = plan(&asked, &Accepted::default());
        assert_eq!(submission.participants.len(), 1);
        assert_eq!(
            submission.participants[0].domain_element_id,
            "PrimaryDocument"
        );
    }

    #[test]
    fn a_missing_outstanding_answer_is_named() {
        let asked = interaction(&["CurrentAddress"], &[("CurrentAddress", "required")]);
        assert_eq!(
            answers()
                .submission_for(&asked, &Accepted::default())
                .unwrap_err()
                .to_string(),
            "interaction grn:::gbg:design:interaction:x@latest needs CurrentAddress, which the answers do not provide"
        );
    }

    #[test]
    fn malformed_answers_are_refused() {
        assert!(Answers::from_json("[1]").is_err());
        assert!(Answers::from_json(r#"{"FullName": "Jane"}"#).is_err());
    }
}
