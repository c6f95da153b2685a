//! `cargo wouldblock`: a package's tests under the harness in one command.
//!
//! ```text
//! cargo wouldblock test    [CARGO OPTIONS] [WOULDBLOCK OPTIONS] [-- TEST ARGS]
//! cargo wouldblock explore [CARGO OPTIONS] [WOULDBLOCK OPTIONS] [-- TEST ARGS]
//! cargo wouldblock merge   [--report-dir DIR] SHARD_DIR...
//! ```
//!
//! It builds the package's tests for `wasm32-wasip2` (`cargo test --no-run`, the target
//! added where it is missing), runs `wouldblock test` or `wouldblock explore` on every test
//! binary with the options given, and writes each binary's JUnit, HTML (and for `explore`
//! JSON and plan files) under `target/wouldblock/`, named after the binary, with
//! `summary.json` for the package. The status covers every binary. `merge` joins the
//! report folders of `explore --shard I/N` runs (one per CI job) binary by binary.

mod build;
mod config;
mod setup;
mod split;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The usage, for `--help` and for a call without a command.
const USAGE: &str = "\
cargo wouldblock: a package's tests for wasm32-wasip2 under the wouldblock harness

usage:
  cargo wouldblock test    [CARGO OPTIONS] [WOULDBLOCK OPTIONS] [-- TEST ARGS]
  cargo wouldblock explore [CARGO OPTIONS] [WOULDBLOCK OPTIONS] [-- TEST ARGS]
  cargo wouldblock merge   [--report-dir DIR] SHARD_DIR...

`explore --shard I/N` explores one slice (one CI job each); `merge` joins the shards'
report folders, binary by binary, into the reports one whole exploration gives.

cargo options (passed to `cargo test --no-run --target wasm32-wasip2`):
  -p, --package SPEC, --workspace, --lib, --tests, --test NAME, -F, --features LIST,
  --all-features, --no-default-features, --release, --manifest-path PATH,
  --target-dir DIR, --locked, --offline, --frozen
  --tokio-unstable     build with `--cfg tokio_unstable` (tokio's `net` on wasip2 needs it)

own options:
  --report-dir DIR     where the reports go (default: TARGET_DIR/wouldblock)
  --profile NAME       the profile of .config/wouldblock.toml at the workspace root
                       (default: `default`): options, environment, and the [[setup]]
                       servers started before the tests and stopped after them

every other option is wouldblock's (`wouldblock test --help`, `wouldblock explore --help`);
the words after `--` are libtest's, for every test binary.";

fn main() -> ExitCode {
    match run() {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(error) => {
            eprintln!("cargo-wouldblock: error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// One test binary's run, as `summary.json` lists it.
#[derive(Serialize)]
struct BinaryRun {
    /// The name its reports carry.
    name: String,
    /// The test binary.
    executable: PathBuf,
    /// `wouldblock`'s exit status.
    status: i32,
    /// Its report files.
    reports: Vec<PathBuf>,
}

/// `summary.json`: the package's binaries and the status that covers them.
#[derive(Serialize)]
struct Summary<'a> {
    command: &'a str,
    status: i32,
    binaries: &'a [BinaryRun],
}

fn run() -> Result<i32> {
    // cargo runs `cargo-wouldblock wouldblock ARGS`; called directly, the word is absent.
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "wouldblock") {
        args.remove(0);
    }
    let Some(command) = args.first().cloned() else {
        println!("{USAGE}");
        return Ok(2);
    };
    match command.as_str() {
        "test" | "explore" => {}
        "merge" => return merge(&args[1..]),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            return Ok(0);
        }
        other => bail!("unknown command {other:?}: `cargo wouldblock test`, `explore` or `merge`"),
    }
    let mut split = split::split(&args[1..])?;
    setup::outlive_signals();
    let root = build::workspace_root(&split)?;
    let chosen = config::choose(&root, split.profile.as_deref(), &split.wouldblock)?;
    split.tokio_unstable |= chosen.tokio_unstable;
    build::ensure_target()?;
    let built = build::test_binaries(&split)?;
    if built.binaries.is_empty() {
        bail!("cargo built no test binary for wasm32-wasip2 (the options select none)");
    }
    let dir = split
        .report_dir
        .clone()
        .unwrap_or_else(|| built.target_dir.join("wouldblock"));
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("--report-dir {}: cannot create it", dir.display()))?;
    let wouldblock = wouldblock_binary();
    // Stopped when this function returns, however it returns.
    let servers = setup::start(&chosen.setups, &chosen.root, &dir)?;
    let mut before: Vec<String> = chosen
        .args
        .iter()
        .chain(&servers.env_args)
        .cloned()
        .collect();
    let explores = command == "explore" || split.wouldblock.iter().any(|a| a == "--explore");
    if let Some(file) = chosen.allow_file.as_ref().filter(|_| explores) {
        before.extend(["--allow-file".into(), file.display().to_string()]);
    }
    let mut runs = Vec::new();
    for binary in &built.binaries {
        let run = run_binary(&wouldblock, &command, (&before, &split), binary, &dir)?;
        let interrupted = matches!(run.status, 130 | 143);
        runs.push(run);
        if interrupted {
            break;
        }
    }
    summarise(&command, &runs, &dir)
}

/// Writes `summary.json`, prints each binary's status; the package's status.
fn summarise(command: &str, runs: &[BinaryRun], dir: &Path) -> Result<i32> {
    let status = package_status(runs.iter().map(|r| r.status));
    let summary = Summary {
        command,
        status,
        binaries: runs,
    };
    let path = dir.join("summary.json");
    let text = serde_json::to_string_pretty(&summary)? + "\n";
    write_whole(&path, text.as_bytes())?;
    println!(
        "\ncargo-wouldblock: {} test binaries, status {status}",
        runs.len()
    );
    for run in runs {
        println!("  {:>3}  {}", run.status, run.name);
    }
    println!("  reports in {}", dir.display());
    Ok(status)
}

/// The workspace's config file, when it acknowledges findings (checked).
fn merged_allows() -> Result<Option<PathBuf>> {
    let Ok(root) = build::workspace_root(&split::Split::default()) else {
        return Ok(None);
    };
    Ok(config::choose(&root, None, &[])?.allow_file)
}

/// `merge SHARD_DIR...`: for each binary the shards' summaries name, `wouldblock explore
/// --merge` of its shard reports, into the reports of one whole exploration.
fn merge(args: &[String]) -> Result<i32> {
    let mut shards = Vec::new();
    let mut report_dir = PathBuf::from("target/wouldblock");
    let mut words = args.iter();
    while let Some(word) = words.next() {
        match word.as_str() {
            "--report-dir" => match words.next() {
                Some(dir) => report_dir = PathBuf::from(dir),
                None => bail!("--report-dir needs a value"),
            },
            flag if flag.starts_with('-') => bail!("merge: unknown option {flag}"),
            dir => shards.push(PathBuf::from(dir)),
        }
    }
    if shards.is_empty() {
        bail!("merge: give the report folders of the shards (`explore --shard I/N` each)");
    }
    // Every binary any shard explored; each must be in every shard.
    let mut names = std::collections::BTreeSet::new();
    for shard in &shards {
        let path = shard.join("summary.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{}: not a shard's report folder", path.display()))?;
        let summary: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{}: not cargo wouldblock's summary", path.display()))?;
        let binaries = summary["binaries"].as_array().cloned().unwrap_or_default();
        names.extend(
            binaries
                .iter()
                .filter_map(|b| b["name"].as_str().map(String::from)),
        );
    }
    std::fs::create_dir_all(&report_dir)
        .with_context(|| format!("--report-dir {}: cannot create it", report_dir.display()))?;
    let wouldblock = wouldblock_binary();
    let allow_file = merged_allows()?;
    let mut runs = Vec::new();
    for name in names {
        let mut cmd = Command::new(&wouldblock);
        cmd.args(["explore", "--merge"]);
        // The shards' acknowledgements are made again on the whole, from the same file.
        if let Some(file) = &allow_file {
            cmd.arg("--allow-file").arg(file);
        }
        for shard in &shards {
            let report = shard.join(format!("{name}.json"));
            if !report.is_file() {
                bail!(
                    "{}: missing (binary {name} of another shard)",
                    report.display()
                );
            }
            cmd.arg(report);
        }
        let reports = report_args(&mut cmd, &report_dir, &name, true);
        println!("\n     Merging {name} ({} shards)", shards.len());
        let status = run_to_end(&mut cmd, &wouldblock)?;
        runs.push(BinaryRun {
            name,
            executable: PathBuf::new(),
            status,
            reports,
        });
    }
    summarise("merge", &runs, &report_dir)
}

/// The `wouldblock` beside this binary (`cargo install` puts both in one folder), or the
/// one on the PATH.
fn wouldblock_binary() -> PathBuf {
    let beside = std::env::current_exe()
        .ok()
        .map(|exe| exe.with_file_name("wouldblock"))
        .filter(|path| path.is_file());
    beside.unwrap_or_else(|| PathBuf::from("wouldblock"))
}

/// Runs `wouldblock COMMAND` on one test binary, its reports named after it.
fn run_binary(
    wouldblock: &Path,
    command: &str,
    (profile, split): (&[String], &split::Split),
    binary: &build::TestBinary,
    dir: &Path,
) -> Result<BinaryRun> {
    let mut cmd = Command::new(wouldblock);
    cmd.arg(command);
    let explores = command == "explore" || split.wouldblock.iter().any(|a| a == "--explore");
    let reports = report_args(&mut cmd, dir, &binary.name, explores);
    // The profile's options first: the user's own come after, and win.
    cmd.args(profile)
        .args(&split.wouldblock)
        .arg(&binary.executable);
    cmd.args(&split.test_args);
    println!(
        "\n     Running {} ({})",
        binary.name,
        binary.executable.display()
    );
    let code = run_to_end(&mut cmd, wouldblock)?;
    Ok(BinaryRun {
        name: binary.name.clone(),
        executable: binary.executable.clone(),
        status: code,
        reports,
    })
}

/// Adds one binary's report files to `cmd`, named after it in `dir`: JUnit and HTML, and
/// for an exploration JSON and the plan files' folder; returns their paths.
fn report_args(cmd: &mut Command, dir: &Path, name: &str, explores: bool) -> Vec<PathBuf> {
    let at = |ext: &str| dir.join(format!("{name}.{ext}"));
    let mut reports = vec![("--junit", at("xml")), ("--html", at("html"))];
    if explores {
        reports.push(("--json", at("json")));
        // The folder is this command's: a new exploration replaces the last one's plans.
        reports.push(("--out", dir.join(format!("{name}-findings"))));
        cmd.arg("--force");
    }
    for (flag, path) in &reports {
        cmd.arg(flag).arg(path);
    }
    reports.into_iter().map(|(_, path)| path).collect()
}

/// Runs `cmd` (a `wouldblock` command) to its end; its status, a signal's as a shell
/// gives it (128 + its number).
fn run_to_end(cmd: &mut Command, wouldblock: &Path) -> Result<i32> {
    let status =
        setup::run_child(cmd).with_context(|| format!("cannot run {}", wouldblock.display()))?;
    Ok(status.code().unwrap_or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        128 + status.signal().unwrap_or(0)
    }))
}

/// The status that covers every binary: the first that is neither 0, 92 (flaky) nor 93
/// (only transient errors given up on), else 93 if a binary had such findings, else 92
/// if one had a flaky test, else 0.
fn package_status(statuses: impl IntoIterator<Item = i32>) -> i32 {
    let mut lesser = 0;
    for status in statuses {
        match status {
            0 => {}
            92 | 93 => lesser = lesser.max(status),
            other => return other,
        }
    }
    lesser
}

/// Writes `path` whole: a temporary file beside it, renamed over it.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let temp = path.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::write(&temp, bytes).with_context(|| format!("writing {}", temp.display()))?;
    std::fs::rename(&temp, path).with_context(|| format!("writing {}", path.display()))
}
