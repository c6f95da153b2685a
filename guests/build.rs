//! Builds the guest scenario programs (guest/src/bin/*.rs) and the guest's libtest
//! components for wasm32-wasip2 with a nested cargo in its own target directory, generates
//! one constant per program and the `foreach_*!` macros over them, and reruns when a file
//! the nested cargo's dep-info names changes (wasmtime's crates/test-programs/artifacts).
//! The C programs (guest/c/programs) are not compiled here: their components are committed
//! beside their sources (guest/c/build.sh needs clang), and embedded as they are.

use anyhow::{Context, Result, bail};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() -> Result<()> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let root = manifest_dir.parent().context("guests/ has a parent")?;
    let guest = root.join("guest");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    // What the dep-info below cannot name: the manifest and lock file (dependencies, new
    // targets), the WIT (a new file in it), and guest/src/bin, which this script lists to
    // find the programs (a new one there is built by no earlier run).
    for path in [
        "guest/Cargo.toml",
        "guest/Cargo.lock",
        "guest/src/bin",
        "wit",
        "guest/c",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(path).display());
    }

    ensure_target()?;
    let target_dir = out_dir.join("guest-target");
    nested_cargo(&guest, &target_dir, &["build", "--release", "--bins"])?;
    // The guest library's own unit tests and the `suite` libtest crate, as libtest
    // components for the harness to run the way a cargo runner would.
    let json = nested_cargo(
        &guest,
        &target_dir,
        &[
            "test",
            "--release",
            "--lib",
            "--test",
            "suite",
            "--test",
            "flaky",
            "--test",
            "shared",
            "--no-run",
            "--message-format=json",
        ],
    )?;
    let executable = |target: &str| {
        json.lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|msg| msg["target"]["name"] == target)
            .find_map(|msg| msg.get("executable")?.as_str().map(PathBuf::from))
            .with_context(|| format!("the nested `cargo test --no-run` built no {target}"))
    };
    let unit_tests = executable("wouldblock_guest")?;
    let suite = executable("suite")?;
    let flaky = executable("flaky")?;
    let shared = executable("shared")?;
    let mut deps = BTreeSet::new();
    for test in [&unit_tests, &suite, &flaky, &shared] {
        read_deps(test, &guest, &mut deps)?;
    }

    let mut programs: Vec<PathBuf> = std::fs::read_dir(guest.join("src/bin"))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    programs.sort();
    let mut out = String::new();
    let mut names = Vec::new();
    let mut modules = Vec::new();
    let mut kinds: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for source in programs
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
    {
        let name = source
            .file_stem()
            .context("program name")?
            .to_string_lossy()
            .into_owned();
        let wasm = target_dir
            .join("wasm32-wasip2/release")
            .join(format!("{name}.wasm"));
        read_deps(&wasm, &guest, &mut deps)?;
        let summary = summary(source)?;
        let constant = name.to_uppercase().replace('-', "_");
        writeln!(
            out,
            "/// `{name}`: {summary}\npub const {constant}: BundledGuest = BundledGuest {{ \
             name: {name:?}, summary: {summary:?}, path: {path:?}, \
             wasm: include_bytes!({path:?}) }};",
            path = wasm.display().to_string(),
        )?;
        names.push(constant);
        let module = name.replace('-', "_");
        if let Some(kind) = kind(&name)? {
            kinds.entry(kind).or_default().push(module.clone());
        }
        modules.push(module);
    }
    // The C programs, after the Rust ones: committed components, nothing to build.
    let mut c_modules = Vec::new();
    for program in c_programs(&root.join("guest/c"))? {
        let constant = program.name.to_uppercase().replace('-', "_");
        writeln!(
            out,
            "/// `{name}` (C): {summary}\npub const {constant}: BundledGuest = BundledGuest {{ \
             name: {name:?}, summary: {summary:?}, path: {path:?}, \
             wasm: include_bytes!({path:?}) }};",
            name = program.name,
            summary = program.summary,
            path = program.wasm.display().to_string(),
        )?;
        names.push(constant);
        let module = program.name.replace('-', "_");
        if let Some(kind) = kind(&program.name)? {
            kinds.entry(kind).or_default().push(module.clone());
        }
        c_modules.push(module.clone());
        modules.push(module);
    }
    // Every file the guests were built from, as the nested cargo saw them: an edit to any
    // of them rebuilds the guests, an edit anywhere else does not.
    for dep in &deps {
        println!("cargo:rerun-if-changed={}", dep.display());
    }
    writeln!(
        out,
        "/// The guest library's unit tests, built as a wasm32-wasip2 libtest component.\n\
         pub const GUEST_UNIT_TESTS: &str = {unit_tests:?};\n\
         /// `guest/tests/suite.rs`: passing, panicking, ignored and fault-sensitive tests.\n\
         pub const GUEST_SUITE: &str = {suite:?};\n\
         /// `guest/tests/flaky.rs`: a steady test and one whose path moves from run to run.\n\
         pub const GUEST_FLAKY: &str = {flaky:?};\n\
         /// `guest/tests/shared.rs`: two tests counting on a server at `COUNTER_ADDR`, one\n\
         /// with a fixed key, one with a key of its own run's.\n\
         pub const GUEST_SHARED: &str = {shared:?};",
        unit_tests = unit_tests.display().to_string(),
        suite = suite.display().to_string(),
        flaky = flaky.display().to_string(),
        shared = shared.display().to_string(),
    )?;
    writeln!(
        out,
        "/// Every bundled program, by name.\npub const ALL: &[BundledGuest] = &[{}];",
        names.join(", ")
    )?;
    // wasmtime's test-programs pattern: the race tests expand these with a macro that
    // names a module per program, so a program without tests does not compile.
    foreach(
        &mut out,
        "guest",
        "every bundled program (`udp-send` is `udp_send`)",
        &modules,
    )?;
    foreach(
        &mut out,
        "udp",
        "every UDP program (`udp-*`, `std-udp-*`)",
        &kinds.remove("udp").unwrap_or_default(),
    )?;
    foreach(
        &mut out,
        "tcp",
        "every TCP program (`tcp-*`)",
        &kinds.remove("tcp").unwrap_or_default(),
    )?;
    foreach(
        &mut out,
        "http",
        "every wasi:http program (`http-*`)",
        &kinds.remove("http").unwrap_or_default(),
    )?;
    foreach(
        &mut out,
        "c",
        "every C program (guest/c/programs; each is in a kind above too)",
        &c_modules,
    )?;
    foreach(
        &mut out,
        "suite",
        "every libtest component ([`GUEST_UNIT_TESTS`] is `guest_unit_tests`)",
        &["guest_unit_tests".into(), "guest_suite".into()],
    )?;
    std::fs::write(out_dir.join("guests.rs"), out)?;
    Ok(())
}

/// The programs in none of `foreach_udp!`, `foreach_tcp!` and `foreach_http!`: `probe` probes the harness
/// itself (environment, memory, stack, output, socket limits) over both protocols;
/// `probe-http`, `probe-http-server` and `probe-libtest` are hostile HTTP clients, servers
/// and test binaries (host/tests/hostile).
const NEITHER: &[&str] = &["probe", "probe-http", "probe-http-server", "probe-libtest"];

/// The `foreach_*!` kind of a program, by its name's prefix. A name that fits none and is
/// not in [`NEITHER`] stops the build: a new program is put in a kind on purpose (as
/// wasmtime's artifacts build script does with its test names).
fn kind(name: &str) -> Result<Option<&'static str>> {
    if name.starts_with("udp-") || name.starts_with("std-udp") {
        Ok(Some("udp"))
    } else if name.starts_with("tcp-") {
        Ok(Some("tcp"))
    } else if name.starts_with("http-") {
        Ok(Some("http"))
    } else if NEITHER.contains(&name) {
        Ok(None)
    } else {
        bail!(
            "guest/src/bin/{name}.rs: name it udp-*, std-udp-*, tcp-* or http-*, or add it to \
             NEITHER in guests/build.rs"
        )
    }
}

/// One line of guest/c/programs, with what the build needs of it.
struct CProgram {
    name: String,
    summary: String,
    wasm: PathBuf,
}

/// The C programs listed in `dir/programs` (`NAME SOURCE FLAGS...`, `#` comments), each
/// with the `//! NAME: sentence` of its source as its summary and `dir/NAME.wasm`, the
/// component guest/c/build.sh left there.
fn c_programs(dir: &Path) -> Result<Vec<CProgram>> {
    let list = dir.join("programs");
    let text =
        std::fs::read_to_string(&list).with_context(|| format!("reading {}", list.display()))?;
    let mut programs = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let mut fields = line.split_whitespace();
        let (Some(name), Some(source)) = (fields.next(), fields.next()) else {
            bail!("{}: `{line}` is not `NAME SOURCE FLAGS...`", list.display());
        };
        let source = dir.join(source);
        let text = std::fs::read_to_string(&source)
            .with_context(|| format!("reading {}", source.display()))?;
        let prefix = format!("//! {name}: ");
        let summary = text
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .with_context(|| format!("{} has no `{prefix}...` line", source.display()))?;
        let wasm = dir.join(format!("{name}.wasm"));
        if !wasm.is_file() {
            bail!(
                "{} is missing: run guest/c/build.sh (needs clang-14)",
                wasm.display()
            );
        }
        programs.push(CProgram {
            name: name.to_string(),
            summary: summary.trim().to_string(),
            wasm,
        });
    }
    Ok(programs)
}

/// Writes `foreach_{kind}!`, which calls `$mac!(module)` once per module.
fn foreach(out: &mut String, kind: &str, what: &str, modules: &[String]) -> Result<()> {
    let calls: String = modules
        .iter()
        .map(|m| format!("        $mac!({m});\n"))
        .collect();
    writeln!(
        out,
        "/// Calls `$mac!(module)` once for {what}.\n\
         #[macro_export]\nmacro_rules! foreach_{kind} {{\n    ($mac:ident) => {{\n{calls}    }};\n}}"
    )?;
    Ok(())
}

/// Adds the files `artifact` was built from to `deps`, from the dep-info (`.d`) file the
/// nested cargo left beside it: a Makefile rule `artifact: file file...`, spaces in a name
/// escaped with `\`. rustc's own files (under deps/) name files relative to the package,
/// cargo's copies next to the binaries name them absolutely.
/// <https://doc.rust-lang.org/cargo/reference/build-cache.html#dep-info-files>
fn read_deps(artifact: &Path, guest: &Path, deps: &mut BTreeSet<PathBuf>) -> Result<()> {
    let dep_info = artifact.with_extension("d");
    let text = std::fs::read_to_string(&dep_info)
        .with_context(|| format!("reading {}", dep_info.display()))?;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((_, files)) = line.split_once(": ") else {
            continue;
        };
        let mut parts = files.split_whitespace();
        while let Some(part) = parts.next() {
            let mut file = part.to_string();
            while file.ends_with('\\') {
                file.pop();
                file.push(' ');
                file.push_str(parts.next().unwrap_or_default());
            }
            deps.insert(guest.join(file));
        }
    }
    Ok(())
}

/// The guests need the wasm32-wasip2 target. rust-toolchain.toml names it, but rustup does
/// not install it where auto-install is off (`RUSTUP_AUTO_INSTALL=0`): install it here, for
/// the toolchain this build runs on, or fail at once with the command that would.
fn ensure_target() -> Result<()> {
    const TARGET: &str = "wasm32-wasip2";
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .with_context(|| format!("running `{rustc} --print sysroot`"))?;
    let sysroot = PathBuf::from(String::from_utf8(sysroot.stdout)?.trim());
    if sysroot.join("lib/rustlib").join(TARGET).exists() {
        return Ok(());
    }
    let mut rustup = Command::new("rustup");
    rustup.args(["target", "add", TARGET]);
    if let Ok(toolchain) = std::env::var("RUSTUP_TOOLCHAIN") {
        rustup.args(["--toolchain", &toolchain]);
    }
    println!("cargo:warning=the {TARGET} target is missing: running `rustup target add {TARGET}`");
    match rustup.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => bail!(
            "`rustup target add {TARGET}` failed ({status}); run it yourself, then build again"
        ),
        Err(_) => bail!(
            "the {TARGET} target is not installed for {} and rustup was not found; install \
             the target for this toolchain (with rustup: `rustup target add {TARGET}`)",
            sysroot.display()
        ),
    }
}

/// Runs cargo for wasm32-wasip2 in `guest/` with its own target dir; returns its stdout.
fn nested_cargo(guest: &Path, target_dir: &Path, args: &[&str]) -> Result<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(guest)
        .args(args)
        .args(["--target", "wasm32-wasip2", "--target-dir"])
        .arg(target_dir)
        .stderr(std::process::Stdio::inherit());
    // The outer build's flags and wrappers (clippy, coverage, a wasm runner) are for the
    // host, not for the guest.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_MAKEFLAGS",
        "CARGO_TARGET_WASM32_WASIP2_RUNNER",
    ] {
        cmd.env_remove(var);
    }
    let output = cmd.output().context("running a nested cargo for guest/")?;
    if !output.status.success() {
        bail!(
            "`cargo {}` of guest/ for wasm32-wasip2 failed ({}); is the target installed? \
             run `rustup target add wasm32-wasip2`",
            args.join(" "),
            output.status
        );
    }
    Ok(String::from_utf8(output.stdout)?)
}

/// The first `//!` sentence of a program: what it asserts.
fn summary(source: &Path) -> Result<String> {
    let text = std::fs::read_to_string(source)?;
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("//!"))
        .with_context(|| {
            format!(
                "{} must open with a `//!` sentence saying what it asserts",
                source.display()
            )
        })?;
    Ok(line.trim().to_string())
}
