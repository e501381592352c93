//! The deployment files in `deploy/` (Spin, SpinKube, wasmCloud): each
//! validates against its engine's published schema (`deploy/schemas/`),
//! names exactly the service's settings (as `gbg-go-contract` names them),
//! takes every secret from a secret store rather than a literal, and lets
//! the component reach only GBG GO's API host and token host.

use std::collections::BTreeSet;
use std::path::Path;

use gbg_go_host::contract::hosts;
use gbg_go_host::contract::settings::{SERVICE as SETTINGS, Setting};
use serde_json::{Map, Value, json};

use crate::support;

/// The egress the manifests allow: the `eu` API host and the token host.
fn allowed_hosts() -> Vec<String> {
    [hosts::region_base_url("eu").as_str(), hosts::TOKEN_URL]
        .iter()
        .map(|url| {
            let url = url::Url::parse(url).unwrap();
            format!("https://{}", url.host_str().unwrap())
        })
        .collect()
}

fn read(path: &str) -> String {
    let path = support::repository().join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml(path: &str) -> Value {
    serde_norway::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Validates `instance` against `schema`, listing every violation.
fn validate(schema: &Value, instance: &Value, what: &str) {
    let validator = jsonschema::validator_for(schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not validate:\n{}",
        errors.join("\n")
    );
}

/// A CRD's schema for `spec`, as JSON Schema: objects that declare their
/// properties refuse unknown ones, as `kubectl apply --validate=strict`
/// does.
fn crd_spec_schema(crd: &str) -> Value {
    let crd = yaml(crd);
    let mut schema =
        crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"].clone();
    strict(&mut schema);
    schema
}

fn strict(schema: &mut Value) {
    let Value::Object(object) = schema else {
        return;
    };
    if object.contains_key("properties")
        && !object.contains_key("additionalProperties")
        && !object.contains_key("x-kubernetes-preserve-unknown-fields")
    {
        object.insert("additionalProperties".into(), json!(false));
    }
    for value in object.values_mut() {
        match value {
            Value::Object(_) => strict(value),
            Value::Array(items) => items.iter_mut().for_each(strict),
            _ => {}
        }
    }
}

/// The settings by config key (Spin variable names).
fn config_keys() -> BTreeSet<String> {
    SETTINGS.iter().map(Setting::config_key).collect()
}

fn secret_setting(name: &str) -> bool {
    SETTINGS
        .iter()
        .any(|s| s.secret && (s.env == name || s.config_key() == name))
}

fn keys(object: &Value) -> BTreeSet<String> {
    object
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn the_spin_manifest_validates_and_takes_secrets_as_variables() {
    let manifest: Value = toml::from_str(&read("deploy/spin/spin.toml")).unwrap();
    let schema: Value =
        serde_json::from_str(&read("deploy/schemas/spin-manifest-v2.latest.json")).unwrap();
    validate(&schema, &manifest, "deploy/spin/spin.toml");

    let variables = &manifest["variables"];
    assert_eq!(
        keys(variables),
        config_keys(),
        "the application's variables"
    );
    let component = &manifest["component"]["gbg-go-service"];
    assert_eq!(
        keys(&component["variables"]),
        config_keys(),
        "the component's"
    );
    for (name, value) in component["variables"].as_object().unwrap() {
        assert_eq!(
            value,
            &json!(format!("{{{{ {name} }}}}")),
            "{name} is the variable itself"
        );
    }
    for (name, declared) in variables.as_object().unwrap() {
        if secret_setting(name) {
            assert_eq!(declared["secret"], true, "{name} is a secret variable");
            assert!(
                declared.get("default").is_none_or(|d| d == ""),
                "{name} has no default value"
            );
        }
    }
    assert!(
        component.get("environment").is_none(),
        "Spin passes environment values literally: settings go through variables"
    );
    assert_eq!(component["allowed_outbound_hosts"], json!(allowed_hosts()));
    assert_eq!(component["key_value_stores"], json!(["default"]));
    assert_eq!(
        variables["gbg_go_token_store"]["default"], "keyvalue:default",
        "the store Spin gives the component"
    );
    assert_eq!(
        component["source"], "gbg_go_service_spin.wasm",
        "the build with Spin's drafts of the config and key-value stores"
    );
}

/// The manifest at `path`, which must be a `kind` of `api_version`.
fn manifest(path: &str, api_version: &str, kind: &str) -> Value {
    let manifest = yaml(path);
    assert_eq!(manifest["apiVersion"], api_version);
    assert_eq!(manifest["kind"], kind);
    manifest
}

/// The custom resource at `path`, a `kind` of `api_version` whose spec the
/// schema of its definition at `definition` accepts.
fn custom_resource(path: &str, api_version: &str, kind: &str, definition: &str) -> Value {
    let resource = manifest(path, api_version, kind);
    validate(&crd_spec_schema(definition), &resource["spec"], path);
    resource
}

/// The names of `secret`'s `stringData`.
fn secret_keys(path: &str, name: &str) -> BTreeSet<String> {
    let secret = manifest(path, "v1", "Secret");
    assert_eq!(secret["metadata"]["name"], name);
    let data = secret["stringData"].as_object().unwrap();
    for (key, value) in data {
        assert_eq!(value, "", "{path} holds no value for {key}");
    }
    data.keys().cloned().collect()
}

#[test]
fn the_spinapp_validates_and_takes_secrets_from_a_kubernetes_secret() {
    let app = custom_resource(
        "deploy/spinkube/spinapp.yaml",
        "core.spinkube.dev/v1alpha1",
        "SpinApp",
        "deploy/schemas/core.spinkube.dev_spinapps.yaml",
    );

    let secret = app["metadata"]["name"].as_str().unwrap();
    let stored = secret_keys("deploy/spinkube/secret.yaml", secret);
    let variables = app["spec"]["variables"].as_array().unwrap();
    let names: BTreeSet<String> = variables
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, config_keys(), "the SpinApp's variables");
    let mut referenced = BTreeSet::new();
    for variable in variables {
        let name = variable["name"].as_str().unwrap();
        let from = &variable["valueFrom"]["secretKeyRef"];
        if secret_setting(name) {
            assert!(variable.get("value").is_none(), "{name} is no literal");
            assert_eq!(from["name"], secret, "{name} comes from the Secret");
        }
        if let Some(key) = from["key"].as_str() {
            referenced.insert(key.to_owned());
        }
    }
    for store in app["spec"]["runtimeConfig"]["keyValueStores"]
        .as_array()
        .unwrap()
    {
        for option in store["options"].as_array().unwrap() {
            if let Some(key) = option["valueFrom"]["secretKeyRef"]["key"].as_str() {
                referenced.insert(key.to_owned());
            }
        }
    }
    assert_eq!(
        referenced, stored,
        "the Secret holds exactly what the SpinApp takes"
    );
}

#[test]
fn the_wasmcloud_deployment_validates_and_takes_secrets_from_a_kubernetes_secret() {
    let deployment = custom_resource(
        "deploy/wasmcloud/workloaddeployment.yaml",
        "runtime.wasmcloud.dev/v1alpha1",
        "WorkloadDeployment",
        "deploy/schemas/runtime.wasmcloud.dev_workloaddeployments.yaml",
    );

    let spec = &deployment["spec"]["template"]["spec"];
    let component = &spec["components"][0];
    let resources = &component["localResources"];
    assert_eq!(resources["allowedHosts"], json!(allowed_hosts()));
    let environment = &resources["environment"];
    let plain = keys(&environment["config"]);
    let secret_name = environment["secretFrom"][0]["name"].as_str().unwrap();
    let secrets = secret_keys("deploy/wasmcloud/secret.yaml", secret_name);
    for name in &plain {
        assert!(
            !secret_setting(name),
            "{name} is a secret, not plain config"
        );
    }
    for name in &secrets {
        assert!(secret_setting(name), "{name} need not be secret");
    }
    let named: BTreeSet<String> = plain.union(&secrets).cloned().collect();
    let settings: BTreeSet<String> = SETTINGS.iter().map(|s| s.env.to_owned()).collect();
    assert_eq!(named, settings, "the environment names every setting once");
    let keyvalue = spec["hostInterfaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["package"] == "keyvalue")
        .expect("a key-value host interface");
    assert_eq!(
        keyvalue["version"], "0.2.0-draft",
        "the version the component imports"
    );
}

#[test]
fn strict_crd_schemas_refuse_unknown_fields() {
    let schema = crd_spec_schema("deploy/schemas/core.spinkube.dev_spinapps.yaml");
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut spec: Map<String, Value> = Map::new();
    spec.insert("image".into(), json!("x"));
    spec.insert("executor".into(), json!("containerd-shim-spin"));
    assert!(validator.is_valid(&Value::Object(spec.clone())));
    spec.insert("replica".into(), json!(2));
    assert!(
        !validator.is_valid(&Value::Object(spec)),
        "a misspelt field fails"
    );
    assert!(Path::new(&support::repository().join("deploy/schemas/README.md")).exists());
}
