//! The shipped component and the contract in `wit/` cannot drift: the WIT is
//! read back out of the component's binary (with wit-parser's decoder, the
//! library behind `wasm-tools component wit`) and compared, item by item, with
//! `wit/gbg-go.wit`. Documentation and the order of definitions are ignored;
//! names, fields, cases, parameters and their order are not.

use std::collections::BTreeMap;
use std::path::Path;

use gbg_go_host::GUEST_COMPONENT;
use wit_parser::decoding::{DecodedWasm, decode};
use wit_parser::{
    Function, FunctionKind, Handle, Resolve, Type, TypeDefKind, TypeOwner, WorldId, WorldKey,
};

const PACKAGE: &str = "gbg:go@0.3.0";
const WORLD: &str = "gbg-go";

/// Every type and function of `package`, as `interface.item` -> a one-line
/// rendering that names types by their interface and name.
fn items(resolve: &Resolve, package: &str) -> BTreeMap<String, String> {
    let (_, package) = resolve
        .packages
        .iter()
        .find(|(_, p)| p.name.to_string() == package)
        .unwrap_or_else(|| panic!("package {package} is missing"));
    let mut items = BTreeMap::new();
    for (name, &id) in &package.interfaces {
        let interface = &resolve.interfaces[id];
        for (type_name, &type_id) in &interface.types {
            items.insert(format!("{name}.{type_name}"), definition(resolve, type_id));
        }
        for (function_name, function) in &interface.functions {
            items.insert(
                format!("{name}.{function_name}"),
                signature(resolve, function),
            );
        }
    }
    items
}

fn definition(resolve: &Resolve, id: wit_parser::TypeId) -> String {
    let list = |parts: Vec<String>| parts.join(", ");
    match &resolve.types[id].kind {
        TypeDefKind::Record(r) => format!(
            "record {{ {} }}",
            list(
                r.fields
                    .iter()
                    .map(|f| format!("{}: {}", f.name, ty(resolve, &f.ty)))
                    .collect()
            )
        ),
        TypeDefKind::Variant(v) => format!(
            "variant {{ {} }}",
            list(
                v.cases
                    .iter()
                    .map(|c| match &c.ty {
                        Some(t) => format!("{}({})", c.name, ty(resolve, t)),
                        None => c.name.clone(),
                    })
                    .collect()
            )
        ),
        TypeDefKind::Enum(e) => format!(
            "enum {{ {} }}",
            list(e.cases.iter().map(|c| c.name.clone()).collect())
        ),
        TypeDefKind::Flags(f) => format!(
            "flags {{ {} }}",
            list(f.flags.iter().map(|f| f.name.clone()).collect())
        ),
        TypeDefKind::Resource => "resource".to_owned(),
        // `use`d or aliased types: what they stand for.
        TypeDefKind::Type(t) => format!("= {}", ty(resolve, t)),
        _ => format!("= {}", anonymous(resolve, id)),
    }
}

/// A type's name, qualified by its interface; anonymous types spelled out.
fn ty(resolve: &Resolve, t: &Type) -> String {
    let Type::Id(id) = t else {
        return format!("{t:?}").to_lowercase();
    };
    let def = &resolve.types[*id];
    match (&def.name, def.owner) {
        (Some(name), TypeOwner::Interface(owner)) => {
            let interface = resolve.interfaces[owner].name.as_deref().unwrap_or("?");
            format!("{interface}.{name}")
        }
        (Some(name), _) => name.clone(),
        (None, _) => anonymous(resolve, *id),
    }
}

fn anonymous(resolve: &Resolve, id: wit_parser::TypeId) -> String {
    let of = |t: &Option<Type>| t.as_ref().map_or("_".to_owned(), |t| ty(resolve, t));
    match &resolve.types[id].kind {
        TypeDefKind::Option(t) => format!("option<{}>", ty(resolve, t)),
        TypeDefKind::Result(r) => format!("result<{}, {}>", of(&r.ok), of(&r.err)),
        TypeDefKind::List(t) => format!("list<{}>", ty(resolve, t)),
        TypeDefKind::Tuple(t) => format!(
            "tuple<{}>",
            t.types
                .iter()
                .map(|t| ty(resolve, t))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeDefKind::Handle(Handle::Own(r)) => format!("own<{}>", ty(resolve, &Type::Id(*r))),
        TypeDefKind::Handle(Handle::Borrow(r)) => {
            format!("borrow<{}>", ty(resolve, &Type::Id(*r)))
        }
        TypeDefKind::Type(t) => ty(resolve, t),
        other => format!("{other:?}"),
    }
}

fn signature(resolve: &Resolve, function: &Function) -> String {
    let kind = match function.kind {
        FunctionKind::Freestanding => "func",
        FunctionKind::AsyncFreestanding => "async func",
        FunctionKind::Method(_) => "method",
        FunctionKind::AsyncMethod(_) => "async method",
        FunctionKind::Static(_) => "static func",
        FunctionKind::AsyncStatic(_) => "async static func",
        FunctionKind::Constructor(_) => "constructor",
    };
    let params: Vec<String> = function
        .params
        .iter()
        .map(|p| format!("{}: {}", p.name, ty(resolve, &p.ty)))
        .collect();
    let result = function
        .result
        .as_ref()
        .map_or(String::new(), |t| format!(" -> {}", ty(resolve, t)));
    format!("{kind}({}){result}", params.join(", "))
}

/// The interfaces a world imports and exports, by their full names.
fn world_interfaces(resolve: &Resolve, world: WorldId) -> (Vec<String>, Vec<String>) {
    let world = &resolve.worlds[world];
    let names = |keys: Vec<&WorldKey>| {
        keys.into_iter()
            .map(|k| resolve.name_world_key(k))
            .collect()
    };
    (
        names(world.imports.keys().collect()),
        names(world.exports.keys().collect()),
    )
}

#[test]
fn the_component_exports_exactly_the_wit_contract() {
    let DecodedWasm::Component(shipped, shipped_world) =
        decode(GUEST_COMPONENT).expect("the WIT decodes from the component")
    else {
        panic!("the embedded artifact is not a component");
    };
    let mut contract = Resolve::default();
    let wit_dir = crate::support::repository().join("wit");
    let (package, _) = contract.push_dir(&wit_dir).expect("wit/ parses");

    let shipped_items = items(&shipped, PACKAGE);
    let contract_items = items(&contract, PACKAGE);
    // Written out for a person to read when this test fails.
    let rendering = |items: &BTreeMap<String, String>| {
        items
            .iter()
            .map(|(k, v)| format!("{k}: {v}\n"))
            .collect::<String>()
    };
    let out = Path::new(env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(out.join("component-wit.txt"), rendering(&shipped_items)).unwrap();
    std::fs::write(out.join("contract-wit.txt"), rendering(&contract_items)).unwrap();
    let differences: Vec<String> = contract_items
        .keys()
        .chain(shipped_items.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|key| contract_items.get(*key) != shipped_items.get(*key))
        .map(|key| {
            format!(
                "{key}\n  wit/:      {:?}\n  component: {:?}",
                contract_items.get(key),
                shipped_items.get(key)
            )
        })
        .collect();
    assert!(
        differences.is_empty(),
        "the component's WIT differs from wit/ (full renderings in {}):\n{}",
        out.display(),
        differences.join("\n")
    );
    assert!(
        contract_items.contains_key("client.[method]client.wait-for-completion")
            && contract_items.contains_key("types.client-config"),
        "the rendering covers resources and records"
    );

    // The world: the contract's exports, and nothing but WASI imported.
    let (imports, exports) = world_interfaces(&shipped, shipped_world);
    let contract_world = contract.select_world(&[package], Some(WORLD)).unwrap();
    let (contract_imports, contract_exports) = world_interfaces(&contract, contract_world);
    assert_eq!(exports, contract_exports);
    assert_eq!(
        exports,
        [
            "gbg:go/types@0.3.0",
            "gbg:go/client@0.3.0",
            "gbg:go/interaction-planner@0.3.0",
        ],
        "the component exports the client and its types"
    );
    assert!(contract_imports.is_empty(), "{contract_imports:?}");
    assert!(
        imports.iter().all(|name| name.starts_with("wasi:")),
        "the component imports only WASI: {imports:?}"
    );
}

/// `wasi:http/types@0.2.4` -> (`wasi:http/types`, `0.2.4`).
fn unversioned(name: &str) -> (&str, semver::Version) {
    let (name, version) = name.split_once('@').expect("a versioned interface");
    (
        name,
        semver::Version::parse(version).expect("a semver version"),
    )
}

/// Whether a host providing `declared` satisfies an import of `shipped`:
/// the same pre-release exactly, or a release of the same 0.x line no
/// older than it.
fn satisfies(declared: &semver::Version, shipped: &semver::Version) -> bool {
    if !declared.pre.is_empty() || !shipped.pre.is_empty() {
        return declared == shipped;
    }
    declared.major == shipped.major && declared.minor == shipped.minor && declared >= shipped
}

#[test]
fn the_service_components_have_exactly_their_worlds() {
    has_exactly_the_world(gbg_go_host::SERVICE_COMPONENT, "service");
    has_exactly_the_world(gbg_go_host::SERVICE_SPIN_COMPONENT, "service-spin");
}

/// The Spin build imports the drafts Spin serves (its `platform` world:
/// `wasi:config/store@0.2.0-draft-2024-09-27`, `wasi:keyvalue/store@0.2.0-draft2`),
/// and the other build those of wasmtime 48 and wasmCloud; nothing else differs.
#[test]
fn the_spin_build_differs_only_in_the_store_drafts() {
    let imports = |component: &[u8]| {
        let DecodedWasm::Component(resolve, world) = decode(component).unwrap() else {
            panic!("not a component");
        };
        world_interfaces(&resolve, world).0
    };
    let only_in = |a: &[String], b: &[String]| -> Vec<String> {
        a.iter().filter(|n| !b.contains(n)).cloned().collect()
    };
    let (service, spin) = (
        imports(gbg_go_host::SERVICE_COMPONENT),
        imports(gbg_go_host::SERVICE_SPIN_COMPONENT),
    );
    assert_eq!(
        only_in(&spin, &service),
        [
            "wasi:config/store@0.2.0-draft-2024-09-27",
            "wasi:keyvalue/store@0.2.0-draft2"
        ]
    );
    assert_eq!(
        only_in(&service, &spin),
        [
            "wasi:config/store@0.2.0-rc.1",
            "wasi:keyvalue/store@0.2.0-draft"
        ]
    );
}

/// Whether `component` imports and exports what the world `world_name` of
/// `wit/` declares, at versions a host of that world satisfies.
fn has_exactly_the_world(component: &[u8], world_name: &str) {
    let DecodedWasm::Component(shipped, shipped_world) =
        decode(component).expect("the WIT decodes from the component")
    else {
        panic!("the embedded service artifact is not a component");
    };
    let mut contract = Resolve::default();
    let (package, _) = contract
        .push_dir(crate::support::repository().join("wit"))
        .expect("wit/ parses");
    let world = contract.select_world(&[package], Some(world_name)).unwrap();
    let (declared_imports, declared_exports) = world_interfaces(&contract, world);
    let (imports, exports) = world_interfaces(&shipped, shipped_world);

    let check = |shipped: &[String], declared: &[String], what: &str| {
        let declared: BTreeMap<&str, semver::Version> =
            declared.iter().map(|n| unversioned(n)).collect();
        for name in shipped {
            let (interface, version) = unversioned(name);
            let Some(wanted) = declared.get(interface) else {
                panic!(
                    "the component {what} {name}, which the world {world_name} does not declare"
                );
            };
            assert!(
                satisfies(wanted, &version),
                "the component {what} {name}; the world {world_name} declares {interface}@{wanted}"
            );
        }
    };
    check(&imports, &declared_imports, "imports");
    check(&exports, &declared_exports, "exports");
    assert_eq!(exports.len(), 1, "only the HTTP handler: {exports:?}");
    assert!(exports[0].starts_with("wasi:http/incoming-handler@0.2."));
    // And nothing the world declares (with what its interfaces `use`) goes
    // unimported.
    let names = |list: &[String]| -> Vec<String> {
        let mut names: Vec<String> = list.iter().map(|n| unversioned(n).0.to_owned()).collect();
        names.sort();
        names
    };
    assert_eq!(names(&imports), names(&declared_imports));
}
