//! Builds the guest scenario programs (guest/src/bin/*.rs) for wasm32-wasip2 with a nested
//! cargo in its own target directory, and generates one constant per program
//! and a `foreach_guest!` macro over them (the wasmtime test-programs pattern).

use anyhow::{Context, Result, bail};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() -> Result<()> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let root = manifest_dir.parent().context("host/ has a parent")?;
    let guest = root.join("guest");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    for path in ["guest/src", "guest/Cargo.toml", "guest/Cargo.lock", "wit"] {
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
            "--no-run",
            "--message-format=json",
        ],
    )?;
    let executable = |target: &str| {
        json.lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|msg| msg["target"]["name"] == target)
            .find_map(|msg| msg.get("executable")?.as_str().map(str::to_string))
            .with_context(|| format!("the nested `cargo test --no-run` built no {target}"))
    };
    let unit_tests = executable("wouldblock_guest")?;
    let suite = executable("suite")?;

    let mut programs: Vec<PathBuf> = std::fs::read_dir(guest.join("src/bin"))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    programs.sort();
    let mut out = String::new();
    let mut names = Vec::new();
    let mut modules = Vec::new();
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
        modules.push(name.replace('-', "_"));
    }
    writeln!(
        out,
        "/// The guest library's unit tests, built as a wasm32-wasip2 libtest component.\n\
         pub const GUEST_UNIT_TESTS: &str = {unit_tests:?};\n\
         /// `guest/tests/suite.rs`: passing, panicking, ignored and fault-sensitive tests.\n\
         pub const GUEST_SUITE: &str = {suite:?};"
    )?;
    writeln!(
        out,
        "/// Every bundled program, by name.\npub const ALL: &[BundledGuest] = &[{}];",
        names.join(", ")
    )?;
    // wasmtime's test-programs pattern: the race tests expand this with a macro that
    // names a module per program, so a program without tests does not compile.
    let calls: String = modules
        .iter()
        .map(|m| format!("        $mac!({m});\n"))
        .collect();
    writeln!(
        out,
        "/// Calls `$mac!(module)` once per bundled program (`udp-send` is `udp_send`).\n\
         #[macro_export]\nmacro_rules! foreach_guest {{\n    ($mac:ident) => {{\n{calls}    }};\n}}"
    )?;
    std::fs::write(out_dir.join("guests.rs"), out)?;
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
