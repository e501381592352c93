// The names Temporal knows the package's workflow, activities, queries,
// signal and update by. Code outside this repository starts, queries and
// signals them by these names, so they do not change.

/** The activities `createActivities` registers, by operation. */
export const ACTIVITIES = Object.freeze({
  startJourney: 'gbgGo.startJourney',
  fetchJourneyState: 'gbgGo.fetchJourneyState',
  fetchInteraction: 'gbgGo.fetchInteraction',
  submitInteraction: 'gbgGo.submitInteraction',
  deleteInstance: 'gbgGo.deleteInstance',
  health: 'gbgGo.health',
});

/** The workflow's query of the started journey, `{ instanceId, instanceUrl }` or null. */
export const JOURNEY_QUERY = 'journey';

/** The workflow's query of the interaction an API journey waits on, or null. */
export const INTERACTION_QUERY = 'interaction';

/** The workflow's signal that something happened to the journey: check its state now. */
export const JOURNEY_EVENT_SIGNAL = 'journeyEvent';

/** The workflow's update that submits an interaction's data and returns the next interaction. */
export const SUBMIT_INTERACTION_UPDATE = 'submitInteraction';

/** How often a running activity heartbeats, in milliseconds. */
export const HEARTBEAT_MS = 5_000;

/** How long without a heartbeat before Temporal deems an activity's worker lost. */
export const HEARTBEAT_TIMEOUT = '20 seconds';
