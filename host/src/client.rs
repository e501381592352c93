//! A configured client: one store, one component instance, one guest
//! `client` resource (which caches the access token between calls).

use std::time::Duration;

use wasmtime::Store;
use wasmtime::component::ResourceAny;

use crate::bindings::{GbgGo, GbgGoPre};
use crate::state::HostState;
use crate::{
    AcceptedElement, ApiError, ClientSettings, Error, InteractionStep, JourneyState, StartRequest,
    StartedJourney, Submission, TokenInfo, WaitOptions,
};

/// A GBG GO client running inside the component's sandbox.
///
/// Calls take `&mut self`: one call runs at a time per client. Open several
/// clients from one [`Runtime`](crate::Runtime) for concurrency.
pub struct Client {
    store: Store<HostState>,
    guest: GbgGo,
    handle: ResourceAny,
    budget: Duration,
    poisoned: bool,
}

/// Runs `$method` on the guest's `client` resource under the client's time
/// budget, or under `$budget` when given, or `$method` on the interface
/// `$interface` picks of the guest (whose arguments may name the resource
/// `$handle`); a typed error comes back with the guest's sentence for it.
macro_rules! guest_call {
    ($client:ident, $method:ident($($arg:expr),*)) => {{
        let budget = $client.budget;
        guest_call!($client, budget, $method($($arg),*))
    }};
    ($client:ident, $budget:expr, $method:ident($($arg:expr),*)) => {
        guest_call!(
            $client,
            $budget,
            |guest, handle| guest.gbg_go_client().client(),
            $method(handle $(, $arg)*)
        )
    };
    ($client:ident, $budget:expr, |$guest:ident, $handle:ident| $interface:expr, $method:ident($($arg:expr),*)) => {{
        let Client { store, guest, handle, poisoned, .. } = $client;
        if *poisoned {
            return Err(Error::Poisoned);
        }
        let ($guest, $handle) = (&*guest, *handle);
        let interface = $interface;
        let call = interface.$method(&mut *store, $($arg),*);
        match guard(poisoned, $budget, call).await? {
            Ok(value) => Ok(value),
            Err(error) => Err(described(store, guest, poisoned, $budget, error).await),
        }
    }};
}

impl Client {
    pub(crate) async fn open(
        mut store: Store<HostState>,
        pre: &GbgGoPre<HostState>,
        settings: &ClientSettings,
        budget: Duration,
    ) -> Result<Self, Error> {
        let config = settings.to_wit();
        let mut poisoned = false;
        let opened = guard(&mut poisoned, budget, async {
            let guest = pre.instantiate_async(&mut store).await?;
            let handle = guest
                .gbg_go_client()
                .client()
                .call_open(&mut store, &config)
                .await?;
            Ok((guest, handle))
        })
        .await;
        let (guest, handle) = match opened {
            Ok((guest, Ok(handle))) => (guest, handle),
            Ok((guest, Err(error))) => {
                return Err(described(&mut store, &guest, &mut poisoned, budget, error).await);
            }
            Err(Error::Trap(reason)) => {
                return Err(Error::Load(format!(
                    "instantiating the component failed: {reason}"
                )));
            }
            Err(other) => return Err(other),
        };
        Ok(Self {
            store,
            guest,
            handle,
            budget,
            poisoned: false,
        })
    }

    /// Fetches a new customer access token and returns its lifetime.
    pub async fn authenticate(&mut self) -> Result<TokenInfo, Error> {
        guest_call!(self, call_authenticate())
    }

    /// Starts a journey instance.
    pub async fn start_journey(&mut self, request: &StartRequest) -> Result<StartedJourney, Error> {
        guest_call!(self, call_start_journey(request))
    }

    /// Fetches an instance's state; `filter_keys` is sent when non-empty.
    pub async fn fetch_journey_state(
        &mut self,
        instance_id: &str,
        filter_keys: &[String],
    ) -> Result<JourneyState, Error> {
        guest_call!(self, call_fetch_journey_state(instance_id, filter_keys))
    }

    /// Polls until the instance leaves `InProgress` or `options.timeout_ms`
    /// passes. The call's budget is that timeout plus the usual budget.
    pub async fn wait_for_completion(
        &mut self,
        instance_id: &str,
        options: WaitOptions,
    ) -> Result<JourneyState, Error> {
        let budget = self.budget + Duration::from_millis(options.timeout_ms.into());
        guest_call!(self, budget, call_wait_for_completion(instance_id, options))
    }

    /// Permanently deletes an instance's state.
    pub async fn delete_instance(&mut self, instance_id: &str) -> Result<(), Error> {
        guest_call!(self, call_delete_instance(instance_id))
    }

    /// The service's health message (`OK` when healthy).
    pub async fn health(&mut self) -> Result<String, Error> {
        guest_call!(self, call_health())
    }

    /// Fetches the interaction an API journey waits on.
    pub async fn fetch_interaction(&mut self, instance_id: &str) -> Result<InteractionStep, Error> {
        guest_call!(self, call_fetch_interaction(instance_id))
    }

    /// Submits collected data for an interaction.
    pub async fn submit_interaction(&mut self, submission: &Submission) -> Result<(), Error> {
        guest_call!(self, call_submit_interaction(submission))
    }

    /// The submission that answers `step` from the answers document
    /// `answers` (a JSON object mapping domain elements to subject pieces),
    /// less what `accepted` says the interaction already took; `None` when
    /// no interaction is ready or nothing is left to send. Planned by the
    /// component (`gbg:go/interaction-planner`); sends nothing.
    pub async fn plan_submission(
        &mut self,
        step: &InteractionStep,
        answers: &str,
        accepted: &[AcceptedElement],
    ) -> Result<Option<Submission>, Error> {
        let budget = self.budget;
        guest_call!(
            self,
            budget,
            |guest, _handle| guest.gbg_go_interaction_planner(),
            call_plan_submission(step, answers, accepted)
        )
    }
}

/// Awaits a guest call under `budget`. A call that overruns or traps leaves
/// the instance in an unknown state, so the client is poisoned.
async fn guard<T>(
    poisoned: &mut bool,
    budget: Duration,
    call: impl Future<Output = wasmtime::Result<T>>,
) -> Result<T, Error> {
    match tokio::time::timeout(budget, call).await {
        Err(_elapsed) => {
            *poisoned = true;
            Err(Error::BudgetExceeded(budget))
        }
        Ok(Err(trap)) => {
            *poisoned = true;
            tracing::debug!(error = ?trap, "the component trapped");
            Err(Error::Trap(trap.root_cause().to_string()))
        }
        Ok(Ok(answer)) => Ok(answer),
    }
}

/// The component's typed `error` with the component's own sentence for it
/// (`describe-error`), or what stopped the guest from giving one.
async fn described(
    store: &mut Store<HostState>,
    guest: &GbgGo,
    poisoned: &mut bool,
    budget: Duration,
    error: ApiError,
) -> Error {
    let describe = guest.gbg_go_client().call_describe_error(store, &error);
    match guard(poisoned, budget, describe).await {
        Ok(message) => Error::Api { error, message },
        Err(failure) => failure,
    }
}
