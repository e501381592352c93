//! The module results a finished instance reports: `context.process.steps[]` and
//! `context.result`, in the shapes GBG documents (API notes §6.3, §4.1).

use serde_json::{Value, json};

use crate::clock::iso8601;
use crate::config::Outcome;
use crate::domain_elements;
use crate::instances::{Instance, Status};

/// `context.process.steps[]`: empty until the instance reached its outcome.
pub fn steps(instance: &Instance) -> Vec<Value> {
    let Some(finished_at) = instance.finished_at() else {
        return Vec::new();
    };
    let at = iso8601(finished_at);
    let step = |node: &str, name: &str, result: Value| {
        json!({
            "nodeId": node,
            "name": name,
            "result": result,
            "process": {"step": {"startedAt": at, "endedAt": at, "durationMilliSec": 0}},
        })
    };
    let outcome = instance.journey.outcome;
    let data_verification = step(
        "data-verification",
        "Data Verification",
        data_verification(instance, outcome),
    );
    if outcome == Outcome::Fail {
        return vec![data_verification];
    }
    let mut steps = vec![
        data_verification,
        step(
            "sanctions-screening",
            "PEP & Sanctions Screening",
            screening(outcome),
        ),
    ];
    if domain_elements::is_present("PrimaryDocument", &instance.subject) {
        steps.push(step(
            "document-authentication",
            "Document Authentication",
            json!({"status": "complete", "outcome": "Document Authenticated", "advice": {},
                   "note": "The document passed the simulated authenticity checks"}),
        ));
    }
    if decision(outcome).is_some() {
        // The evaluation node: GBG reports it with its node id only.
        steps.push(json!({"nodeId": "evaluation-decision"}));
    }
    steps
}

/// `context.result`: `pending` until the outcome, then `completed` with the decision
/// and the data-verification advice, or `failed`.
pub fn result(instance: &Instance) -> Value {
    match instance.status() {
        Status::Completed => {
            let decision = decision(instance.journey.outcome).unwrap_or_default();
            json!({
                "status": "completed",
                "outcome": decision,
                "advice": advice(instance.journey.outcome),
            })
        }
        Status::Failed => json!({"status": "failed", "advice": {}}),
        Status::InProgress | Status::Paused => json!({"status": "pending", "advice": {}}),
    }
}

/// The evaluation decision of a completed journey.
fn decision(outcome: Outcome) -> Option<&'static str> {
    match outcome {
        Outcome::Accept => Some("Decision: Accept"),
        Outcome::Reject => Some("Decision: Reject"),
        Outcome::Refer => Some("Decision: Manual review"),
        Outcome::Fail | Outcome::Pause => None,
    }
}

/// The data-verification advice (the "Response advice schema" of the docs).
fn advice(outcome: Outcome) -> Value {
    let (sources, score) = match outcome {
        Outcome::Accept | Outcome::Pause => (2, 400),
        Outcome::Refer => (1, 150),
        Outcome::Reject | Outcome::Fail => (0, 0),
    };
    let partial = if outcome == Outcome::Refer {
        0
    } else {
        sources
    };
    json!({
        "contains": {
            "nameAddress": sources, "nameDob": partial, "nameDobAddress": partial,
            "idNameAddress": 0, "idNameDob": 0, "idNameAddressDob": 0, "idName": 0,
            "sources": sources, "isUnder18": false, "customDecision": null, "gbgScore": score,
        }
    })
}

fn data_verification(instance: &Instance, outcome: Outcome) -> Value {
    match outcome {
        Outcome::Fail => json!({
            "status": "error",
            "outcome": "ERROR",
            "advice": {},
            "note": "The data verification module could not run",
            "error": {
                "errors": [{
                    "error": "MODULE_EXECUTION_FAILED",
                    "location": "Service",
                    "problem": "The data verification provider did not answer",
                    "action": "Retry the journey later; contact GBG support with the correlationId if it persists",
                    "code": "5001",
                }],
                "correlationId": instance.correlation_id,
            },
        }),
        Outcome::Reject => json!({
            "status": "complete", "outcome": "No Match", "advice": advice(outcome),
            "note": "No data source matched the name, address and date of birth",
        }),
        Outcome::Refer => json!({
            "status": "complete", "outcome": "Match", "advice": advice(outcome),
            "note": "One data source matched the name and address only",
        }),
        Outcome::Accept | Outcome::Pause => json!({
            "status": "complete", "outcome": "Match", "advice": advice(outcome),
            "note": "Two data sources matched the name, address and date of birth",
        }),
    }
}

fn screening(outcome: Outcome) -> Value {
    match outcome {
        Outcome::Refer => json!({
            "status": "complete", "outcome": "Possible match", "advice": {"matches": 1},
            "note": "A possible sanctions list match needs a manual review",
        }),
        Outcome::Pause => json!({
            "status": "pending", "outcome": "Awaiting manual review", "advice": {},
            "note": "The journey is paused until an analyst reviews it",
        }),
        _ => json!({
            "status": "complete", "outcome": "No warning signals", "advice": {"matches": 0},
            "note": "No PEP or sanctions list entry matched",
        }),
    }
}
