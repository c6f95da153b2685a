//! Suite exploration as a CI job calls it (`test --explore`, `explore` of a test binary): a
//! line per test, the JSON, JUnit and plan files, each plan replaying its test, shards
//! merged on the command line, a spent time budget, and the options that need a suite
//! refused without one.

use super::{both, path, read_json as json, scratch, text, wouldblock};
use anyhow::{Context, Result, ensure};
use std::path::PathBuf;
use wouldblock_guests::{GUEST_FLAKY, GUEST_SUITE, UDP_SEND};

#[test]
fn test_explore_streams_a_line_per_test_and_writes_json_junit_and_replayable_plans() -> Result<()> {
    let dir = scratch("whole")?;
    let (report, junit, out) = (dir.join("r.json"), dir.join("j.xml"), dir.join("plans"));
    let run = wouldblock(&[
        "test",
        "--explore",
        "--json",
        path(&report),
        "--junit",
        path(&junit),
        "--out",
        path(&out),
        GUEST_SUITE,
    ])?;
    ensure!(run.status.code() == Some(1), "{}", both(&run));
    let stdout = text(&run.stdout);
    for line in [
        "Exploring 5 tests at depth 1",
        "PASS [",
        "] adds",
        "FINDING ",
        "out_of_memory_is_fatal_here: unusable-after-error",
        "FAIL ",
        "panics_on_purpose",
        "SKIP ",
        "1 with findings, 1 failing without a fault, 0 flaky, 1 skipped",
        "root causes: 1 (4 finding(s)",
    ] {
        ensure!(stdout.contains(line), "no {line:?} in\n{}", both(&run));
    }
    let xml = std::fs::read_to_string(&junit)?;
    ensure!(
        xml.contains(r#"tests="5" skipped="1" failures="2""#),
        "{xml}"
    );
    ensure!(xml.contains("replay: "), "{xml}");
    let value = json(&report)?;
    ensure!(value["suite_format"] == 1, "{value}");
    let findings = value["tests"][3]["report"]["findings"].as_array().cloned();
    ensure!(findings.is_some_and(|f| !f.is_empty()), "{value}");

    // Each plan file names its test and replays it with `test --plan`.
    let mut plans: Vec<PathBuf> = std::fs::read_dir(&out)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    plans.sort();
    let finding = plans
        .iter()
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("finding-"))
        })
        .context("no finding's plan file")?;
    let plan = std::fs::read_to_string(finding)?;
    ensure!(
        plan.contains("# test: out_of_memory_is_fatal_here"),
        "{plan}"
    );
    ensure!(
        plan.contains(" test --plan ") && plan.contains("-- --exact out_of_memory_is_fatal_here"),
        "{plan}"
    );
    let replay = wouldblock(&[
        "test",
        "--plan",
        path(finding),
        GUEST_SUITE,
        "--",
        "--exact",
        "out_of_memory_is_fatal_here",
    ])?;
    ensure!(replay.status.code() == Some(1), "{}", both(&replay));
    let stdout = text(&replay.stdout);
    ensure!(
        stdout.contains("1 tests run: 0 passed, 1 failed")
            && stdout.contains("unusable-after-error"),
        "{}",
        both(&replay)
    );
    Ok(())
}

#[test]
fn explore_takes_a_cargo_test_binary_as_a_suite_and_shards_merge() -> Result<()> {
    let dir = scratch("shards")?;
    let whole = dir.join("whole.json");
    let out = dir.join("plans");
    // GUEST_SUITE is `.../deps/suite-HASH.wasm`: explore sees a test binary.
    let run = wouldblock(&[
        "explore",
        "--json",
        path(&whole),
        "--out",
        path(&out),
        GUEST_SUITE,
    ])?;
    ensure!(run.status.code() == Some(1), "{}", both(&run));
    let mut shards = Vec::new();
    for i in 1..=2 {
        let file = dir.join(format!("shard-{i}.json"));
        let shard = format!("{i}/2");
        let args = [
            "explore",
            "--shard",
            &shard,
            "--json",
            path(&file),
            "--out",
            path(&out),
        ];
        let run = wouldblock(&[&args[..], &[GUEST_SUITE]].concat())?;
        ensure!(run.status.code() == Some(1), "{}", both(&run));
        shards.push(file);
    }
    let merged = dir.join("merged.json");
    let junit = dir.join("merged.xml");
    let run = wouldblock(&[
        "explore",
        "--json",
        path(&merged),
        "--junit",
        path(&junit),
        "--out",
        path(&out),
        "--merge",
        path(&shards[0]),
        path(&shards[1]),
    ])?;
    ensure!(run.status.code() == Some(1), "{}", both(&run));
    let (a, b) = (json(&merged)?, json(&whole)?);
    ensure!(
        a["tests"] == b["tests"] && a["causes"] == b["causes"],
        "{a}\n{b}"
    );
    ensure!(std::fs::read_to_string(&junit)?.contains(r#"tests="5""#));

    let twice = wouldblock(&["explore", "--merge", path(&shards[0]), path(&shards[0])])?;
    ensure!(twice.status.code() == Some(2), "{}", both(&twice));
    ensure!(
        text(&twice.stderr).contains("given twice"),
        "{}",
        both(&twice)
    );
    Ok(())
}

#[test]
fn a_flaky_test_has_its_own_exit_status() -> Result<()> {
    let dir = scratch("flaky")?;
    let run = wouldblock(&["test", "--explore", "--out", path(&dir), GUEST_FLAKY])?;
    ensure!(run.status.code() == Some(92), "{}", both(&run));
    let stdout = text(&run.stdout);
    ensure!(
        stdout.contains("FLAKY") && stdout.contains("takes_a_random_path: its two fault-free runs"),
        "{}",
        both(&run)
    );
    Ok(())
}

#[test]
fn suite_options_are_refused_where_they_mean_nothing() -> Result<()> {
    let refused = |args: &[&str], needle: &str| -> Result<()> {
        let run = wouldblock(args)?;
        ensure!(run.status.code() == Some(2), "{args:?}: {}", both(&run));
        ensure!(
            text(&run.stderr).contains(needle),
            "{args:?}: {}",
            both(&run)
        );
        Ok(())
    };
    refused(
        &["test", "--depth", "2", GUEST_SUITE],
        "--depth is an exploration's option",
    )?;
    refused(
        &["explore", "--junit", "j.xml", UDP_SEND.path],
        "--junit needs a test suite",
    )?;
    Ok(())
}

#[test]
fn a_spent_time_budget_is_reported_for_a_suite_and_for_one_program() -> Result<()> {
    let dir = scratch("budget")?;
    let report = dir.join("r.json");
    let run = wouldblock(&[
        "test",
        "--explore",
        "--budget-time",
        "0s",
        "--json",
        path(&report),
        "--out",
        path(&dir.join("suite")),
        GUEST_SUITE,
    ])?;
    // panics_on_purpose still fails its fault-free runs: status 1.
    ensure!(run.status.code() == Some(1), "{}", both(&run));
    let stdout = text(&run.stdout);
    ensure!(
        stdout.contains("CUT [") && stdout.contains("--budget-time ran out"),
        "{}",
        both(&run)
    );
    ensure!(json(&report)?["out_of_time"] == true);

    let one = dir.join("one.json");
    let run = wouldblock(&[
        "explore",
        "--budget-time",
        "0s",
        "--json",
        path(&one),
        "--out",
        path(&dir.join("one")),
        UDP_SEND.path,
        "127.0.0.1:9",
    ])?;
    ensure!(run.status.code() == Some(0), "{}", both(&run));
    ensure!(
        text(&run.stdout).contains("--budget-time ran out"),
        "{}",
        both(&run)
    );
    let value = json(&one)?;
    ensure!(
        value["incomplete"] == true && value["not_run"].as_u64() > Some(0),
        "{value}"
    );
    Ok(())
}
