//! Journey instances: their progress through a scenario, and the store that keeps them
//! (with the retention TTL).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::config::{Completion, InteractionConfig, JourneyConfig, Outcome, Outstanding};
use crate::errors::ApiError;
use crate::{domain_elements, ids, scenarios};

/// A journey instance's status, spelled as GBG spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// `InProgress`.
    InProgress,
    /// `Completed`.
    Completed,
    /// `Failed`.
    Failed,
    /// `Paused`.
    Paused,
}

impl Status {
    /// The status text.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::InProgress => "InProgress",
            Status::Completed => "Completed",
            Status::Failed => "Failed",
            Status::Paused => "Paused",
        }
    }
}

/// `context.config.delivery`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Delivery {
    /// A hosted journey.
    Page,
    /// An API journey.
    Api,
}

/// Where an instance is in its scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for the hosted page to be submitted.
    AwaitingPage,
    /// Waiting for data for interaction `index`; `outstanding` is what is left.
    AwaitingInteraction {
        index: usize,
        outstanding: Vec<String>,
    },
    /// Modules are running: `remaining` more fetches see no progress, then `next`.
    /// `after` is the interaction whose data they process, if any.
    Processing {
        remaining: u32,
        next: Next,
        after: Option<usize>,
    },
    /// The outcome was reached, at `at`.
    Ended { at: SystemTime },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Next {
    Interaction(usize),
    Finish,
}

/// One journey instance.
#[derive(Debug)]
pub struct Instance {
    /// The instance id.
    pub id: String,
    /// The journey it runs.
    pub journey: Arc<JourneyConfig>,
    /// When it was started.
    pub created_at: SystemTime,
    /// `context.subject`: prefill plus everything submitted.
    pub subject: Value,
    /// The correlation id reported with module errors.
    pub correlation_id: String,
    /// The interactions it waits for, in order: under `delivery: "api"` the journey's
    /// (a hosted journey's page form as one interaction); none under `"page"`.
    interactions: Vec<InteractionConfig>,
    phase: Phase,
    born: Instant,
}

impl Instance {
    /// Starts an instance of `journey`.
    pub fn new(journey: Arc<JourneyConfig>, delivery: Delivery, subject: Value) -> Instance {
        let interactions = match (&journey.completion, delivery) {
            (Completion::Interactions { interactions, .. }, Delivery::Api) => interactions.clone(),
            (Completion::HostedPage { .. }, Delivery::Api) => vec![scenarios::form_interaction()],
            _ => Vec::new(),
        };
        let phase = match journey.completion {
            Completion::Polls { polls } => Phase::Processing {
                remaining: polls,
                next: Next::Finish,
                after: None,
            },
            _ if interactions.is_empty() => Phase::AwaitingPage,
            _ => Phase::Processing {
                remaining: 0,
                next: Next::Interaction(0),
                after: None,
            },
        };
        let mut instance = Instance {
            id: ids::instance_id(),
            journey,
            created_at: SystemTime::now(),
            subject,
            correlation_id: ids::request_id(),
            interactions,
            phase,
            born: Instant::now(),
        };
        instance.settle();
        instance
    }

    /// Its status: `InProgress` until the outcome, then the outcome's status.
    pub fn status(&self) -> Status {
        if self.finished_at().is_none() {
            return Status::InProgress;
        }
        match self.journey.outcome {
            Outcome::Accept | Outcome::Reject | Outcome::Refer => Status::Completed,
            Outcome::Fail => Status::Failed,
            Outcome::Pause => Status::Paused,
        }
    }

    /// When it reached its outcome.
    pub fn finished_at(&self) -> Option<SystemTime> {
        match self.phase {
            Phase::Ended { at } => Some(at),
            _ => None,
        }
    }

    fn processing_fetches(&self) -> u32 {
        match self.journey.completion {
            Completion::HostedPage { polls_after_submit } => polls_after_submit,
            Completion::Interactions {
                processing_fetches, ..
            } => processing_fetches,
            Completion::Polls { .. } => 0,
        }
    }

    /// Applies a finished processing gap.
    fn settle(&mut self) {
        while let Phase::Processing {
            remaining: 0, next, ..
        } = self.phase
        {
            match next {
                Next::Interaction(index) => {
                    let outstanding = self.interactions[index].initial_outstanding();
                    self.phase = Phase::AwaitingInteraction { index, outstanding };
                }
                Next::Finish => {
                    self.phase = Phase::Ended {
                        at: SystemTime::now(),
                    }
                }
            }
        }
    }

    /// Counts one fetch (state or interaction): a running processing gap gets shorter, a
    /// finished one takes effect.
    pub fn observe(&mut self) {
        self.settle();
        if let Phase::Processing { remaining, .. } = &mut self.phase {
            *remaining -= 1;
        }
    }

    /// Whether the hosted page's form is waiting to be submitted.
    pub fn awaits_page(&self) -> bool {
        self.phase == Phase::AwaitingPage
    }

    /// Records the hosted page's subject and moves on to the outcome (after the
    /// scenario's processing fetches). Does nothing unless the page is awaited.
    pub fn submit_page(&mut self, subject: Value) {
        if self.awaits_page() {
            merge(&mut self.subject, subject);
            self.phase = Phase::Processing {
                remaining: self.processing_fetches(),
                next: Next::Finish,
                after: None,
            };
            self.settle();
        }
    }

    /// The interaction waiting for data and what is outstanding, if any.
    pub fn current_interaction(&self) -> Option<(&InteractionConfig, &[String])> {
        match &self.phase {
            Phase::AwaitingInteraction { index, outstanding } => {
                Some((&self.interactions[*index], outstanding))
            }
            _ => None,
        }
    }

    /// The interaction an interaction fetch shows, with its `outstanding` list: the
    /// waiting one; with [`Outstanding::Static`] every required entry of it, and also
    /// the one whose data the modules are processing.
    pub fn shown_interaction(
        &self,
        mode: Outstanding,
    ) -> Option<(&InteractionConfig, Vec<String>)> {
        let (index, left) = match (&self.phase, mode) {
            (Phase::AwaitingInteraction { index, outstanding }, _) => (*index, Some(outstanding)),
            (
                Phase::Processing {
                    after: Some(index), ..
                },
                Outstanding::Static,
            ) => (*index, None),
            _ => return None,
        };
        let interaction = &self.interactions[index];
        let outstanding = match (mode, left) {
            (Outstanding::Shrinking, Some(left)) => left.clone(),
            _ => interaction.initial_outstanding(),
        };
        Some((interaction, outstanding))
    }

    /// Whether modules are running (a processing gap).
    pub fn is_processing(&self) -> bool {
        matches!(self.phase, Phase::Processing { .. })
    }

    /// Applies an interaction submission (a body that passed schema validation), by the
    /// rules in the README: an empty `participants` list is a silent no-op; participants
    /// must be collected by the interaction, with their data present in `subject` (the
    /// submitted `context.subject`, which the handler already demanded with participants);
    /// once nothing is outstanding, the processing gap starts.
    pub fn submit_interaction(
        &mut self,
        interaction_id: &str,
        participants: &[String],
        subject: Value,
    ) -> Result<(), ApiError> {
        self.settle();
        let status = self.status();
        if status != Status::InProgress {
            return Err(ApiError::journey_not_active(&self.id, status.as_str()));
        }
        let Some((interaction, _)) = self.current_interaction() else {
            return Err(ApiError::interaction_not_ready(&self.id));
        };
        let current = interaction.gr_id();
        if interaction_id != current {
            return Err(ApiError::interaction_mismatch(interaction_id, &current));
        }
        if participants.is_empty() {
            return Ok(());
        }
        let mut merged = self.subject.clone();
        merge(&mut merged, subject);
        for participant in participants {
            let element = interaction
                .collects
                .iter()
                .find(|e| domain_elements::covers(&e.element, participant))
                .ok_or_else(|| ApiError::unknown_domain_element(participant, &current))?;
            let checked = if domain_elements::is_known(participant) {
                participant
            } else {
                &element.element
            };
            if !domain_elements::is_present(checked, &merged) {
                return Err(ApiError::missing_field(
                    format!("Required domain element '{participant}' data is missing from context"),
                    "Submit the element's data in context.subject together with its participant",
                ));
            }
        }
        self.subject = merged;
        let gap = self.processing_fetches();
        let count = self.interactions.len();
        if let Phase::AwaitingInteraction { index, outstanding } = &mut self.phase {
            outstanding.retain(|slot| {
                !participants
                    .iter()
                    .any(|p| domain_elements::covers(p, slot))
            });
            if outstanding.is_empty() {
                let next = if *index + 1 < count {
                    Next::Interaction(*index + 1)
                } else {
                    Next::Finish
                };
                self.phase = Phase::Processing {
                    remaining: gap,
                    next,
                    after: Some(*index),
                };
                self.settle();
            }
        }
        Ok(())
    }

    fn is_expired(&self, ttl: Option<Duration>) -> bool {
        ttl.is_some_and(|ttl| self.born.elapsed() >= ttl)
    }
}

/// Deep-merges `patch` into `target`: objects key by key, anything else replaced.
pub fn merge(target: &mut Value, patch: Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => merge_objects(target, patch),
        (target, patch) => *target = patch,
    }
}

fn merge_objects(target: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (key, value) in patch {
        match target.get_mut(&key) {
            Some(existing) => merge(existing, value),
            None => {
                target.insert(key, value);
            }
        }
    }
}

/// The live instances.
#[derive(Debug, Default)]
pub struct InstanceStore {
    instances: Mutex<HashMap<String, Instance>>,
}

impl InstanceStore {
    fn instances(&self) -> MutexGuard<'_, HashMap<String, Instance>> {
        self.instances
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps `instance`.
    pub fn insert(&self, instance: Instance) {
        self.instances().insert(instance.id.clone(), instance);
    }

    /// Runs `action` on instance `id` unless it is unknown or older than `ttl` (expired
    /// instances are forgotten).
    pub fn with<R>(
        &self,
        id: &str,
        ttl: Option<Duration>,
        action: impl FnOnce(&mut Instance) -> R,
    ) -> Option<R> {
        let mut instances = self.instances();
        if instances.get(id)?.is_expired(ttl) {
            instances.remove(id);
            return None;
        }
        instances.get_mut(id).map(action)
    }

    /// Forgets instance `id`; false if it was unknown or expired.
    pub fn remove(&self, id: &str, ttl: Option<Duration>) -> bool {
        self.instances()
            .remove(id)
            .is_some_and(|instance| !instance.is_expired(ttl))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::demo_journeys;
    use serde_json::json;

    fn start(name: &str, delivery: Delivery) -> Instance {
        let journey = demo_journeys()
            .into_iter()
            .find(|j| j.name == name)
            .unwrap();
        Instance::new(Arc::new(journey), delivery, json!({}))
    }

    #[test]
    fn slow_journeys_complete_after_their_polls() {
        let mut instance = start("slow", Delivery::Page);
        instance.submit_page(json!({"identity": {"firstName": "A"}}));
        for _ in 0..crate::scenarios::SLOW_POLLS {
            instance.observe();
            assert_eq!(instance.status(), Status::InProgress);
        }
        instance.observe();
        assert_eq!(instance.status(), Status::Completed);
    }

    #[test]
    fn auto_journeys_need_no_page() {
        let mut instance = start("auto", Delivery::Page);
        assert!(!instance.awaits_page());
        for _ in 0..=crate::scenarios::AUTO_POLLS {
            instance.observe();
        }
        assert_eq!(instance.status(), Status::Completed);
    }

    #[test]
    fn merge_is_deep_for_objects_and_replaces_the_rest() {
        let mut target = json!({"identity": {"firstName": "A", "lastNames": ["B"]}});
        merge(
            &mut target,
            json!({"identity": {"lastNames": ["C"]}, "uid": "x"}),
        );
        assert_eq!(
            target,
            json!({"identity": {"firstName": "A", "lastNames": ["C"]}, "uid": "x"})
        );
    }

    #[test]
    fn the_store_forgets_expired_instances() {
        let store = InstanceStore::default();
        let instance = start("accept", Delivery::Page);
        let id = instance.id.clone();
        store.insert(instance);
        assert!(store.with(&id, None, |_| ()).is_some());
        assert!(store.with(&id, Some(Duration::ZERO), |_| ()).is_none());
        assert!(store.with(&id, None, |_| ()).is_none());
    }
}
