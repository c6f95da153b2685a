//! The committed C components are what `guest/c/build.sh` builds from the files beside
//! them: `guest/c/built-from.txt` records the hash of every input (sources, headers,
//! flags, the clang that built them, the Rust toolchain that gave libc.a and the linkers)
//! and of every component, and these tests recompute both. A C source changed without
//! the components being built again fails here, in the ordinary `cargo test`; CI also
//! rebuilds them with clang and fails if a byte differs.

use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const REBUILD: &str = "run `bash guest/c/build.sh` (needs Debian's clang-14 and \
                       libclang-rt-14-dev-wasm32) and commit guest/c";

fn c_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest/c")
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `built-from.txt`'s line starting with `key: `, without the key.
fn recorded<'a>(record: &'a str, key: &str) -> Vec<&'a str> {
    let prefix = format!("{key}: ");
    record
        .lines()
        .filter_map(|line| line.strip_prefix(&prefix))
        .collect()
}

/// Every file under `dir` (relative, `/`-separated) but the components, the docs and the
/// record itself.
fn files(dir: &Path, rel: &str, out: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir.join(rel))
        .expect("guest/c is readable")
        .map(|e| e.expect("a directory entry"))
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let kind = entry.file_type().expect("a file type");
        if kind.is_dir() {
            files(dir, &path, out);
        } else if kind.is_file()
            && !name.ends_with(".wasm")
            && !name.ends_with(".md")
            && name != "built-from.txt"
        {
            out.push(path);
        }
    }
}

/// The inputs hash as build.sh computes it: the sha256 of the clang line followed by
/// `sha256  path` for every input (`find`, then `LC_ALL=C sort`, then `sha256sum`), paths
/// relative to `dir`, the toolchain file as `../../rust-toolchain.toml`.
fn inputs_hash(dir: &Path, clang: &str) -> String {
    let mut paths = Vec::new();
    files(dir, "", &mut paths);
    paths.push("../../rust-toolchain.toml".into());
    paths.sort();
    let mut text = format!("clang: {clang}\n");
    for path in paths {
        let bytes = std::fs::read(dir.join(&path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        text.push_str(&format!("{}  {path}\n", sha256(&bytes)));
    }
    sha256(text.as_bytes())
}

fn record() -> String {
    std::fs::read_to_string(c_dir().join("built-from.txt"))
        .unwrap_or_else(|e| panic!("guest/c/built-from.txt: {e}: {REBUILD}"))
}

#[test]
fn the_components_were_built_from_the_sources_headers_and_flags_beside_them() {
    let record = record();
    let clang = recorded(&record, "clang");
    let inputs = recorded(&record, "inputs");
    assert!(
        clang.len() == 1 && inputs.len() == 1,
        "a malformed record: {REBUILD}"
    );
    let now = inputs_hash(&c_dir(), clang[0]);
    assert!(
        now == inputs[0],
        "guest/c changed since its components were built (inputs {} recorded, {now} now): \
         {REBUILD}",
        inputs[0]
    );
}

#[test]
fn every_component_is_the_one_recorded_and_every_program_has_one() {
    let dir = c_dir();
    let record = record();
    let mut recorded_names = BTreeSet::new();
    for line in recorded(&record, "component") {
        let (hash, file) = line.split_once(' ').expect("`component: HASH FILE`");
        let bytes = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            sha256(&bytes),
            hash,
            "guest/c/{file} is not the one built: {REBUILD}"
        );
        recorded_names.insert(file.to_string());
    }
    let listed: BTreeSet<String> = std::fs::read_to_string(dir.join("programs"))
        .expect("guest/c/programs")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next())
        .map(|name| format!("{name}.wasm"))
        .collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("guest/c")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".wasm"))
        .collect();
    assert_eq!(
        recorded_names, listed,
        "built-from.txt against programs: {REBUILD}"
    );
    assert_eq!(
        on_disk, listed,
        "the .wasm files against programs: {REBUILD}"
    );
}

/// The check itself: a copy of guest/c with one byte of a source changed hashes
/// differently, and an unchanged copy the same.
#[test]
fn a_changed_source_changes_the_inputs_hash() {
    let copy = std::env::temp_dir().join(format!("wouldblock-c-check-{}", std::process::id()));
    let c = copy.join("guest/c");
    let _ = std::fs::remove_dir_all(&copy);
    copy_dir(&c_dir(), &c);
    let toolchain = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rust-toolchain.toml");
    std::fs::copy(toolchain, copy.join("rust-toolchain.toml")).expect("copy the toolchain file");
    let same = inputs_hash(&c, "x");
    assert_eq!(same, inputs_hash(&c_dir(), "x"));
    let source = c.join("tcp-server.c");
    let mut text = std::fs::read_to_string(&source).expect("tcp-server.c");
    text.push('\n');
    std::fs::write(&source, text).expect("write the copy");
    assert_ne!(inputs_hash(&c, "x"), same);
    assert_ne!(inputs_hash(&c_dir(), "y"), inputs_hash(&c_dir(), "x"));
    let _ = std::fs::remove_dir_all(&copy);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the copy");
    for entry in std::fs::read_dir(from).expect("read guest/c") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy a file");
        }
    }
}
