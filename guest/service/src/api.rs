//! The service: one request in, one answer out. [`handle`] routes a
//! request, admits its caller from the head alone (before any body is
//! read), and hands it to its route's function in [`crate::probes`],
//! [`crate::journeys`], [`crate::interactions`] or
//! [`crate::notifications`], as a [`Call`].

use crate::answers::Response;
use crate::call::Call;
use crate::engine::Engine;
use crate::http::{Body, IncomingRequest};
use crate::problem::Problem;
use crate::routes::{Route, route};
use crate::settings::Config;
use crate::{auth, interactions, journeys, log, notifications, probes};

/// Answers `request` under `config`, reading its `body` only if the route
/// takes one and the caller was admitted.
pub fn handle<E: Engine>(
    request: &IncomingRequest,
    body: &mut dyn Body,
    config: &Config,
    engine: &E,
) -> Response {
    route(&request.method, &request.path)
        .and_then(|route| {
            auth::admit(route.guard(), request, config)?;
            let mut call = Call::new(request, body, config, engine);
            serve(route, &mut call).inspect_err(|problem| {
                // Only admitted callers reach here, so no caller without
                // credentials can write to the log.
                if problem.status >= 500 {
                    log::once(problem.kind, || {
                        format!(
                            "answered {} {}: {}",
                            problem.status, problem.kind, problem.title
                        )
                    });
                }
            })
        })
        .unwrap_or_else(Problem::into_response)
}

/// One function per route.
fn serve<E: Engine>(route: Route<'_>, call: &mut Call<'_, E>) -> Result<Response, Problem> {
    match route {
        Route::Health => Ok(probes::health()),
        Route::Ready => probes::ready(call),
        Route::StartJourney => journeys::start(call),
        Route::JourneyState(id) => journeys::state(call, id),
        Route::DeleteJourney(id) => journeys::delete(call, id),
        Route::FetchInteraction(id) => interactions::fetch(call, id),
        Route::SubmitInteraction(id) => interactions::submit(call, id),
        Route::Webhook => notifications::receive(call),
    }
}

#[cfg(test)]
mod tests;
