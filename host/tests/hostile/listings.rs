//! Round 3 (issue 31), test binaries with hostile listings (`probe-libtest`): a listing
//! read whole or refused, never cut; names that are long, hold control characters or HTML
//! reach every report, plan file and page intact and harmless.

use super::*;
use wouldblock_guests::PROBE_LIBTEST;

/// Item 2: a listing over the 1 MiB capture bound was cut silently (100,000 tests:
/// `81829 tests run`), and the ignored-test lookup was quadratic.
#[test]
fn a_listing_of_a_hundred_thousand_tests_is_read_whole() -> Result<()> {
    let dir = scratch("many-tests")?;
    let junit = dir.join("many.xml");
    let out = wouldblock(&[
        "test",
        "--env",
        "TESTS=many 100000",
        "--junit",
        path(&junit),
        PROBE_LIBTEST.path,
    ])?;
    ensure!(out.status.success(), "{}", both(&out));
    let err = text(&out.stderr) + &text(&out.stdout);
    ensure!(
        err.contains("1 tests run: 1 passed, 0 failed, 99999 skipped"),
        "{}",
        err.lines().rev().take(5).collect::<Vec<_>>().join("\n")
    );
    let xml = std::fs::read_to_string(&junit)?;
    ensure!(xml.matches("<testcase").count() == 100_000);
    ensure!(xml.contains("t099999"));
    Ok(())
}

/// Item 2: a listing past the bound is refused, naming it, before any test runs.
#[test]
fn a_listing_past_its_bound_is_refused_not_cut() -> Result<()> {
    // 300,000 names of 61 bytes with their `: test`: over 16 MiB.
    let out = wouldblock(&["test", "--env", "TESTS=many 300000 60", PROBE_LIBTEST.path])?;
    refused(&out, &["test listing", "16 MiB"])?;
    Ok(())
}

/// Items 6, 7 and 13: a test name over ~200 bytes lost every report ("File name too
/// long", the plan folder half-written), plan files of names with CR, \x01 or NUL did not
/// parse, and escape sequences reached the terminal raw.
#[test]
fn hostile_test_names_keep_every_report_and_plan_file_whole() -> Result<()> {
    let dir = scratch("hostile-names")?;
    let (out_dir, json, junit) = (dir.join("plans"), dir.join("r.json"), dir.join("r.xml"));
    let out = wouldblock(&[
        "test",
        "--explore",
        "--env",
        "TESTS=hostile",
        "--out",
        path(&out_dir),
        "--json",
        path(&json),
        "--junit",
        path(&junit),
        PROBE_LIBTEST.path,
    ])?;
    // Its only findings are an out-of-memory its tests give up on: 93, not 1.
    ensure!(out.status.code() == Some(93), "{}", both(&out));
    ensure!(
        !out.stdout.contains(&0x1b) && !out.stderr.contains(&0x1b),
        "a raw escape reached the terminal: {}",
        both(&out)
    );
    let report = read_json(&json)?;
    let tests = report["tests"].as_array().context("tests")?;
    ensure!(tests.len() == 7, "{report}");
    ensure!(
        std::fs::read_to_string(&junit)?
            .matches("<testcase")
            .count()
            == 7
    );
    let plans = names(&out_dir)?;
    ensure!(plans.len() >= 7, "{plans:?}");
    for plan in &plans {
        ensure!(plan.len() < 200, "{plan}");
        // Every plan file replays: its comments parse as TOML.
        let file = out_dir.join(plan);
        let out = wouldblock(&["run", "--plan", path(&file), PROBE_LIBTEST.path])?;
        ensure!(out.status.success(), "{plan}: {}", both(&out));
        let text = std::fs::read_to_string(&file)?;
        ensure!(
            !text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{plan}: {text:?}"
        );
    }
    Ok(())
}
