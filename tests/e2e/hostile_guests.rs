//! Hostile guests: components that try to make their host hold more than the
//! sandbox grants, one way each, and the bound that stops each.
//!
//! The attacks are hand-written (`fixtures/hostile-guest.wat`, wrapped into a
//! component that imports `wasi:http` as the real client does, and nested
//! components built here with more instances, memories or tables than a
//! store may have). Each test runs its attack with the default limits in a
//! child process of this test binary, so that the peak memory and the open
//! files it measures are the attack's alone: the child prints them and checks
//! them against the figures the README states. A stalling server in the
//! parent counts the connections the child made.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use gbg_go_host::{
    Client, ComponentSource, Error, GUEST_COMPONENT, Runtime, RuntimeOptions, Submission,
    WaitOptions,
};
use wasm_encoder::{
    ComponentAliasSection, ComponentExportKind, ComponentExportSection, ComponentInstanceSection,
    ComponentSectionId, InstanceSection, ModuleArg, RawSection,
};
use wit_component::DecodedWasm;

use crate::hostile::{self, Hostile, Reply};
use crate::{spin_guest, support};

const WAT: &str = include_str!("fixtures/hostile-guest.wat");

/// Set in the child to the name of the test it runs.
const CHILD: &str = "GBG_GO_HOSTILE_GUEST";
/// The parent's stalling server, for the child.
const AUTHORITY: &str = "GBG_GO_HOSTILE_AUTHORITY";

/// The README's figure of what one client can make the host hold: its 64 MiB
/// of linear memory and 16 MiB on the host's side (resource table, fields,
/// request bodies, handles, tables, open exchanges).
const CLIENT_BYTES: usize = (64 + 16) << 20;
/// The README's figure of the connections one client may have open.
const CLIENT_CONNECTIONS: usize = 4;
/// The README's figure of the connections a runtime's pool keeps in flight.
const POOL_CONNECTIONS: usize = 256;

#[test]
fn fields_filling_the_resource_table_trap_only_their_client() {
    isolated(
        "fields_filling_the_resource_table_trap_only_their_client",
        |_| {
            stopped(
                "8,000 fields of 12 KiB",
                async |attacker| attacker.authenticate().await.map(drop),
                "resource table has no free keys",
            )
        },
    );
}

#[test]
fn a_header_value_over_the_field_size_traps() {
    isolated("a_header_value_over_the_field_size_traps", |_| {
        stopped(
            "a 20 KiB header value",
            async |attacker| attacker.fetch_interaction("x").await.map(drop),
            "total size of fields exceeds limit",
        )
    });
}

#[test]
fn request_bodies_never_sent_fill_the_resource_table_and_trap() {
    isolated(
        "request_bodies_never_sent_fill_the_resource_table_and_trap",
        |_| {
            stopped(
                "200 request bodies of 64 KiB, never sent",
                async |attacker| {
                    let submission = Submission {
                        instance_id: "x".into(),
                        interaction_id: "x".into(),
                        participants: Vec::new(),
                        subject: "{}".into(),
                    };
                    attacker.submit_interaction(&submission).await
                },
                "resource table has no free keys",
            )
        },
    );
}

#[test]
fn a_client_gets_four_connections_however_many_requests_it_opens() {
    let connections = isolated(
        "a_client_gets_four_connections_however_many_requests_it_opens",
        |authority| async move {
            let (mut attacker, mut bystander) = pair(&runtime()).await;
            let probe = Probe::start();
            // The guest returns only if its last request was refused with
            // `connection-limit-reached`.
            attacker
                .delete_instance(&authority)
                .await
                .expect("the 64th request is refused with connection-limit-reached");
            probe.settle(CLIENT_CONNECTIONS);
            probe.finish("64 unfinished requests", CLIENT_BYTES, CLIENT_CONNECTIONS);
            assert_eq!(bystander.health().await.unwrap(), "OK");
        },
    );
    if let Some(connections) = connections {
        assert_eq!(
            connections, CLIENT_CONNECTIONS,
            "the server saw one connection per allowed request"
        );
    }
}

#[test]
fn the_pool_bounds_connections_across_clients() {
    const CLIENTS: usize = 100;
    let connections = isolated(
        "the_pool_bounds_connections_across_clients",
        |authority| async move {
            let runtime = runtime();
            let probe = Probe::start();
            let mut attackers = Vec::new();
            for _ in 0..CLIENTS {
                let mut attacker = open(&runtime).await;
                attacker
                    .delete_instance(&authority)
                    .await
                    .expect("each client's 64th request is refused");
                attackers.push(attacker);
            }
            // 400 requests were allowed by their clients; the pool lets 256
            // connect and keeps the others waiting for a slot.
            probe.settle(POOL_CONNECTIONS);
            probe.finish(
                &format!("{CLIENTS} clients with 4 unfinished requests each"),
                CLIENTS * CLIENT_BYTES,
                POOL_CONNECTIONS,
            );
        },
    );
    // The child saw at most 256 connections open at once; the server saw the
    // pool filled (and more once the child let go of its clients).
    if let Some(connections) = connections {
        assert!(
            connections >= POOL_CONNECTIONS,
            "the server saw only {connections} connections"
        );
    }
}

#[test]
fn memory_is_bounded_across_all_of_a_stores_memories() {
    isolated("memory_is_bounded_across_all_of_a_stores_memories", |_| {
        stopped(
            "two memories growing to 48 MiB",
            async |attacker| {
                let request = crate::support::hosted("x".into());
                attacker.start_journey(&request).await.map(drop)
            },
            "memories would exceed 67108864 bytes in total",
        )
    });
}

#[test]
fn table_elements_are_bounded() {
    isolated("table_elements_are_bounded", |_| {
        stopped(
            "two tables growing to 60,000 elements",
            async |attacker| {
                let options = WaitOptions {
                    timeout_ms: 1_000,
                    poll_interval_ms: 100,
                };
                attacker.wait_for_completion("x", options).await.map(drop)
            },
            "tables would exceed 100000 elements in total",
        )
    });
}

#[test]
fn component_handles_are_bounded() {
    isolated("component_handles_are_bounded", |_| {
        stopped(
            "1,000 resources never dropped",
            async |attacker| attacker.fetch_journey_state("x", &[]).await.map(drop),
            "handle limit exceeded",
        )
    });
}

#[test]
fn a_component_with_too_many_instances_does_not_open() {
    isolated("a_component_with_too_many_instances_does_not_open", |_| {
        // More than the 32 core instances a store may have.
        too_many("(module)", 33, "instance")
    });
}

#[test]
fn a_component_with_too_many_memories_does_not_open() {
    isolated("a_component_with_too_many_memories_does_not_open", |_| {
        // More than the 8 memories a store may have.
        too_many("(module (memory 1))", 9, "memor")
    });
}

#[test]
fn a_component_with_too_many_tables_does_not_open() {
    isolated("a_component_with_too_many_tables_does_not_open", |_| {
        // More than the 16 tables a store may have.
        too_many("(module (table 1 funcref))", 17, "table")
    });
}

/// Runs `attack` on one client of a runtime with the default limits: it must
/// trap with `cause`, within the figures, and another client of the same
/// runtime carry on.
async fn stopped(
    attack: &str,
    call: impl AsyncFnOnce(&mut Client) -> Result<(), Error>,
    cause: &str,
) {
    let (mut attacker, mut bystander) = pair(&runtime()).await;
    let probe = Probe::start();
    let error = call(&mut attacker).await.expect_err("the host stops it");
    probe.finish(attack, CLIENT_BYTES, 0);
    let Error::Trap(reason) = &error else {
        panic!("expected a trap, got {error:?}");
    };
    assert!(reason.contains(cause), "{reason}");
    assert_eq!(bystander.health().await.unwrap(), "OK");
}

/// The spinning component nested in one that also instantiates `module`
/// `copies` times: opening a client must fail with a load error naming
/// `resource`, and the process hold nothing more.
async fn too_many(module: &str, copies: usize, resource: &str) {
    let runtime = Runtime::new(RuntimeOptions {
        component: ComponentSource::File(nested(module, copies)),
        compile_cache: None,
        ..RuntimeOptions::default()
    })
    .expect("the component compiles");
    let probe = Probe::start();
    let error = match runtime
        .open(hostile::settings_for("http://127.0.0.1:9"))
        .await
    {
        Ok(_) => panic!("a component with {copies} copies of {module} opened"),
        Err(error) => error,
    };
    probe.finish(&format!("{copies} instances of {module}"), CLIENT_BYTES, 0);
    assert!(matches!(error, Error::Load(_)), "{error:?}");
    assert!(error.to_string().contains(resource), "{error}");
}

/// A runtime of the hostile component with the default limits, compiled
/// here (it is small).
fn runtime() -> Runtime {
    Runtime::new(RuntimeOptions {
        component: ComponentSource::File(component()),
        compile_cache: None,
        ..RuntimeOptions::default()
    })
    .expect("the hostile component loads")
}

/// A client of the parent's stalling server.
async fn open(runtime: &Runtime) -> Client {
    let authority = std::env::var(AUTHORITY).expect("the parent names its server");
    runtime
        .open(hostile::settings_for(&format!("http://{authority}")))
        .await
        .expect("the hostile component opens")
}

/// An attacker and a bystander on one runtime.
async fn pair(runtime: &Runtime) -> (Client, Client) {
    (open(runtime).await, open(runtime).await)
}

/// Runs `attack` (given the parent server's authority) if this process is
/// the child started for `test`; otherwise starts that child with a stalling
/// server, relays what it printed, checks that it passed and returns how many
/// connections the server accepted (`None` in the child).
fn isolated<F, Fut>(test: &str, attack: F) -> Option<usize>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let tokio = tokio::runtime::Runtime::new().unwrap();
    if std::env::var(CHILD).as_deref() == Ok(test) {
        crate::trace::capture_if_requested();
        let authority = std::env::var(AUTHORITY).unwrap();
        tokio.block_on(attack(authority));
        return None;
    }
    // Answers nothing, for longer than the child lives.
    let server = tokio.block_on(Hostile::start(|_| {
        Reply::Delayed(Duration::from_secs(300), Box::new(Reply::Reset))
    }));
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            &format!("hostile_guests::{test}"),
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD, test)
        .env(AUTHORITY, server.authority())
        .output()
        .expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    for line in stdout
        .lines()
        .filter_map(|l| l.find("hostile guest,").map(|at| &l[at..]))
    {
        println!("{line}");
    }
    assert!(
        output.status.success(),
        "the child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("hostile guest,"), "the child ran: {stdout}");
    Some(server.connections())
}

/// The hostile component, built once per process.
fn component() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let DecodedWasm::Component(resolve, world) =
            wit_component::decode(GUEST_COMPONENT).expect("the client component decodes")
        else {
            panic!("the client is a component");
        };
        // The version of the `wasi:http/types` the client imports.
        let wasi = resolve.worlds[world]
            .imports
            .keys()
            .find_map(|key| {
                let wit_parser::WorldKey::Interface(id) = key else {
                    return None;
                };
                let package = &resolve.packages[resolve.interfaces[*id].package?].name;
                (package.namespace == "wasi" && package.name == "http")
                    .then(|| package.version.clone())
                    .flatten()
            })
            .expect("the client imports wasi:http");
        let wat = WAT.replace("@WASI", &format!("@{wasi}"));
        let module = wat::parse_str(wat).expect("the hostile module assembles");
        write(
            "hostile-guest.wasm",
            &spin_guest::wrap(module, &resolve, world),
        )
    })
    .clone()
}

/// The spinning component, nested in a component that first instantiates
/// `module` `copies` times, and re-exported.
fn nested(module: &str, copies: usize) -> PathBuf {
    let inner = std::fs::read(spin_guest::component()).expect("the spin component");
    let module = wat::parse_str(module).expect("the module assembles");
    let mut outer = wasm_encoder::Component::new();
    outer.section(&RawSection {
        id: ComponentSectionId::CoreModule.into(),
        data: &module,
    });
    outer.section(&RawSection {
        id: ComponentSectionId::Component.into(),
        data: &inner,
    });
    let mut instances = InstanceSection::new();
    for _ in 0..copies {
        instances.instantiate(0, Vec::<(&str, ModuleArg)>::new());
    }
    outer.section(&instances);
    let mut guest = ComponentInstanceSection::new();
    guest.instantiate(0, Vec::<(&str, ComponentExportKind, u32)>::new());
    outer.section(&guest);
    let names = [
        "gbg:go/types@0.3.0",
        "gbg:go/client@0.3.0",
        "gbg:go/interaction-planner@0.3.0",
    ];
    let mut aliases = ComponentAliasSection::new();
    let mut exports = ComponentExportSection::new();
    for (index, name) in names.into_iter().enumerate() {
        aliases.alias(wasm_encoder::Alias::InstanceExport {
            instance: 0,
            kind: ComponentExportKind::Instance,
            name,
        });
        // Instance 0 is the guest; the aliases follow it.
        exports.export(name, ComponentExportKind::Instance, index as u32 + 1, None);
    }
    outer.section(&aliases);
    outer.section(&exports);
    let name = format!(
        "nested-{copies}-{}.wasm",
        module
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    write(&name, &outer.finish())
}

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    support::write_atomically(&path, bytes);
    path
}

/// The process's memory and open files while an attack runs: the peak
/// resident set (`VmHWM`, reset when the attack starts) and the most open
/// files, sampled every millisecond.
struct Probe {
    resident_before: usize,
    files_before: usize,
    peak_files: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    sampler: std::thread::JoinHandle<()>,
    peak_reset: bool,
}

impl Probe {
    fn start() -> Self {
        // Writing 5 to clear_refs resets VmHWM to the current resident set.
        let peak_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
        let files_before = open_files();
        let peak_files = Arc::new(AtomicUsize::new(files_before));
        let stop = Arc::new(AtomicBool::new(false));
        let sampler = {
            let (peak_files, stop) = (peak_files.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut peak_resident = 0;
                while !stop.load(Ordering::SeqCst) {
                    peak_files.fetch_max(open_files(), Ordering::SeqCst);
                    peak_resident = peak_resident.max(status_bytes("VmRSS"));
                    std::thread::sleep(Duration::from_millis(1));
                }
                PEAK_SAMPLED.store(peak_resident, Ordering::SeqCst);
            })
        };
        Self {
            resident_before: status_bytes("VmRSS"),
            files_before,
            peak_files,
            stop,
            sampler,
            peak_reset,
        }
    }

    /// Waits (up to 10 s) until `more` files beyond the start are open, then
    /// 300 ms more, to see that no more open.
    fn settle(&self, more: usize) {
        let began = Instant::now();
        while open_files() < self.files_before + more && began.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(300));
    }

    /// Prints the figures of `attack` and checks that the resident set grew
    /// by at most `memory` bytes and the open files by at most `files`.
    fn finish(self, attack: &str, memory: usize, files: usize) {
        self.stop.store(true, Ordering::SeqCst);
        self.sampler.join().unwrap();
        let peak_resident = if self.peak_reset {
            status_bytes("VmHWM")
        } else {
            PEAK_SAMPLED.load(Ordering::SeqCst)
        };
        let peak_files = self.peak_files.load(Ordering::SeqCst);
        let mib = |bytes: usize| bytes as f64 / f64::from(1 << 20);
        println!(
            "hostile guest, {attack}: peak RSS {:.1} MiB ({:.1} MiB before, bound {:.1} MiB more); \
             open files {peak_files} ({} before, bound {files} more)",
            mib(peak_resident),
            mib(self.resident_before),
            mib(memory),
            self.files_before,
        );
        assert!(
            peak_resident <= self.resident_before + memory,
            "{attack}: the resident set grew by {:.1} MiB",
            mib(peak_resident - self.resident_before)
        );
        assert!(
            peak_files <= self.files_before + files + PROBE_FILES,
            "{attack}: {} more files were open",
            peak_files - self.files_before
        );
    }
}

/// Files the probe itself may hold open while it counts them.
const PROBE_FILES: usize = 2;

/// The sampler's peak resident set, for kernels that cannot reset `VmHWM`.
static PEAK_SAMPLED: AtomicUsize = AtomicUsize::new(0);

fn open_files() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |entries| entries.count())
}

/// A `kB` field of `/proc/self/status`, in bytes.
fn status_bytes(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<usize>()
                .ok()
        })
        .map_or(0, |kib| kib * 1024)
}
