//! The `wouldblock` command as users call it: bad input gets exit 2 and a message that
//! names the problem; guests run as a cargo runner would run them; traces are written.

use anyhow::{Context, Result, ensure};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use wouldblock::guests::{GUEST_UNIT_TESTS, UDP_SEND};

fn wouldblock(args: &[&str]) -> Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_wouldblock"))
        .args(args)
        // Keep the test's compile cache out of the user's home.
        .env("XDG_CACHE_HOME", scratch("cache")?)
        .output()
        .context("running wouldblock")
}

/// A fresh directory under the target dir for this test's files.
fn scratch(name: &str) -> Result<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_usage_error(out: &Output, needles: &[&str]) -> Result<()> {
    let err = stderr(out);
    ensure!(
        out.status.code() == Some(2),
        "expected exit 2, got {:?}: {err}",
        out.status
    );
    for needle in needles {
        ensure!(
            err.contains(needle),
            "stderr does not mention {needle:?}: {err}"
        );
    }
    ensure!(!err.contains("panicked"), "it panicked: {err}");
    Ok(())
}

#[test]
fn a_missing_component_is_named() -> Result<()> {
    let out = wouldblock(&["run", "no/such/guest.wasm"])?;
    assert_usage_error(&out, &["no/such/guest.wasm", "no such file"])
}

#[test]
fn a_file_that_is_not_wasm_is_named() -> Result<()> {
    let path = scratch("not-wasm")?.join("notes.wasm");
    std::fs::write(&path, "hello")?;
    let out = wouldblock(&["run", path.to_str().unwrap()])?;
    assert_usage_error(&out, &["notes.wasm", "not a WebAssembly file"])
}

#[test]
fn a_core_module_is_told_to_be_a_component() -> Result<()> {
    let path = scratch("core")?.join("core.wasm");
    // The smallest valid core module: magic and version 1.
    std::fs::write(&path, b"\0asm\x01\0\0\0")?;
    let out = wouldblock(&["run", path.to_str().unwrap()])?;
    assert_usage_error(
        &out,
        &["core.wasm", "core WebAssembly module, not a component"],
    )
}

#[test]
fn a_malformed_plan_names_file_line_column_and_field() -> Result<()> {
    let path = scratch("plan")?.join("bad.toml");
    std::fs::write(
        &path,
        "# first-send, badly\n\n[[fault]]\nop = \"udp.send\"\nfirst = 2\naction = \"sometimes\"\n",
    )?;
    let out = wouldblock(&["run", "--plan", path.to_str().unwrap(), UDP_SEND.path])?;
    assert_usage_error(
        &out,
        &["bad.toml line 3, column 1", "field `action`", "sometimes"],
    )?;

    std::fs::write(&path, "[[fault]]\nop = \"udp.send\"\nfirst = \"two\"\n")?;
    let out = wouldblock(&["run", "--plan", path.to_str().unwrap(), UDP_SEND.path])?;
    assert_usage_error(&out, &["bad.toml", "line 3", "first"])
}

#[test]
fn a_malformed_fault_spec_names_the_key() -> Result<()> {
    let out = wouldblock(&["run", "--fault", "first-send:colour=red", UDP_SEND.path])?;
    assert_usage_error(&out, &["--fault first-send:colour=red", "colour"])?;
    let out = wouldblock(&["run", "--fault", "last-send", UDP_SEND.path])?;
    assert_usage_error(&out, &["unknown preset `last-send`", "first-send"])
}

#[test]
fn runs_a_libtest_component_as_a_cargo_runner() -> Result<()> {
    // What cargo runs for CARGO_TARGET_WASM32_WASIP2_RUNNER="wouldblock run --fault first-send --".
    let out = wouldblock(&["run", "--fault", "first-send", "--", GUEST_UNIT_TESTS])?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    ensure!(out.status.success(), "{stdout}\n{}", stderr(&out));
    ensure!(stdout.contains("test result: ok."), "{stdout}");
    Ok(())
}

#[test]
fn writes_the_trace_and_ends_stderr_with_the_summary() -> Result<()> {
    let sink = wouldblock::Peer::start()?;
    let trace = scratch("trace")?.join("trace.jsonl");
    let addr = sink.addr().to_string();
    let out = wouldblock(&[
        "run",
        "--fault",
        "first-send:n=2,form=would-block",
        "--trace",
        trace.to_str().unwrap(),
        UDP_SEND.path,
        "--",
        &addr,
        "--count",
        "3",
    ])?;
    ensure!(out.status.success(), "{}", stderr(&out));
    ensure!(sink.finish()?.exactly_once(3));
    let err = stderr(&out);
    let last = err.lines().last().unwrap_or_default();
    ensure!(
        last.starts_with("wouldblock: pass (exit 0); faults injected 2,")
            && last.contains("datagrams accepted 3"),
        "{last}"
    );
    let lines = std::fs::read_to_string(&trace)?;
    let faults = lines
        .lines()
        .filter(|l| l.contains("\"fault\":\"first-send/would-block"))
        .count();
    ensure!(faults == 2, "{lines}");
    for (i, line) in lines.lines().enumerate() {
        let event: serde_json::Value = serde_json::from_str(line)?;
        ensure!(event["seq"] == i as u64 + 1, "{line}");
        ensure!(
            event["interface"].is_string() && event["op"].is_string(),
            "{line}"
        );
    }
    Ok(())
}
