//! API journeys: the `interact` loop and single `interaction` steps.

use std::time::{Duration, Instant};

use gbg_go_host::{
    AcceptedElement, Client, Delivery, Interaction, InteractionStep, JourneyStatus, Participant,
    StartRequest, Submission, WaitOptions,
};

use crate::args::{InteractArgs, SubmitArgs};
use crate::exit::{CommandError, Exit};
use crate::files::read_file;
use crate::output::Output;

/// `interact`: start an API journey and answer each interaction from the
/// answers file until the journey ends; then print its state.
pub async fn interact(
    mut client: Client,
    args: &InteractArgs,
    out: Output,
) -> Result<Exit, CommandError> {
    let answers = read_file(&args.answers, "answers")?;
    let subject = args
        .subject
        .as_deref()
        .map(|path| read_file(path, "subject"))
        .transpose()?;
    let options = args.poll.options()?;
    let began = Instant::now();
    let deadline = began + Duration::from_millis(options.timeout_ms.into());
    let started = client
        .start_journey(&StartRequest {
            resource_id: args.resource_id.clone(),
            delivery: Delivery::Api,
            subject,
        })
        .await?;
    out.note(format!("journey started: instance {}", started.instance_id));
    let id = started.instance_id.clone();
    let submitted = answer_until_ended(&mut client, &id, &answers, deadline, options, out).await?;
    let remaining = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_secs(1));
    let state = client
        .wait_for_completion(
            &id,
            WaitOptions {
                poll_interval_ms: options.poll_interval_ms,
                timeout_ms: u32::try_from(remaining.as_millis()).unwrap_or(u32::MAX),
            },
        )
        .await?;
    out.interactions_outcome(&state, &submitted, began.elapsed());
    Ok(Exit::for_status(&state.status))
}

/// Answers each interaction of instance `id` from the answers document
/// `answers` until none is left (the journey ended); returns what was
/// submitted. The component plans each submission; nothing is submitted
/// twice: GBG's `outstanding` may never shrink, and GBG may show an answered
/// interaction again while it processes its data, so what each interaction
/// accepted is kept here and handed to the planner.
async fn answer_until_ended(
    client: &mut Client,
    id: &str,
    answers: &str,
    deadline: Instant,
    options: WaitOptions,
    out: Output,
) -> Result<Vec<(Interaction, Submission)>, CommandError> {
    let mut accepted: Vec<AcceptedElement> = Vec::new();
    let mut submitted = Vec::new();
    loop {
        let step = client.fetch_interaction(id).await?;
        let planned = client.plan_submission(&step, answers, &accepted).await?;
        match (step, planned) {
            (InteractionStep::Ready(interaction), Some(submission)) => {
                out.interaction(&interaction);
                out.note(format!(
                    "  submitting: {}",
                    elements(&submission.participants)
                ));
                client.submit_interaction(&submission).await?;
                accepted.extend(submission.accepted());
                submitted.push((interaction, submission));
            }
            (InteractionStep::Ready(interaction), None) => {
                poll_again(deadline, options, id, Some(&interaction.interaction_id)).await?
            }
            (InteractionStep::NotReady(JourneyStatus::InProgress), _) => {
                poll_again(deadline, options, id, None).await?
            }
            (InteractionStep::NotReady(_), _) => return Ok(submitted),
        }
    }
}

/// Sleeps one poll interval, or fails once `deadline` has passed: stalled on
/// `answered`, an interaction shown again after all its elements were
/// accepted, else timed out.
async fn poll_again(
    deadline: Instant,
    options: WaitOptions,
    id: &str,
    answered: Option<&str>,
) -> Result<(), CommandError> {
    if Instant::now() >= deadline {
        let waited = f64::from(options.timeout_ms) / 1000.0;
        return Err(match answered {
            Some(interaction_id) => CommandError::stalled(format!(
                "journey {id} still showed interaction {interaction_id} after all its elements were accepted, and did not move on within {waited:.1} s"
            )),
            None => CommandError::timeout(format!(
                "journey {id} had no interaction ready and did not end within {waited:.1} s"
            )),
        });
    }
    tokio::time::sleep(Duration::from_millis(options.poll_interval_ms.into())).await;
    Ok(())
}

/// `interaction fetch`.
pub async fn fetch(
    mut client: Client,
    instance_id: &str,
    out: Output,
) -> Result<Exit, CommandError> {
    let step = client.fetch_interaction(instance_id).await?;
    out.interaction_step(instance_id, &step);
    Ok(Exit::Ok)
}

/// `interaction submit`.
pub async fn submit(
    mut client: Client,
    args: &SubmitArgs,
    out: Output,
) -> Result<Exit, CommandError> {
    let submission = Submission {
        instance_id: args.instance.instance_id.clone(),
        interaction_id: args.interaction_id.clone(),
        participants: args
            .elements
            .iter()
            .map(|element| Participant {
                domain_element_id: element.clone(),
                instruction: None,
            })
            .collect(),
        subject: read_file(&args.subject, "subject")?,
    };
    client.submit_interaction(&submission).await?;
    out.message("submitted", &elements(&submission.participants));
    Ok(Exit::Ok)
}

/// `FullName, DateOfBirth`
pub fn elements(participants: &[Participant]) -> String {
    participants
        .iter()
        .map(|p| p.domain_element_id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
