//! API journeys: the `interact` loop and single `interaction` steps.

use std::time::{Duration, Instant};

use gbg_go_host::{
    Answers, Client, Delivery, Interaction, InteractionStep, JourneyStatus, Participant,
    StartRequest, Submission, WaitOptions,
};

use crate::args::{InteractArgs, SubmitArgs};
use crate::commands::read_file;
use crate::exit::{Exit, Failure};
use crate::output::Output;

/// `interact`: start an API journey and answer each interaction from the
/// answers file until the journey ends; then print its state.
pub async fn interact(
    mut client: Client,
    args: &InteractArgs,
    out: Output,
) -> Result<Exit, Failure> {
    let answers = Answers::from_json(&read_file(&args.answers, "answers")?)
        .map_err(|e| Failure::usage(format!("{}: {e}", args.answers.display())))?;
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
    let mut submitted: Vec<(Interaction, Submission)> = Vec::new();
    loop {
        match client.fetch_interaction(&id).await? {
            InteractionStep::Ready(interaction) => {
                if let Some((previous, _)) = submitted.last()
                    && previous.interaction_id == interaction.interaction_id
                    && previous.outstanding == interaction.outstanding
                {
                    return Err(Failure::stalled(format!(
                        "the journey did not advance after answering {}: still outstanding {:?}",
                        interaction.interaction_id, interaction.outstanding
                    )));
                }
                out.interaction(&interaction);
                let submission = answers
                    .submission_for(&interaction)
                    .map_err(|e| Failure::usage(e.to_string()))?;
                out.note(format!(
                    "  submitting: {}",
                    elements(&submission.participants)
                ));
                client.submit_interaction(&submission).await?;
                submitted.push((interaction, submission));
            }
            InteractionStep::NotReady(JourneyStatus::InProgress) => {
                if Instant::now() >= deadline {
                    return Err(Failure::timeout(format!(
                        "journey {id} had no interaction ready and did not end within {:.1} s",
                        options.timeout_ms as f64 / 1000.0
                    )));
                }
                tokio::time::sleep(Duration::from_millis(options.poll_interval_ms.into())).await;
            }
            InteractionStep::NotReady(_) => break,
        }
    }
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

/// `interaction fetch`.
pub async fn fetch(mut client: Client, instance_id: &str, out: Output) -> Result<Exit, Failure> {
    let step = client.fetch_interaction(instance_id).await?;
    out.interaction_step(instance_id, &step);
    Ok(Exit::Ok)
}

/// `interaction submit`.
pub async fn submit(mut client: Client, args: &SubmitArgs, out: Output) -> Result<Exit, Failure> {
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
