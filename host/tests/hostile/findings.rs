//! Findings people act on (issue 32): one line per root cause before the findings, the
//! handling bugs apart from the transient errors given up on (status 1 vs 93, JUnit's
//! failure type), and acknowledged findings that keep CI green with their reason, a stale
//! entry named, a bad entry refused with its line and field.

use super::*;
use wouldblock_guests::UDP_SEND_NAIVE;

/// `test --explore` of the suite's one test whose findings are all a transient error
/// given up on (its own `expect` on `send`'s out-of-memory).
fn explore_oom(dir: &Path, extra: &[&str]) -> Result<Output> {
    let (json, junit, out) = (dir.join("r.json"), dir.join("j.xml"), dir.join("plans"));
    let mut args = vec![
        "test",
        "--explore",
        "--json",
        path(&json),
        "--junit",
        path(&junit),
    ];
    args.extend(["--out", path(&out)]);
    args.extend(extra);
    args.extend([GUEST_SUITE, "out_of_memory"]);
    wouldblock(&args)
}

#[test]
fn transient_errors_given_up_on_are_told_from_handling_bugs() -> Result<()> {
    let dir = scratch("gave-up")?;
    let run = explore_oom(&dir, &[])?;
    ensure!(run.status.code() == Some(93), "{}", both(&run));
    let stdout = text(&run.stdout);
    let causes = stdout.find("root causes: 1 (4 finding(s)");
    let cause = "transient errors given up on: ";
    let line = "udp.send: error(out-of-memory) -> unusable-after-error at tests/suite.rs:";
    let findings = stdout.find("--- FINDING out_of_memory_is_fatal_here ---");
    ensure!(
        causes.is_some() && stdout.contains(cause) && stdout.contains(line),
        "{stdout}"
    );
    ensure!(causes < findings, "root causes come first: {stdout}");
    let xml = std::fs::read_to_string(dir.join("j.xml"))?;
    ensure!(xml.contains(r#"type="transient-error-given-up""#), "{xml}");
    let json = read_json(&dir.join("r.json"))?;
    ensure!(json["causes"][0]["action"] == "transient-error", "{json}");

    // A program with both kinds: the handling bugs first, and status 1.
    let out = dir.join("naive");
    let args = ["explore", "--out", path(&out), "--expect-datagrams", "1"];
    let run = wouldblock(&[&args[..], &[UDP_SEND_NAIVE.path, "--", "{peer}"]].concat())?;
    ensure!(run.status.code() == Some(1), "{}", both(&run));
    let stdout = text(&run.stdout);
    let bugs = stdout.find("handling bugs: ");
    let gave_up = stdout.find("transient errors given up on: ");
    ensure!(bugs.is_some() && bugs < gave_up, "{stdout}");
    ensure!(
        stdout.contains(": 3 root cause(s) of 6 finding(s)"),
        "{stdout}"
    );
    Ok(())
}

#[test]
fn acknowledged_findings_keep_the_run_green_and_a_stale_entry_is_named() -> Result<()> {
    let dir = scratch("acknowledged")?;
    let config = dir.join("wouldblock.toml");
    std::fs::write(
        &config,
        "[profile.default]\njobs = 1\n\n\
         [[allow]]\nop = \"udp.send\"\nfault = \"error(out-of-memory)\"\n\
         verdict = \"unusable-after-error\"\ntest = \"out_of_memory_is_fatal_here\"\n\
         reason = \"the test gives up on purpose\"\n\n\
         [[allow]]\nop = \"tcp.read\"\nfault = \"ok-zero\"\nverdict = \"hang\"\n\
         reason = \"fixed in 1.2\"\n",
    )?;
    let run = explore_oom(&dir, &["--allow-file", path(&config)])?;
    ensure!(run.status.code() == Some(0), "{}", both(&run));
    let stdout = text(&run.stdout);
    for needle in [
        "PASS [",
        "out_of_memory_is_fatal_here (4 acknowledged)",
        "acknowledged (reported, not failing the run):",
        "because: the test gives up on purpose (",
        "wouldblock.toml:4)",
        "stale acknowledgements",
        "tcp.read: ok-zero -> hang (",
    ] {
        ensure!(stdout.contains(needle), "no {needle:?} in\n{stdout}");
    }
    let json = read_json(&dir.join("r.json"))?;
    let test = &json["tests"][0];
    ensure!(test["status"] == "clean", "{json}");
    let acknowledged = test["report"]["acknowledged"].as_array().map(Vec::len);
    ensure!(acknowledged == Some(4), "{json}");
    ensure!(json["stale"].as_array().map(Vec::len) == Some(1), "{json}");

    // Another test's entry does not cover this one.
    std::fs::write(
        &config,
        "[[allow]]\nop = \"udp.send\"\nfault = \"error(out-of-memory)\"\n\
         verdict = \"unusable-after-error\"\ntest = \"another\"\nreason = \"theirs\"\n",
    )?;
    let run = explore_oom(&dir, &["--allow-file", path(&config)])?;
    ensure!(run.status.code() == Some(93), "{}", both(&run));
    // A one-off.
    let cause = "udp.send: error(out-of-memory) -> unusable-after-error";
    let run = explore_oom(&dir, &["--allow", cause])?;
    ensure!(run.status.code() == Some(0), "{}", both(&run));
    Ok(())
}

#[test]
fn a_bad_acknowledgement_is_refused_with_its_line_and_field() -> Result<()> {
    let dir = scratch("bad-allow")?;
    let config = dir.join("wouldblock.toml");
    let cases = [
        (
            "[[allow]]\nop = \"udp.send\"\nfault = \"ok-zero\"\nverdict = \"spinning\"\nreason = \"r\"\n",
            [
                "wouldblock.toml:4: [[allow]] field `verdict`",
                "`spinning` is no verdict",
            ],
        ),
        (
            "[[allow]]\nop = \"udp.sned\"\nfault = \"ok-zero\"\nverdict = \"hang\"\nreason = \"r\"\n",
            [
                "wouldblock.toml:2: [[allow]] field `op`",
                "`udp.sned` is no operation",
            ],
        ),
        (
            "\n[[allow]]\nop = \"udp.send\"\nfault = \"ok-zero\"\nverdict = \"hang\"\n",
            [
                "wouldblock.toml:2: [[allow]] field `reason`",
                "needs its reason",
            ],
        ),
    ];
    for (toml, needles) in cases {
        std::fs::write(&config, toml)?;
        let run = explore_oom(&dir, &["--allow-file", path(&config)])?;
        refused(&run, &needles)?;
    }
    let run = explore_oom(&dir, &["--allow", "udp.send error(out-of-memory)"])?;
    refused(&run, &["--allow", "expected `OP: FAULT -> VERDICT`"])
}

#[test]
fn a_filter_that_matches_no_test_is_said() -> Result<()> {
    let out = scratch("no-match")?;
    for command in [
        &["test"][..],
        &["test", "--explore", "--out", path(&out)][..],
    ] {
        let run = wouldblock(&[command, &[GUEST_SUITE, "no_such_test"]].concat())?;
        let err = text(&run.stderr);
        ensure!(
            err.contains("no test matches the filter(s) no_such_test"),
            "{}",
            both(&run)
        );
    }
    let run = wouldblock(&["test", GUEST_SUITE, "adds"])?;
    ensure!(
        !text(&run.stderr).contains("no test matches"),
        "{}",
        both(&run)
    );
    Ok(())
}
