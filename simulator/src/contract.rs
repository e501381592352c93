//! The API contract: GBG's OpenAPI file (the derived copy, `schema/openapi-derived.json`)
//! with the documented deviations (`schema/deviations.json`) applied. It names the
//! operations, the paths they are served at, the statuses they may answer and the schema
//! of every request and answer body, and checks recorded exchanges against them.
//!
//! The simulator validates the requests it receives with it; tests validate every
//! request a client sent and every answer it got ([`Contract::check_exchange`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

use jsonschema::Validator;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::deviations::{self, Deviation, EVERY_OPERATION, merge_patch};
use crate::paths::{self, API_PREFIX};
use crate::request_log::{LoggedRequest, REDACTED};

/// The derived schema document: `definitions` of request and response bodies (with the
/// shared `context.subject` schema) and `operations`.
pub const OPENAPI_DERIVED: &str = include_str!("../schema/openapi-derived.json");

/// The longest schema error message kept in a violation, in characters.
const MAX_MESSAGE: usize = 300;

/// One operation of the contract.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    /// The OpenAPI path, e.g. `/journey/start`.
    pub path: String,
    /// The method, upper-case, e.g. `POST`.
    pub method: String,
    /// The request body's definition; `None`: no body.
    pub request: Option<String>,
    /// The request body's media type, e.g. `application/json`.
    pub request_media_type: Option<String>,
    /// Every status the operation may answer.
    pub statuses: BTreeSet<u16>,
    /// The body definition of each success (2xx) status.
    pub success: BTreeMap<u16, String>,
    /// The body definition of error (non-2xx) answers, when the contract has one.
    pub error_body: Option<String>,
}

#[derive(Deserialize)]
struct DerivedOperation {
    method: String,
    request: Option<String>,
    request_media_type: Option<String>,
    responses: BTreeMap<String, Option<String>>,
}

#[derive(Deserialize)]
struct Derived {
    definitions: Map<String, Value>,
    operations: BTreeMap<String, DerivedOperation>,
}

/// GBG's OpenAPI file with the documented deviations applied.
pub struct Contract {
    definitions: Map<String, Value>,
    operations: BTreeMap<String, Operation>,
    served: BTreeMap<String, String>,
    deviations: Vec<Deviation>,
    validators: HashMap<String, Validator>,
}

static CONTRACT: LazyLock<Result<Contract, String>> = LazyLock::new(Contract::load);

/// The contract, built once; an error names what in the shipped files is broken.
pub fn contract() -> Result<&'static Contract, String> {
    CONTRACT.as_ref().map_err(Clone::clone)
}

/// The path an OpenAPI operation is served at: journey operations below [`API_PREFIX`],
/// the token endpoint (which has servers of its own) at the origin.
fn served_path(openapi_path: &str) -> String {
    if openapi_path.starts_with("/journey/") {
        format!("{API_PREFIX}{openapi_path}")
    } else {
        openapi_path.to_owned()
    }
}

/// `draft-07` schema of `definition` among `definitions`.
fn compile_definition(
    definitions: &Map<String, Value>,
    definition: &str,
) -> Result<Validator, String> {
    if !definitions.contains_key(definition) {
        return Err(format!("no definition {definition}"));
    }
    let root = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "definitions": definitions,
        "$ref": format!("#/definitions/{definition}"),
    });
    jsonschema::draft7::new(&root).map_err(|e| format!("schema {definition}: {e}"))
}

impl Contract {
    fn load() -> Result<Contract, String> {
        let derived: Derived =
            serde_json::from_str(OPENAPI_DERIVED).map_err(|e| format!("openapi-derived: {e}"))?;
        let deviations = deviations::parse()?;
        let mut definitions = derived.definitions;
        let mut operations = BTreeMap::new();
        for (path, operation) in derived.operations {
            let mut statuses = BTreeSet::new();
            let mut success = BTreeMap::new();
            for (status, definition) in operation.responses {
                let status: u16 = status
                    .parse()
                    .map_err(|_| format!("{path}: status {status} is not a number"))?;
                statuses.insert(status);
                if let (200..=299, Some(definition)) = (status, definition) {
                    success.insert(status, definition);
                }
            }
            let operation = Operation {
                path: path.clone(),
                method: operation.method.to_ascii_uppercase(),
                request: operation.request,
                request_media_type: operation.request_media_type,
                statuses,
                success,
                error_body: None,
            };
            operations.insert(path, operation);
        }
        let mut served: BTreeMap<String, String> = operations
            .keys()
            .map(|path| (served_path(path), path.clone()))
            .collect();
        let known = |path: &str, id: &str| {
            (path == EVERY_OPERATION || operations.contains_key(path))
                .then_some(())
                .ok_or_else(|| format!("deviation {id}: no operation {path}"))
        };
        let mut error_bodies = BTreeMap::new();
        for deviation in &deviations {
            let id = &deviation.id;
            for (definition, patch) in &deviation.merge {
                let target = definitions
                    .get_mut(definition)
                    .ok_or_else(|| format!("deviation {id}: no definition {definition}"))?;
                merge_patch(target, patch);
            }
            for (definition, alternative) in &deviation.alternative {
                let target = definitions
                    .get_mut(definition)
                    .ok_or_else(|| format!("deviation {id}: no definition {definition}"))?;
                *target = json!({"anyOf": [target.take(), alternative]});
            }
            for (path, openapi_path) in &deviation.paths {
                known(openapi_path, id)?;
                served.insert(path.clone(), openapi_path.clone());
            }
            for (path, body) in &deviation.error_bodies {
                known(path, id)?;
                let name = format!("errorBody{}", error_bodies.len());
                definitions.insert(name.clone(), body.clone());
                error_bodies.insert(path.clone(), name);
            }
            for path in deviation.statuses.keys().chain(deviation.success.keys()) {
                known(path, id)?;
            }
        }
        for operation in operations.values_mut() {
            for deviation in &deviations {
                for extra in [
                    deviation.statuses.get(EVERY_OPERATION),
                    deviation.statuses.get(&operation.path),
                ]
                .into_iter()
                .flatten()
                {
                    operation.statuses.extend(extra);
                }
                if let Some(&only) = deviation.success.get(&operation.path) {
                    operation
                        .statuses
                        .retain(|status| !(200..=299).contains(status) || *status == only);
                    operation.success.retain(|status, _| *status == only);
                }
            }
            if operation.success.is_empty() {
                return Err(format!("{} has no success answer", operation.path));
            }
            operation.error_body = error_bodies
                .get(&operation.path)
                .or_else(|| error_bodies.get(EVERY_OPERATION))
                .cloned();
        }
        let validators = definitions
            .keys()
            .map(|name| Ok((name.clone(), compile_definition(&definitions, name)?)))
            .collect::<Result<HashMap<_, _>, String>>()?;
        Ok(Contract {
            definitions,
            operations,
            served,
            deviations,
            validators,
        })
    }

    /// The definitions, deviations applied.
    pub fn definitions(&self) -> &Map<String, Value> {
        &self.definitions
    }

    /// The compiled schema of `definition`.
    pub fn validator(&self, definition: &str) -> Option<&Validator> {
        self.validators.get(definition)
    }

    /// Every operation, by OpenAPI path.
    pub fn operations(&self) -> &BTreeMap<String, Operation> {
        &self.operations
    }

    /// The documented deviations, in the README's order.
    pub fn deviations(&self) -> &[Deviation] {
        &self.deviations
    }

    /// The operation served at `path` (e.g. `/v2/captain/journey/start` or
    /// `/as/token.oauth2`), if any.
    pub fn operation(&self, path: &str) -> Option<&Operation> {
        self.served
            .get(path)
            .and_then(|openapi_path| self.operations.get(openapi_path))
    }

    /// Checks one recorded exchange in both directions: the method, the request's media
    /// type and body, the answer's status and body. `None` for a request that is not an
    /// API call (a hosted page); a path below the API prefix that no operation has is a
    /// request violation.
    pub fn check_exchange(&self, exchange: &LoggedRequest) -> Option<Conformance<'_>> {
        let call = format!("{} {}", exchange.method, exchange.path);
        let Some(operation) = self.operation(&exchange.path) else {
            return paths::below_api(&exchange.path)
                .is_some()
                .then(|| Conformance {
                    operation: None,
                    request: vec![format!("{call}: no such operation in the contract")],
                    answer: Vec::new(),
                });
        };
        let mut request = Vec::new();
        if !exchange.method.eq_ignore_ascii_case(&operation.method) {
            request.push(format!("{call}: the operation is {}", operation.method));
        }
        let media_type = exchange
            .header("content-type")
            .and_then(|value| value.split(';').next())
            .map(|essence| essence.trim().to_ascii_lowercase());
        if media_type != operation.request_media_type {
            request.push(format!(
                "{call}: request Content-Type {media_type:?}, the contract has {:?}",
                operation.request_media_type
            ));
        }
        match &operation.request {
            Some(definition) => {
                self.validate(definition, &exchange.body, &call, "request", &mut request)
            }
            None if exchange.body.is_null() => {}
            None => request.push(format!(
                "{call}: a request body the operation does not take"
            )),
        }
        let mut answer = Vec::new();
        match exchange.status {
            // A dropped connection: there was no answer to check.
            None => {}
            Some(status) if !operation.statuses.contains(&status) => answer.push(format!(
                "{call}: answered {status}, which the contract does not list ({:?})",
                operation.statuses
            )),
            Some(status) => {
                let definition = if (200..=299).contains(&status) {
                    operation.success.get(&status)
                } else {
                    operation.error_body.as_ref()
                };
                if let Some(definition) = definition {
                    let what = format!("{status} answer");
                    self.validate(definition, &exchange.response, &call, &what, &mut answer);
                }
            }
        }
        Some(Conformance {
            operation: Some(operation),
            request,
            answer,
        })
    }

    /// Adds a violation per schema error of `value`. A value the request log redacted
    /// (a secret) cannot be checked against string constraints, so errors at a redacted
    /// value are left out; its presence and type are still checked.
    fn validate(
        &self,
        definition: &str,
        value: &Value,
        call: &str,
        what: &str,
        violations: &mut Vec<String>,
    ) {
        let Some(validator) = self.validator(definition) else {
            violations.push(format!("{call}: no schema {definition}"));
            return;
        };
        for error in validator.iter_errors(value) {
            if error.instance().as_ref() == &Value::String(REDACTED.to_owned()) {
                continue;
            }
            let message: String = error.to_string().chars().take(MAX_MESSAGE).collect();
            violations.push(format!(
                "{call}: {what} ({definition}) at '{}': {message}",
                error.instance_path().as_str()
            ));
        }
    }
}

/// The result of checking one exchange against the contract.
#[derive(Clone, Debug, PartialEq)]
pub struct Conformance<'a> {
    /// The operation called; `None` for a path below the API prefix that none has.
    pub operation: Option<&'a Operation>,
    /// What is wrong with the request (method, media type, body).
    pub request: Vec<String>,
    /// What is wrong with the answer (status, body).
    pub answer: Vec<String>,
}

impl Conformance<'_> {
    /// Whether both directions conform.
    pub fn conforms(&self) -> bool {
        self.request.is_empty() && self.answer.is_empty()
    }

    /// Every violation, request first.
    pub fn violations(&self) -> impl Iterator<Item = &String> {
        self.request.iter().chain(&self.answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw_definitions() -> Map<String, Value> {
        serde_json::from_str::<Derived>(OPENAPI_DERIVED)
            .unwrap()
            .definitions
    }

    #[test]
    fn the_contract_loads_and_compiles() {
        let contract = contract().unwrap();
        assert_eq!(contract.operations().len(), 9);
        let start = contract.operation("/v2/captain/journey/start").unwrap();
        assert_eq!(start.method, "POST");
        assert_eq!(start.success.keys().collect::<Vec<_>>(), [&201]);
        assert!(start.statuses.contains(&429) && !start.statuses.contains(&200));
        let token = contract.operation("/as/token.oauth2").unwrap();
        assert_eq!(
            contract.operation("/auth/realms/go/protocol/openid-connect/token"),
            Some(token)
        );
        assert_eq!(
            token.request_media_type.as_deref(),
            Some("application/x-www-form-urlencoded")
        );
        assert!(contract.operation("/journey/start").is_none());
        assert!(
            contract
                .operation("/journey/Pq_hhIX6-sHUy9FLSDzPLu")
                .is_none()
        );
    }

    #[test]
    fn every_schema_deviation_changes_its_definition() {
        let raw = raw_definitions();
        let contract = contract().unwrap();
        for deviation in contract.deviations() {
            for definition in deviation.merge.keys().chain(deviation.alternative.keys()) {
                assert_ne!(
                    raw.get(definition),
                    contract.definitions().get(definition),
                    "deviation {} leaves {definition} as it was",
                    deviation.id
                );
            }
        }
    }

    #[test]
    fn the_raw_openapi_refuses_what_the_deviations_allow() {
        let raw = raw_definitions();
        let documented_id = format!("{}@y5z6bj7o", "a".repeat(64));
        let body = json!({"resourceId": documented_id});
        assert!(
            !compile_definition(&raw, "startRequest")
                .unwrap()
                .is_valid(&body)
        );
        let contract = contract().unwrap();
        assert!(contract.validator("startRequest").unwrap().is_valid(&body));
    }

    #[test]
    fn both_not_ready_answers_are_in_the_contract_and_only_the_error_in_the_openapi() {
        let raw = compile_definition(&raw_definitions(), "interactionFetchResponse").unwrap();
        let contract = contract().unwrap();
        let checked = contract.validator("interactionFetchResponse").unwrap();
        let status =
            json!({"instanceId": "i", "journey": {"status": "InProgress"}, "processing": true});
        let error = json!({"status": "error", "code": 404, "message": "No interaction is ready"});
        assert!(!raw.is_valid(&status) && checked.is_valid(&status));
        assert!(raw.is_valid(&error) && checked.is_valid(&error));
        let renamed = json!({"instanceId": "i", "journey": {"status": "InProgress"}, "busy": true});
        assert!(!checked.is_valid(&renamed));
    }
}
