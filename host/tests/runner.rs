//! `wouldblock` as cargo's runner for wasm32-wasip2 calls it: one set of flags for every
//! test binary of a package, so `{binary}` in an output path gives each binary its own
//! JSON, JUnit, HTML and plan files, and none overwrites another's.

use anyhow::{Context, Result, ensure};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use wouldblock_guests::{GUEST_SUITE, GUEST_UNIT_TESTS};

/// A fresh folder under the target dir.
fn scratch(name: &str) -> Result<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// `wouldblock args` in `dir`, as cargo runs it: the flags, then the test binary.
fn wouldblock(dir: &Path, args: &[&str]) -> Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_wouldblock"))
        .args(args)
        .current_dir(dir)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .output()
        .context("running wouldblock")
}

/// What cargo's runner variable holds: the same words for every test binary.
const RUNNER: [&str; 9] = [
    "explore",
    "--json",
    "reports/{binary}.json",
    "--junit",
    "reports/{binary}.xml",
    "--html",
    "reports/{binary}.html",
    "--out",
    "reports/{binary}-findings",
];

#[test]
fn each_test_binary_gets_its_own_reports() -> Result<()> {
    let dir = scratch("runner-binaries")?;
    let mut components = Vec::new();
    for binary in [GUEST_SUITE, GUEST_UNIT_TESTS] {
        let out = wouldblock(&dir, &[&RUNNER[..], &[binary]].concat())?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        ensure!(
            matches!(out.status.code(), Some(0 | 1)),
            "{binary}: {:?}: {stderr}",
            out.status
        );
        // cargo's `-HASH` is not in the name: a rebuild keeps the same files.
        let stem = Path::new(binary).file_stem().unwrap().to_string_lossy();
        let name = stem.rsplit_once('-').map_or(&*stem, |(name, _)| name);
        for ext in ["json", "xml", "html"] {
            let file = dir.join(format!("reports/{name}.{ext}"));
            ensure!(file.is_file(), "{binary}: no {}: {stderr}", file.display());
        }
        let json = std::fs::read_to_string(dir.join(format!("reports/{name}.json")))?;
        let report: serde_json::Value = serde_json::from_str(&json)?;
        let component = report["exploration"]["component"].as_str().unwrap_or("");
        components.push(component.to_string());
        let html = std::fs::read_to_string(dir.join(format!("reports/{name}.html")))?;
        let tests = report["tests"].as_array().map_or(0, Vec::len);
        ensure!(
            html.contains(&format!("data-tests=\"{tests}\"")),
            "{name}.html does not have its {tests} tests"
        );
    }
    // Two binaries, two reports: the second did not replace the first.
    ensure!(
        components[0] != components[1] && components.iter().all(|c| !c.is_empty()),
        "{components:?}"
    );
    // The suite has findings: its plan files are in its own folder.
    let plans = std::fs::read_dir(dir.join("reports/suite-findings"))?.count();
    ensure!(plans > 0, "no plan file for the suite's findings");
    Ok(())
}

#[test]
fn binary_in_a_merge_is_refused_naming_the_flag() -> Result<()> {
    let dir = scratch("runner-merge")?;
    let out = wouldblock(&dir, &["explore", "--json", "s.json", GUEST_SUITE])?;
    ensure!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = wouldblock(
        &dir,
        &["explore", "--merge", "s.json", "--json", "{binary}.json"],
    )?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(out.status.code() == Some(2), "{:?}: {stderr}", out.status);
    ensure!(
        stderr.contains("--json {binary}.json") && stderr.contains("no component"),
        "{stderr}"
    );
    Ok(())
}
