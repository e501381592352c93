//! The interaction routes of API journeys: `GET` and `POST
//! /journeys/{id}/interaction`.

use gbg_go_core::planner::plan_submission;
use gbg_go_core::types::{AcceptedElement, Participant, Submission};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::answers::{Response, json};
use crate::call::Call;
use crate::engine::Engine;
use crate::problem::Problem;
use crate::views;

/// The body of `POST /journeys/{id}/interaction`: a submission the caller
/// made (`interaction_id`, `elements`, `subject`), or the caller's
/// `answers` (with what the interaction already `accepted`), from which
/// the protocol core's planner makes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitBody {
    /// The interaction being answered.
    interaction_id: Option<String>,
    /// The domain elements this submission covers.
    elements: Option<Vec<String>>,
    /// The `context.subject` data for them, passed on unchanged.
    subject: Option<Box<RawValue>>,
    /// An answers document: each domain element's piece of `context.subject`.
    answers: Option<Box<RawValue>>,
    /// What interactions already accepted, with `answers`.
    #[serde(default)]
    accepted: Vec<Accepted>,
}

/// One element an interaction accepted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Accepted {
    interaction_id: String,
    element: String,
}

/// `GET /journeys/{id}/interaction`: the interaction the journey waits on,
/// or that none is ready.
pub fn fetch<E: Engine>(call: &mut Call<'_, E>, id: &str) -> Result<Response, Problem> {
    let step = call.session()?.fetch_interaction(id)?;
    Ok(json(200, &views::step(id, &step)))
}

/// `POST /journeys/{id}/interaction`: submits data for an interaction, as
/// given or as planned from answers; `{"submitted": ""}` when the planner
/// found nothing to send (no interaction ready, or all of it accepted).
pub fn submit<E: Engine>(call: &mut Call<'_, E>, id: &str) -> Result<Response, Problem> {
    let body: SubmitBody = call.json("an interaction submission")?;
    let submission = match body {
        SubmitBody {
            interaction_id: Some(interaction_id),
            elements: Some(elements),
            subject: Some(subject),
            answers: None,
            accepted,
        } if accepted.is_empty() => Some(given(id, interaction_id, elements, &subject)),
        SubmitBody {
            interaction_id: None,
            elements: None,
            subject: None,
            answers: Some(answers),
            accepted,
        } => planned(call, id, &answers, accepted)?,
        _ => {
            return Err(Problem::malformed(
                None,
                "the body is not an interaction submission: give interaction_id, elements and \
                 subject, or answers (and accepted)",
            ));
        }
    };
    let Some(submission) = submission else {
        return Ok(json(200, &views::submitted(&[])));
    };
    call.session()?.submit_interaction(&submission)?;
    Ok(json(200, &views::submitted(&submission.participants)))
}

/// The submission the caller made.
fn given(
    id: &str,
    interaction_id: String,
    elements: Vec<String>,
    subject: &RawValue,
) -> Submission {
    Submission {
        instance_id: id.to_owned(),
        interaction_id,
        participants: elements
            .into_iter()
            .map(|element| Participant {
                domain_element_id: element,
                instruction: None,
            })
            .collect(),
        subject: subject.get().to_owned(),
    }
}

/// The submission the planner makes for the interaction instance `id`
/// waits on, from `answers`, less what was `accepted`.
fn planned<E: Engine>(
    call: &mut Call<'_, E>,
    id: &str,
    answers: &RawValue,
    accepted: Vec<Accepted>,
) -> Result<Option<Submission>, Problem> {
    let step = call.session()?.fetch_interaction(id)?;
    let accepted: Vec<AcceptedElement> = accepted
        .into_iter()
        .map(|a| AcceptedElement {
            interaction_id: a.interaction_id,
            domain_element_id: a.element,
        })
        .collect();
    Ok(plan_submission(&step, answers.get(), &accepted)?)
}
