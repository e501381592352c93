//! The interaction routes of API journeys: `GET` and `POST
//! /journeys/{id}/interaction`.

use gbg_go_core::types::{Participant, Submission};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::answers::{Response, json};
use crate::call::Call;
use crate::engine::Engine;
use crate::problem::Problem;
use crate::views;

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

/// `GET /journeys/{id}/interaction`: the interaction the journey waits on,
/// or that none is ready.
pub fn fetch<E: Engine>(call: &mut Call<'_, E>, id: &str) -> Result<Response, Problem> {
    let step = call.session()?.fetch_interaction(id)?;
    Ok(json(200, &views::step(id, &step)))
}

/// `POST /journeys/{id}/interaction`: submits data for an interaction.
pub fn submit<E: Engine>(call: &mut Call<'_, E>, id: &str) -> Result<Response, Problem> {
    let body: SubmitBody = call.json("an interaction submission")?;
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
    call.session()?.submit_interaction(&submission)?;
    Ok(json(200, &views::submitted(&submission.participants)))
}
