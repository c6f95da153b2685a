//! The `wouldblock` command as users call it: bad input gets exit 2 and a message that
//! names the problem; guests run as a cargo runner would run them; traces are written.

use anyhow::{Context, Result, ensure};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use wouldblock_guests::{
    GUEST_SUITE, GUEST_UNIT_TESTS, PROBE, UDP_SEND, UDP_SEND_NAIVE, UDP_SEND_UNPERMITTED,
};

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
fn two_test_binaries_from_a_glob_are_refused_not_run_as_a_filter() -> Result<()> {
    // `wouldblock test deps/*.wasm` with two binaries: the second is no filter.
    let second = scratch("second")?.join("other-suite.wasm");
    std::fs::copy(GUEST_SUITE, &second)?;
    let second = second.to_string_lossy().into_owned();
    for command in ["test", "explore"] {
        let out = wouldblock(&[command, GUEST_SUITE, &second])?;
        assert_usage_error(&out, &[&second, "a second component", "cargo wouldblock"])?;
    }
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
        &["bad.toml line 6, column 1", "field `action`", "sometimes"],
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
    // What cargo runs for CARGO_TARGET_WASM32_WASIP2_RUNNER="wouldblock run --fault first-send --":
    // a test binary in deps/ runs one fresh instance per test.
    let out = wouldblock(&["run", "--fault", "first-send", "--", GUEST_UNIT_TESTS])?;
    let stdout = stdout(&out);
    ensure!(out.status.success(), "{stdout}\n{}", stderr(&out));
    ensure!(stdout.contains(" passed, 0 failed, 0 skipped"), "{stdout}");
    // Asked to, it runs the binary whole, as libtest itself would.
    let out = wouldblock(&[
        "run",
        "--no-per-test",
        "--fault",
        "first-send",
        "--",
        GUEST_UNIT_TESTS,
    ])?;
    ensure!(
        stdout_of(&out).contains("test result: ok."),
        "{}",
        stdout_of(&out)
    );
    Ok(())
}

fn stdout_of(out: &Output) -> String {
    stdout(out)
}

/// The plan the suite runs under: the first send not writable, then ENOBUFS.
const SUITE_PLAN: [&str; 4] = [
    "--fault",
    "first-send",
    "--fault",
    "enobufs-backpressure:after=1",
];

#[test]
fn a_suite_runs_one_instance_per_test_and_every_test_runs() -> Result<()> {
    let junit = scratch("junit")?.join("suite.xml");
    let mut args = vec!["test", "--junit", junit.to_str().context("utf-8")?];
    args.extend(SUITE_PLAN);
    args.push(GUEST_SUITE);
    let out = wouldblock(&args)?;
    let text = stdout(&out);
    ensure!(out.status.code() == Some(1), "{text}\n{}", stderr(&out));
    // The panicking test fails alone: the tests after it in the list still ran.
    ensure!(
        text.contains("4 tests run: 2 passed, 2 failed, 1 skipped"),
        "{text}"
    );
    ensure!(
        text.contains("PASS") && text.contains("] delivers_to_itself"),
        "{text}"
    );
    ensure!(
        text.contains("] panics_on_purpose: panic: panicked at tests/suite.rs"),
        "{text}"
    );
    ensure!(text.contains("boom: the suite's failing test"), "{text}");
    ensure!(
        text.contains("] out_of_memory_is_fatal_here: unusable-after-error"),
        "{text}"
    );
    ensure!(
        text.contains("SKIP              ignored_one (ignored)"),
        "{text}"
    );
    let xml = std::fs::read_to_string(&junit)?;
    ensure!(
        xml.contains(r#"tests="5" skipped="1" failures="2""#),
        "{xml}"
    );

    let mut args = vec!["test"];
    args.extend(SUITE_PLAN);
    args.extend([
        GUEST_SUITE,
        "--include-ignored",
        "--skip",
        "panics",
        "--skip",
        "fatal",
    ]);
    let out = wouldblock(&args)?;
    ensure!(out.status.success(), "{}", stdout(&out));
    ensure!(
        stdout(&out).contains("3 tests run: 3 passed, 0 failed, 0 skipped"),
        "{}",
        stdout(&out)
    );
    Ok(())
}

/// A panic is the guest failing with 101, as native libtest says it, not a trap.
#[test]
fn a_panic_is_the_guests_own_failure() -> Result<()> {
    let out = wouldblock(&[
        "run",
        GUEST_SUITE,
        "panics_on_purpose",
        "--exact",
        "--nocapture",
    ])?;
    ensure!(out.status.code() == Some(101), "{}", stderr(&out));
    let err = stderr(&out);
    let last = err.lines().last().unwrap_or_default();
    ensure!(
        last.starts_with("wouldblock: fail (guest panic, exit 101: panicked at"),
        "{last}"
    );
    ensure!(last.contains("boom"), "{last}");
    Ok(())
}

#[test]
fn writes_the_trace_and_ends_stderr_with_the_summary() -> Result<()> {
    let peer = wouldblock::Peer::start()?;
    let trace = scratch("trace")?.join("trace.jsonl");
    let addr = peer.addr().to_string();
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
    ensure!(peer.finish()?.exactly_once(3));
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
    let mut lines = lines.lines();
    // The header: which clock, and where the virtual wall clock starts.
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap_or_default())?;
    ensure!(
        header["op"] == "clock" && header["args"] == "virtual",
        "{header}"
    );
    for (i, line) in lines.enumerate() {
        let event: serde_json::Value = serde_json::from_str(line)?;
        ensure!(event["seq"] == i as u64 + 1, "{line}");
        ensure!(
            event["interface"].is_string() && event["op"].is_string(),
            "{line}"
        );
    }
    Ok(())
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn summary_json(args: &[&str], name: &str) -> Result<(Output, serde_json::Value)> {
    let path = scratch("summary")?.join(name);
    let path_text = path.to_str().context("utf-8 path")?;
    let mut full = vec!["run", "--summary-json", path_text];
    full.extend_from_slice(args);
    let out = wouldblock(&full)?;
    let json = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    Ok((out, json))
}

#[test]
fn a_guest_status_is_never_a_verdict_status() -> Result<()> {
    // A guest that exits 4 by itself (once busy-loop's status) keeps its 4, and says so.
    let (out, json) = summary_json(&[PROBE.path, "exit", "4"], "exit4.json")?;
    ensure!(out.status.code() == Some(4), "{}", stderr(&out));
    ensure!(
        json["guest_status"] == 4 && json["verdict"].is_null(),
        "{json}"
    );
    ensure!(
        stderr(&out).lines().last() == Some("wouldblock: fail (guest exit 4); faults injected 0")
    );
    // A verdict has a status from 83 to 90, and no guest status.
    let (out, json) = summary_json(&[UDP_SEND_UNPERMITTED.path, "127.0.0.1:9"], "spec.json")?;
    ensure!(out.status.code() == Some(83), "{}", stderr(&out));
    ensure!(
        json["verdict"] == "spec-violation" && json["exit_status"] == 83,
        "{json}"
    );
    ensure!(json["guest_status"].is_null(), "{json}");
    // A bundled program's usage error is 64, not the harness's 2.
    let out = wouldblock(&["run", UDP_SEND.path, "--", "not-an-address"])?;
    ensure!(out.status.code() == Some(64), "{}", stderr(&out));
    Ok(())
}

#[test]
fn the_summary_starts_on_a_line_of_its_own() -> Result<()> {
    let out = wouldblock(&["run", PROBE.path, "partial-line"])?;
    let err = stderr(&out);
    ensure!(out.status.success(), "{err}");
    ensure!(
        err.starts_with("no newline here\nwouldblock: pass (exit 0);"),
        "{err:?}"
    );
    Ok(())
}

#[test]
fn output_paths_and_impossible_values_are_checked_before_the_guest_runs() -> Result<()> {
    let out = wouldblock(&["run", "--trace", "/no/such/dir/t.jsonl", PROBE.path, "env"])?;
    assert_usage_error(&out, &["/no/such/dir/t.jsonl"])?;
    ensure!(stdout(&out).is_empty(), "the guest ran: {}", stdout(&out));
    for (flag, value) in [
        ("--max-memory", "0"),
        ("--time-limit", "0"),
        ("--busy-threshold", "0"),
    ] {
        let out = wouldblock(&["run", flag, value, PROBE.path, "env"])?;
        assert_usage_error(&out, &[flag])?;
    }
    Ok(())
}

#[test]
fn the_environment_is_passed_as_wasmtime_run_does() -> Result<()> {
    let out = wouldblock(&[
        "run",
        "--env",
        "GREETING=hello",
        "--env",
        "PATH",
        PROBE.path,
        "env",
    ])?;
    let vars = stdout(&out);
    ensure!(out.status.success(), "{}", stderr(&out));
    ensure!(
        vars.contains("GREETING=hello\n") && vars.contains("PATH="),
        "{vars}"
    );
    ensure!(
        !vars.contains("XDG_CACHE_HOME"),
        "inherited without --inherit-env: {vars}"
    );
    let out = wouldblock(&["run", "--inherit-env", PROBE.path, "env"])?;
    ensure!(stdout(&out).contains("XDG_CACHE_HOME="), "{}", stdout(&out));
    let out = wouldblock(&[
        "run",
        "--env",
        "WOULDBLOCK_NO_SUCH_VARIABLE",
        PROBE.path,
        "env",
    ])?;
    assert_usage_error(&out, &["WOULDBLOCK_NO_SUCH_VARIABLE"])
}

/// Parallel runs that each send 20,000 datagrams to the harness's own peer: none may be
/// blamed for a loss it did not cause, and none may outlive its time limit.
#[test]
fn parallel_bursts_get_no_false_verdict_and_end_in_time() -> Result<()> {
    const PROCESSES: usize = 20;
    const LIMIT_SECS: u64 = 60;
    // Compile once into the cache, so the parallel runs measure running, not compiling.
    let out = wouldblock(&["run", UDP_SEND.path, "--", "127.0.0.1:9"])?;
    ensure!(out.status.success(), "{}", stderr(&out));
    let limit = LIMIT_SECS.to_string();
    let started = std::time::Instant::now();
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_wouldblock"))
                .args(["run", "--time-limit", &limit, "--expect-datagrams", "20000"])
                .args([UDP_SEND.path, "--", "{peer}", "--count", "20000"])
                .env("XDG_CACHE_HOME", scratch("cache")?)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .context("spawning wouldblock")
        })
        .collect::<Result<_>>()?;
    let mut statuses = std::collections::BTreeMap::new();
    for child in children {
        let out = child.wait_with_output()?;
        // A generous margin over the limit: the point is that nothing hangs past it.
        let took = started.elapsed().as_secs();
        ensure!(
            took <= LIMIT_SECS + 30,
            "a run outlived its time limit: {took} s"
        );
        *statuses.entry(out.status.code()).or_insert(0) += 1;
        // Pass, or the honest peer-overflow; never loss or time-limit.
        ensure!(
            matches!(out.status.code(), Some(0 | 90)),
            "{:?}: {}",
            out.status,
            stderr(&out)
        );
    }
    println!("{PROCESSES} parallel runs of 20,000 datagrams: {statuses:?}");
    Ok(())
}

/// What a bad component path does: exit 2 at once, naming what it is, whatever it holds.
#[test]
fn a_component_path_that_is_not_a_file_is_named() -> Result<()> {
    let fifo = scratch("fifo")?.join("guest.wasm");
    if !fifo.exists() {
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU)?;
    }
    for (path, what) in [
        ("/dev/zero", "is a character device"),
        (fifo.to_str().context("utf-8")?, "is a FIFO"),
        (env!("CARGO_TARGET_TMPDIR"), "is a directory"),
    ] {
        let out = wouldblock(&["run", path])?;
        assert_usage_error(&out, &[path, what])?;
    }
    let big = scratch("big")?.join("big.wasm");
    std::fs::write(&big, vec![0u8; 2 << 20])?;
    let out = wouldblock(&[
        "run",
        "--max-component-size",
        "1",
        big.to_str().context("utf-8")?,
    ])?;
    assert_usage_error(&out, &["big.wasm", "--max-component-size"])
}

/// A guest that floods its output and one that eats its memory both end in a verdict (or
/// pass), with the harness's own memory bounded.
#[test]
fn floods_and_memory_bombs_leave_the_host_bounded() -> Result<()> {
    let run = |args: &[&str]| -> Result<std::process::ExitStatus> {
        let status = Command::new(env!("CARGO_BIN_EXE_wouldblock"))
            .args(args)
            .env("XDG_CACHE_HOME", scratch("cache")?)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()?;
        Ok(status)
    };
    ensure!(run(&["run", PROBE.path, "flood", "100"])?.success());
    let bomb = run(&[
        "run",
        "--max-memory",
        "64",
        PROBE.path,
        "alloc-abort",
        "1024",
    ])?;
    // An abort on refused memory is the guest's own failure (134, as SIGABRT), not a trap.
    ensure!(bomb.code() == Some(134), "{bomb:?}");
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)?;
    // ru_maxrss is in KiB: the largest child so far stayed far below the flood's size.
    let peak_mib = usage.max_rss() / 1024;
    println!("peak RSS of any wouldblock run so far: {peak_mib} MiB");
    ensure!(peak_mib < 256, "a run used {peak_mib} MiB");
    Ok(())
}

/// The flags people bring from `wasmtime run`: a preopened directory, `-S inherit-network`,
/// durations with units, and the TOML spelling of a fault.
#[test]
fn the_flags_people_already_type() -> Result<()> {
    let fixtures = scratch("fixtures")?;
    std::fs::write(fixtures.join("hello.txt"), "hello from the host\n")?;
    let dir = format!("{}::/data", fixtures.display());
    let out = wouldblock(&[
        "run",
        "--dir",
        &dir,
        "-S",
        "inherit-network",
        "--time-limit",
        "20s",
        "--fault",
        "op=udp.send,first=1,action=ok-zero",
        PROBE.path,
        "read",
        "/data/hello.txt",
    ])?;
    ensure!(out.status.success(), "{}", stderr(&out));
    ensure!(stdout(&out) == "hello from the host\n", "{}", stdout(&out));
    ensure!(
        stderr(&out).contains("-S inherit-network changes nothing"),
        "{}",
        stderr(&out)
    );
    let out = wouldblock(&["run", "--time-limit", "300ms", PROBE.path, "spin"])?;
    ensure!(out.status.code() == Some(86), "{}", stderr(&out));
    let out = wouldblock(&["run", "-S", "tcplisten=127.0.0.1:80", PROBE.path, "env"])?;
    assert_usage_error(&out, &["-S tcplisten", "inherit-network"])?;
    let out = wouldblock(&["run", "--time-limit", "soon", PROBE.path, "env"])?;
    assert_usage_error(&out, &["soon", "is not a duration"])
}

/// `--repeat`: the endings counted, the determinism checked, and the status of the first
/// failing run when one fails.
#[test]
fn repeat_runs_a_race_many_times_in_one_process() -> Result<()> {
    let out = wouldblock(&[
        "run",
        "--repeat",
        "300",
        "--jobs",
        "2",
        "--fault",
        "first-send",
        "--expect-datagrams",
        "4",
        UDP_SEND.path,
        "--",
        "{peer}",
        "--count",
        "4",
    ])?;
    let err = stderr(&out);
    ensure!(out.status.success(), "{err}");
    ensure!(
        err.contains("300 runs in") && err.contains("     300  pass"),
        "{err}"
    );
    ensure!(
        err.contains("deterministic: every run's normalised trace is run 1's"),
        "{err}"
    );
    let out = wouldblock(&[
        "run",
        "--repeat",
        "20",
        "--fault",
        "first-send",
        UDP_SEND_NAIVE.path,
        "--",
        "127.0.0.1:9",
    ])?;
    let err = stderr(&out);
    ensure!(out.status.code() == Some(1), "{err}");
    ensure!(
        err.contains("      20  fail (exit 1)") && err.contains("first failing run: run 1"),
        "{err}"
    );
    Ok(())
}

/// `explore` on the naive first send: exit 1, a plan file per finding whose comment says
/// how to replay it, and the replay gives the finding's status.
#[test]
fn explore_writes_replayable_findings_and_exits_1() -> Result<()> {
    let out_dir = scratch("explore-findings")?;
    let _ = std::fs::remove_dir_all(&out_dir);
    let out_arg = out_dir.display().to_string();
    let out = wouldblock(&[
        "explore",
        "--out",
        &out_arg,
        UDP_SEND_NAIVE.path,
        "--",
        "127.0.0.1:9",
    ])?;
    ensure!(
        out.status.code() == Some(1),
        "{:?}: {}",
        out.status,
        stderr(&out)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    ensure!(table.contains("udp.check-send call 1"), "{table}");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&out_dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    files.sort();
    let first = files.first().context("no plan file")?;
    let text = std::fs::read_to_string(first)?;
    ensure!(
        text.contains("# replay: ") && text.contains("run --plan"),
        "{text}"
    );
    let plan = first.display().to_string();
    let replay = wouldblock(&[
        "run",
        "--plan",
        &plan,
        UDP_SEND_NAIVE.path,
        "--",
        "127.0.0.1:9",
    ])?;
    ensure!(replay.status.code() == Some(1), "{:?}", replay.status);
    Ok(())
}

#[test]
fn explore_names_a_bad_shard() -> Result<()> {
    let out = wouldblock(&["explore", "--shard", "3/2", UDP_SEND.path])?;
    assert_usage_error(&out, &["--shard", "3/2"])
}

/// `--version` names the runtime inside, as pinned in `Cargo.lock`: what a real host
/// answers depends on it.
#[test]
fn the_version_names_the_wasmtime_inside() -> Result<()> {
    let out = wouldblock(&["--version"])?;
    ensure!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock"))?;
    for name in ["wasmtime", "wasmtime-wasi", "wasmtime-wasi-http"] {
        let entry = format!("name = \"{name}\"\nversion = \"");
        let at = lock.find(&entry).context(format!("{name} in Cargo.lock"))? + entry.len();
        let version = &lock[at..at + lock[at..].find('"').unwrap_or(0)];
        let named = format!("{name} {version}");
        ensure!(
            said.contains(&named),
            "--version says {said:?}, Cargo.lock {named}"
        );
    }
    Ok(())
}

/// `completions SHELL` prints a script that completes the subcommands; another shell is
/// refused with the ones there are.
#[test]
fn completions_are_printed_for_each_shell() -> Result<()> {
    for shell in ["bash", "zsh", "fish"] {
        let out = wouldblock(&["completions", shell])?;
        ensure!(out.status.success(), "{shell}: {}", stderr(&out));
        let script = String::from_utf8_lossy(&out.stdout);
        ensure!(
            script.contains("explore") && script.contains("presets"),
            "{shell}: {script}"
        );
    }
    assert_usage_error(&wouldblock(&["completions", "tcsh"])?, &["tcsh", "bash"])
}
