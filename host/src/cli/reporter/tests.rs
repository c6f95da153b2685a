//! The files the reporter writes, and the fixtures every displayer's tests share.

use super::*;
use std::path::PathBuf;
use wouldblock::suite::TestCase;
use wouldblock::{Exit, Stats, Stop, Trace, Verdict};

pub(super) fn outcome(exit: Exit, stderr: &str) -> Outcome {
    Outcome {
        exit,
        stats: Stats::default(),
        trace: Trace::default(),
        stdout: Vec::new(),
        stderr: stderr.as_bytes().to_vec(),
        received: None,
        tcp: None,
        guest_status: None,
        stderr_mid_line: false,
        stack: Vec::new(),
    }
}

pub(super) fn stopped(verdict: Verdict, evidence: &str) -> Exit {
    Exit::Stopped(Stop {
        verdict,
        reason: "it spun".into(),
        evidence: evidence.into(),
    })
}

/// A test that passed: exit 0, and libtest said it ran.
pub(super) fn passed() -> Outcome {
    let mut passed = outcome(Exit::Code(0), "");
    passed.stdout = b"test result: ok. 1 passed".to_vec();
    passed
}

/// A test's result; `None` is an ignored test, skipped.
pub(super) fn result(name: &str, outcome: Option<Outcome>, millis: u64) -> TestResult {
    TestResult {
        case: TestCase {
            name: name.into(),
            ignored: outcome.is_none(),
        },
        outcome,
        duration: Duration::from_millis(millis),
    }
}

/// A path of this test's own in the temporary directory, not there yet.
fn scratch(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("wouldblock-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

#[test]
fn junit_lists_the_tests_in_list_order_whatever_order_they_ended_in() {
    let path = scratch("junit.xml");
    let results = [
        result("a_first", Some(passed()), 1),
        result("b_ignored", None, 0),
        result(
            "c_spins",
            Some(outcome(stopped(Verdict::BusyLoop, ""), "its stderr")),
            2,
        ),
    ];
    let mut junit = Junit::create(&path).unwrap();
    let start = Start::Suite {
        tests: 3,
        jobs: 2,
        component: "suite.wasm",
    };
    junit
        .display(&Event::RunStarted(start), Duration::ZERO)
        .unwrap();
    for index in [2, 0, 1] {
        let event = Event::TestEnded {
            index,
            result: &results[index],
        };
        junit.display(&event, Duration::ZERO).unwrap();
    }
    junit.display(&Event::RunEnded, Duration::ZERO).unwrap();
    let xml = std::fs::read_to_string(&path).unwrap();
    assert!(
        xml.contains(r#"tests="3" skipped="1" failures="1""#),
        "{xml}"
    );
    assert!(xml.contains(r#"<testsuite name="suite.wasm""#), "{xml}");
    let at = |name: &str| xml.find(name).unwrap_or_else(|| panic!("{name}: {xml}"));
    assert!(at("a_first") < at("b_ignored") && at("b_ignored") < at("c_spins"));
    assert!(
        xml.contains("busy-loop: it spun") && xml.contains("its stderr"),
        "{xml}"
    );
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn json_writes_the_summary_and_a_report_only_once_it_is_there() {
    let path = scratch("summary.json");
    let mut json = Json::create(&path, "--summary-json").unwrap();
    let run = outcome(stopped(Verdict::BusyLoop, ""), "");
    json.display(&Event::Summary(Summary::Run(&run)), Duration::ZERO)
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, format!("{}\n", run.to_json()));
    std::fs::remove_file(&path).unwrap();

    // `--merge a.json --json a.json` reads the shard before the report replaces it.
    let path = scratch("report.json");
    let mut json = Json::create(&path, "--json").unwrap();
    json.display(&Event::RunStarted(Start::Explore), Duration::ZERO)
        .unwrap();
    assert!(!path.exists());
    let mut report = Report::default();
    report.sites = 7;
    json.display(&Event::Summary(Summary::Explore(&report)), Duration::ZERO)
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, serde_json::to_string_pretty(&report).unwrap() + "\n");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn an_interrupted_suite_is_written_with_what_ended_marked_incomplete() {
    let path = scratch("interrupted.xml");
    std::fs::write(&path, "<earlier/>").unwrap();
    let results = [result("a_first", Some(passed()), 1)];
    let mut junit = Junit::create(&path).unwrap();
    let event = Event::TestEnded {
        index: 0,
        result: &results[0],
    };
    junit.display(&event, Duration::ZERO).unwrap();
    // Nothing is written over the earlier report until the run ends.
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "<earlier/>");
    let interrupted = Event::Interrupted {
        signal: "SIGINT",
        done: 1,
        total: 4,
    };
    junit.display(&interrupted, Duration::ZERO).unwrap();
    junit.display(&Event::RunEnded, Duration::ZERO).unwrap();
    let xml = std::fs::read_to_string(&path).unwrap();
    assert!(xml.contains("a_first"), "{xml}");
    assert!(
        xml.contains(r#"name="incomplete" value="interrupted by SIGINT: 1 of 4 tests ended""#),
        "{xml}"
    );
    std::fs::remove_file(&path).unwrap();
}
