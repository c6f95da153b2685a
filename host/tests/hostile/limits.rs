//! Our limits are never the guest's verdict: the instance pool, the capture bound,
//! `--jobs`, `--repeat`, memory, the harness's own stdin, libtest's flags.

use super::*;

/// Item 1: more jobs than the instance pool held made runs fail as the guest's `trap`.
#[test]
fn our_instance_limit_is_never_a_guest_verdict() -> Result<()> {
    let out = wouldblock(&[
        "run",
        "--repeat",
        "5000",
        "--jobs",
        "100",
        UDP_SEND.path,
        "--",
        "127.0.0.1:9",
    ])?;
    let err = text(&out.stderr);
    ensure!(out.status.success(), "{}", both(&out));
    ensure!(
        err.contains("    5000  pass") && !err.contains("trap"),
        "{err}"
    );
    ensure!(err.contains("deterministic: every run"), "{err}");
    let dir = scratch("pool")?;
    let out = wouldblock(&e(vec![
        "explore",
        "--depth",
        "2",
        "--jobs",
        "200",
        "--out",
        path(&dir),
    ]))?;
    ensure!(out.status.code() == Some(1), "{}", both(&out));
    ensure!(!text(&out.stdout).contains("trap"), "{}", both(&out));
    Ok(())
}

/// Item 4: output past the capture bound made explore's fault-free run and `--repeat`'s
/// runs fail ("stdout refused a write"), though the bound is documented as a cut.
#[test]
fn output_past_the_capture_bound_is_cut_not_fatal() -> Result<()> {
    let dir = scratch("flood")?;
    let out = wouldblock(&[
        "explore",
        "--out",
        path(&dir),
        PROBE.path,
        "--",
        "flood",
        "2",
    ])?;
    let stdout = text(&out.stdout);
    ensure!(out.status.success(), "{}", both(&out));
    ensure!(!stdout.contains("already fails"), "{stdout}");
    let out = wouldblock(&["run", "--repeat", "3", PROBE.path, "flood", "2"])?;
    ensure!(out.status.success(), "{}", both(&out));
    ensure!(
        text(&out.stderr).contains("       3  pass"),
        "{}",
        both(&out)
    );
    Ok(())
}

/// Item 5: `--repeat` ignored `--summary-json` and `--trace`, ran a test binary once per
/// test, and took `--repeat 0` for a deterministic pass.
#[test]
fn repeat_refuses_zero_and_writes_what_it_is_asked_to() -> Result<()> {
    refused(
        &wouldblock(&["run", "--repeat", "0", UDP_SEND.path, "127.0.0.1:9"])?,
        &["--repeat"],
    )?;
    let dir = scratch("repeat")?;
    let (summary, trace) = (dir.join("s.json"), dir.join("t.jsonl"));
    let out = wouldblock(&[
        "run",
        "--repeat",
        "20",
        "--summary-json",
        path(&summary),
        "--trace",
        path(&trace),
        "--fault",
        "first-send",
        UDP_SEND_NAIVE.path,
        "--",
        "127.0.0.1:9",
    ])?;
    ensure!(out.status.code() == Some(1), "{}", both(&out));
    let value = read_json(&summary)?;
    ensure!(value["run"] == 1 && value["runs"] == 20, "{value}");
    ensure!(
        value["exit_status"] == 1 && value["incomplete"] == false,
        "{value}"
    );
    let lines = std::fs::read_to_string(&trace)?;
    ensure!(
        lines.lines().count() > 2 && lines.contains("\"op\":\"send\""),
        "{lines}"
    );
    let out = wouldblock(&["run", "--repeat", "3", "--", GUEST_UNIT_TESTS])?;
    let err = text(&out.stderr);
    ensure!(out.status.success(), "{}", both(&out));
    ensure!(
        err.contains("3 runs in") && err.contains("       3  pass"),
        "{err}"
    );
    Ok(())
}

/// Item 6: `--jobs` was unbounded (2^64 - 1 ran for minutes) and 0 was accepted.
#[test]
fn jobs_are_bounded_and_zero_is_refused() -> Result<()> {
    let dir = scratch("jobs")?;
    for args in [
        vec![
            "run",
            "--repeat",
            "5",
            "--jobs",
            "0",
            UDP_SEND.path,
            "127.0.0.1:9",
        ],
        vec!["test", "--jobs", "0", GUEST_SUITE],
        e(vec!["explore", "--jobs", "0", "--out", path(&dir)]),
    ] {
        refused(&wouldblock(&args)?, &["--jobs", "0"])?;
    }
    // The thread count printed is the bound: no run waits on 2^64 - 1 threads.
    let out = wouldblock(&[
        "run",
        "--repeat",
        "40",
        "--jobs",
        "18446744073709551615",
        UDP_SEND.path,
        "127.0.0.1:9",
    ])?;
    let err = text(&out.stderr);
    ensure!(out.status.success(), "{}", both(&out));
    ensure!(
        err.contains("note: --jobs 18446744073709551615 is more than"),
        "{err}"
    );
    ensure!(
        err.contains("40 runs in") && err.contains("on 39 threads"),
        "{err}"
    );
    let out = wouldblock(&e(vec![
        "explore",
        "--jobs",
        "1000000",
        "--out",
        path(&dir),
    ]))?;
    ensure!(out.status.code() == Some(1), "{}", both(&out));
    Ok(())
}

/// Runs `wouldblock args`, its output into files in `dir`, and returns it with the
/// child's own peak resident set in KiB (`wait4`: not the other tests' children).
fn measured(dir: &Path, args: &[&str]) -> Result<(Output, i64)> {
    let (out, err) = (dir.join("stdout"), dir.join("stderr"));
    let child = command(args)
        .stdout(std::fs::File::create(&out)?)
        .stderr(std::fs::File::create(&err)?)
        .spawn()?;
    let mut status = 0;
    // SAFETY: a zeroed rusage is valid; wait4 on our own child's pid writes both.
    let mut usage: nix::libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as nix::libc::pid_t;
    // SAFETY: `status` and `usage` are valid for writes; the child is ours, not yet waited.
    let waited = unsafe { nix::libc::wait4(pid, &mut status, 0, &mut usage) };
    ensure!(waited == pid, "wait4: {}", std::io::Error::last_os_error());
    use std::os::unix::process::ExitStatusExt;
    let output = Output {
        status: std::process::ExitStatus::from_raw(status),
        stdout: std::fs::read(&out)?,
        stderr: std::fs::read(&err)?,
    };
    Ok((output, usage.ru_maxrss))
}

/// Item 7: explore kept every trial's outcome: about 37 KB a trial with nothing found.
#[test]
fn explore_memory_is_bounded_by_what_it_keeps() -> Result<()> {
    let dir = scratch("memory")?;
    let (out, rss) = measured(
        &dir,
        &[
            "explore",
            "--depth",
            "2",
            "--budget",
            "8000",
            "--out",
            path(&dir),
            "--expect-datagrams",
            "64",
            UDP_BURST.path,
            "--",
            "{peer}",
            "--count",
            "64",
        ],
    )?;
    ensure!(out.status.success(), "{}", both(&out));
    ensure!(text(&out.stdout).contains("8001 run(s)"), "{}", both(&out));
    // Under 100 MiB (8,000 outcomes kept would be about 300 MB).
    ensure!(rss < 100 * 1024, "explore reached {rss} KiB");
    Ok(())
}

/// Item 8: a guest reading stdin got the harness's own: `busy-loop` with stdin at
/// /dev/null, `time-limit` (after the whole limit) with stdin an open pipe.
#[test]
fn explore_verdicts_do_not_depend_on_the_harness_stdin() -> Result<()> {
    let dir = scratch("stdin")?;
    let run = |stdin: Stdio| -> Result<Output> {
        let mut child = command(&[
            "explore",
            "--time-limit",
            "8s",
            "--out",
            path(&dir),
            "--expect-datagrams",
            "4",
            UDP_BURST_STDIN.path,
            "--",
            "{peer}",
            "--count",
            "4",
        ])
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
        // An open pipe the test never writes to nor closes, until the command is done.
        let held = child.stdin.take();
        let out = child.wait_with_output()?;
        drop(held);
        // No trial met the time limit: none waited on the harness's stdin.
        ensure!(!both(&out).contains("time-limit"), "{}", both(&out));
        Ok(out)
    };
    let null = run(Stdio::null())?;
    let pipe = run(Stdio::piped())?;
    ensure!(text(&null.stdout).contains("busy-loop"), "{}", both(&null));
    ensure!(
        null.stdout == pipe.stdout,
        "{}\n---\n{}",
        both(&null),
        both(&pipe)
    );
    Ok(())
}

/// Item 11: `test BIN --list` ran the whole suite, and `--skip=NAME` was dropped.
#[test]
fn test_hands_libtest_its_flags() -> Result<()> {
    let out = wouldblock(&["test", GUEST_SUITE, "--list"])?;
    let stdout = text(&out.stdout);
    ensure!(out.status.success(), "{}", both(&out));
    ensure!(stdout.contains("panics_on_purpose: test"), "{stdout}");
    ensure!(
        !stdout.contains("PASS") && !stdout.contains("Starting"),
        "{stdout}"
    );
    for skip in [
        vec!["--skip=panics_on_purpose"],
        vec!["--skip", "panics_on_purpose"],
    ] {
        let mut args = vec!["test", GUEST_SUITE];
        args.extend(skip);
        let out = wouldblock(&args)?;
        let stdout = text(&out.stdout);
        ensure!(stdout.contains("adds"), "{stdout}");
        ensure!(!stdout.contains("panics_on_purpose"), "{stdout}");
    }
    Ok(())
}
