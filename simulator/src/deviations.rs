//! The documented differences between GBG's OpenAPI file and what the simulator serves
//! (and the client sends): `schema/deviations.json`, one entry per row of the README's
//! table "Deliberate differences from GBG's OpenAPI file".

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

/// The deviation list, as shipped.
pub const DEVIATIONS: &str = include_str!("../schema/deviations.json");

/// Stands for "every operation" in [`Deviation::statuses`] and
/// [`Deviation::error_bodies`].
pub const EVERY_OPERATION: &str = "*";

/// One documented difference from GBG's OpenAPI file, and how it changes the derived
/// schemas and operations. Operations are named by their OpenAPI path
/// (`/journey/start`, `/auth/realms/go/protocol/openid-connect/token`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Deviation {
    /// The row's id in the README's table.
    pub id: String,
    /// A short description; the README has the full row and the reason.
    pub about: String,
    /// RFC 7396 merge patches, by definition name.
    #[serde(default)]
    pub merge: Map<String, Value>,
    /// Schemas accepted besides a definition, by definition name.
    #[serde(default)]
    pub alternative: Map<String, Value>,
    /// Extra paths an operation is served at: served path -> OpenAPI path.
    #[serde(default)]
    pub paths: BTreeMap<String, String>,
    /// Extra answer statuses, by operation (or [`EVERY_OPERATION`]).
    #[serde(default)]
    pub statuses: BTreeMap<String, Vec<u16>>,
    /// The only success status of an operation whose OpenAPI lists several.
    #[serde(default)]
    pub success: BTreeMap<String, u16>,
    /// The body schema of non-2xx answers, by operation (or [`EVERY_OPERATION`]).
    #[serde(default)]
    pub error_bodies: BTreeMap<String, Value>,
}

impl Deviation {
    /// Whether the entry changes a schema or an operation (some only change behaviour).
    pub fn changes_the_contract(&self) -> bool {
        !(self.merge.is_empty()
            && self.alternative.is_empty()
            && self.paths.is_empty()
            && self.statuses.is_empty()
            && self.success.is_empty()
            && self.error_bodies.is_empty())
    }
}

#[derive(Deserialize)]
struct DeviationFile {
    deviations: Vec<Deviation>,
}

/// Parses [`DEVIATIONS`]; ids must be unique.
pub fn parse() -> Result<Vec<Deviation>, String> {
    let file: DeviationFile =
        serde_json::from_str(DEVIATIONS).map_err(|e| format!("deviations.json: {e}"))?;
    let mut seen = std::collections::BTreeSet::new();
    for deviation in &file.deviations {
        if !seen.insert(deviation.id.as_str()) {
            return Err(format!("deviations.json: duplicate id {}", deviation.id));
        }
    }
    Ok(file.deviations)
}

/// Applies an RFC 7396 JSON merge patch: objects merge key by key, `null` removes a
/// key, anything else replaces the target.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut target = json!({"a": "b", "c": {"d": "e", "f": "g"}, "l": [1]});
        merge_patch(
            &mut target,
            &json!({"a": "z", "c": {"f": null, "h": 1}, "l": [2, 3]}),
        );
        assert_eq!(
            target,
            json!({"a": "z", "c": {"d": "e", "h": 1}, "l": [2, 3]})
        );
        let mut scalar = json!(1);
        merge_patch(&mut scalar, &json!({"a": {"b": null}}));
        assert_eq!(scalar, json!({"a": {}}));
    }

    #[test]
    fn the_shipped_list_parses_with_unique_ids() {
        let deviations = parse().unwrap();
        assert!(deviations.len() >= 10);
        assert!(deviations.iter().any(|d| !d.changes_the_contract()));
    }
}
