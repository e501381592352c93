//! The compile cache holds native code that would run in the process holding
//! the credentials: a replaced entry is compiled again, never run.

use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use gbg_go_host::{ComponentSource, Runtime, RuntimeOptions};

use crate::{spin_guest, support, trace};

fn runtime(component: ComponentSource, cache: &Path) -> Runtime {
    Runtime::new(RuntimeOptions {
        component,
        compile_cache: Some(cache.to_owned()),
        ..RuntimeOptions::default()
    })
    .expect("the component loads")
}

/// The cache entries in `cache`.
fn entries(cache: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(cache)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    entries.sort();
    entries
}

/// The file that holds the tag of `entry`.
fn tag(entry: &Path) -> PathBuf {
    PathBuf::from(format!("{}.tag", entry.display()))
}

fn mode(path: &Path) -> u32 {
    path.symlink_metadata().unwrap().permissions().mode() & 0o777
}

/// Runs `load` and returns what it logged.
fn logged<T>(load: impl FnOnce() -> T) -> (T, String) {
    let (logs, capture) = trace::capture_here(tracing::Level::WARN);
    let value = load();
    drop(capture);
    (value, logs.text())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replaced_cache_entry_is_compiled_again_not_run() {
    let folder = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let cache = folder.path().join("cache");
    // Another component's entry, then the embedded component's.
    runtime(ComponentSource::File(spin_guest::component()), &cache);
    let [spinning] = &entries(&cache)[..] else {
        panic!("one entry");
    };
    let spinning = spinning.clone();
    runtime(ComponentSource::Embedded, &cache);
    let entry = entries(&cache)
        .into_iter()
        .find(|e| *e != spinning)
        .expect("the embedded component's entry");
    assert_eq!(mode(&cache), 0o700, "the cache folder is private");
    assert_eq!(mode(&entry), 0o600, "an entry is the user's alone");
    assert_eq!(mode(&tag(&entry)), 0o600, "so is its tag");
    let spinning_bytes = std::fs::read(&spinning).unwrap();

    type Tamper = fn(&Path, &Path);
    let tampers: [(&str, Tamper); 4] = [
        (
            "the other component's compiled form copied over it",
            |entry, other| {
                std::fs::copy(other, entry).unwrap();
            },
        ),
        (
            "the other component's entry and tag copied over it",
            |entry, other| {
                std::fs::copy(other, entry).unwrap();
                std::fs::copy(tag(other), tag(entry)).unwrap();
            },
        ),
        ("its own bytes written again in place", |entry, _| {
            let bytes = std::fs::read(entry).unwrap();
            std::fs::write(entry, bytes).unwrap();
        }),
        (
            "a symbolic link to the other component's entry",
            |entry, other| {
                std::fs::remove_file(entry).unwrap();
                symlink(other, entry).unwrap();
            },
        ),
    ];
    let simulator = support::simulator().await;
    for (tamper, replace) in tampers {
        replace(&entry, &spinning);
        let (loaded, log) = logged(|| runtime(ComponentSource::Embedded, &cache));
        assert!(
            log.contains("WARN") && log.contains("compile cache entry not trusted"),
            "{tamper}: no warning:\n{log}"
        );
        // The spinning component would never finish authenticating.
        let mut client = loaded.open(support::settings(&simulator)).await.unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(30), client.authenticate())
            .await
            .unwrap_or_else(|_| panic!("{tamper}: the cached code ran"))
            .unwrap_or_else(|e| panic!("{tamper}: {e}"));
        let metadata = entry.symlink_metadata().unwrap();
        assert!(
            metadata.is_file(),
            "{tamper}: the entry was replaced by a file"
        );
        assert_eq!(mode(&entry), 0o600, "{tamper}");
        assert_eq!(
            std::fs::read(&spinning).unwrap(),
            spinning_bytes,
            "{tamper}: the link's target was not written through"
        );
        // The rewritten entry is trusted again.
        let (_, log) = logged(|| runtime(ComponentSource::Embedded, &cache));
        assert!(!log.contains("WARN"), "{tamper}: {log}");
    }
}

/// A cache folder `name` that exists already with permissions `mode`, in a
/// temporary folder removed on drop.
fn existing_folder(name: &str, mode: u32) -> (tempfile::TempDir, PathBuf) {
    let folder = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let cache = folder.path().join(name);
    std::fs::create_dir(&cache).unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(mode)).unwrap();
    (folder, cache)
}

#[test]
fn a_cache_folder_other_users_can_write_is_not_used() {
    let (_folder, cache) = existing_folder("shared", 0o777);

    let (_loaded, log) = logged(|| runtime(ComponentSource::File(spin_guest::component()), &cache));
    assert!(
        log.contains("compile cache not used") && log.contains("writable by other users"),
        "{log}"
    );
    assert!(entries(&cache).is_empty(), "nothing was written there");
}

#[test]
fn an_existing_cache_folder_of_the_user_is_made_private() {
    let (_folder, cache) = existing_folder("readable", 0o755);

    runtime(ComponentSource::File(spin_guest::component()), &cache);
    assert_eq!(mode(&cache), 0o700);
    assert_eq!(entries(&cache).len(), 1);
}

/// A loaded entry is mapped, so replacing it must leave a running client's
/// code alone: the host replaces entries by a rename, never in place.
#[tokio::test(flavor = "multi_thread")]
async fn a_client_keeps_running_while_its_entry_is_replaced() {
    let folder = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let cache = folder.path().join("cache");
    runtime(ComponentSource::Embedded, &cache);
    let [entry] = &entries(&cache)[..] else {
        panic!("one entry");
    };
    let (loaded, log) = logged(|| runtime(ComponentSource::Embedded, &cache));
    assert!(!log.contains("WARN"), "loaded from the cache: {log}");
    let simulator = support::simulator().await;
    let mut client = loaded.open(support::settings(&simulator)).await.unwrap();
    let inode = |path: &Path| path.metadata().unwrap().ino();
    let mapped = inode(entry);

    // A tag that no longer matches makes the next runtime compile again
    // and write a new entry under the same name.
    std::fs::write(tag(entry), [0; 32]).unwrap();
    let (_replacing, log) = logged(|| runtime(ComponentSource::Embedded, &cache));
    assert!(log.contains("compile cache entry not trusted"), "{log}");
    assert_ne!(
        inode(entry),
        mapped,
        "the entry was replaced, not rewritten"
    );

    client
        .authenticate()
        .await
        .expect("the mapped code still runs");
    let mut fresh = loaded.open(support::settings(&simulator)).await.unwrap();
    fresh.authenticate().await.expect("and still instantiates");
}
