//! The command as careless, hostile and CI users call it. Round 2 of hostile input (issue
//! 19): each test in `limits.rs` and `reports.rs` is one of the cases a
//! careless or hostile user tried on `explore`, `test`, `--merge` and `--repeat`. The
//! harness never blames a guest for its own limits (`limits.rs`), and never loses or
//! garbles a report (`reports.rs`); `suites.rs` explores whole suites as a CI job does.
//! Round 3 (issue 31) brings hostile guests of its own (`probe-http`, `probe-http-server`,
//! `probe-libtest`): the HTTP side and the harness's flags (`http.rs`), hostile listings
//! and test names (`listings.rs`), and the command's files (`outputs.rs`).

use anyhow::{Context, Result, ensure};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use wouldblock_guests::{
    GUEST_SUITE, GUEST_UNIT_TESTS, PROBE, UDP_BURST, UDP_BURST_DROP, UDP_BURST_SPIN,
    UDP_BURST_STDIN, UDP_SEND, UDP_SEND_NAIVE,
};

const BIN: &str = env!("CARGO_BIN_EXE_wouldblock");

fn command(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args).env(
        "XDG_CACHE_HOME",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("cache"),
    );
    command
}

fn wouldblock(args: &[&str]) -> Result<Output> {
    command(args).output().context("running wouldblock")
}

/// A fresh, empty directory under the target dir for this test's files.
fn scratch(name: &str) -> Result<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("hostile")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn both(out: &Output) -> String {
    format!(
        "{:?}\n{}\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    )
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 paths")
}

/// Exit 2, naming the problem.
fn refused(out: &Output, needles: &[&str]) -> Result<()> {
    ensure!(
        out.status.code() == Some(2),
        "expected exit 2: {}",
        both(out)
    );
    let err = text(&out.stderr);
    for needle in needles {
        ensure!(
            err.contains(needle),
            "stderr does not say {needle:?}: {err}"
        );
    }
    ensure!(!err.contains("panicked"), "{err}");
    Ok(())
}

/// `E` of the issue: `--expect-datagrams 16 udp-burst-drop.wasm -- {peer} --count 16`.
fn e(mut before: Vec<&str>) -> Vec<&str> {
    before.extend([
        "--expect-datagrams",
        "16",
        UDP_BURST_DROP.path,
        "--",
        "{peer}",
        "--count",
        "16",
    ]);
    before
}

fn read_json(path: &Path) -> Result<serde_json::Value> {
    Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?)
}

/// A guest whose fault-free run takes `secs` seconds: a command that checks its output
/// paths first answers long before.
fn slow(secs: &str) -> Vec<&str> {
    vec!["--time-limit", secs, PROBE.path, "spin"]
}

/// Runs a command that must be refused before its guest runs: its output holds no run's
/// summary (every run ends with one: `...; faults injected N, ...`). The guest given is
/// [`slow`]'s, so a guest that ran first would also make the test slow, never pass it.
fn quickly(args: &[&str]) -> Result<Output> {
    let out = wouldblock(args)?;
    ensure!(
        !both(&out).contains("faults injected"),
        "the guest ran first: {}",
        both(&out)
    );
    Ok(out)
}

fn names(dir: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<_>>()?;
    names.sort();
    Ok(names)
}

mod findings;
mod http;
mod limits;
mod listings;
mod outputs;
mod reports;
mod suites;
