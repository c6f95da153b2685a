//! The terminal's text, byte for byte, for each command's events.

use super::*;
use crate::cli::reporter::tests::{outcome, passed, result, stopped};
use crate::cli::reporter::{Event, Start, Summary};
use std::path::Path;
use std::sync::{Arc, Mutex};
use wouldblock::Verdict;
use wouldblock::explore::Finding;

/// A sink the test reads back.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// A terminal displayer that is not on a terminal, and its stdout and stderr.
fn displayer() -> (Terminal, Buffer, Buffer) {
    let (out, err) = (Buffer::default(), Buffer::default());
    let terminal = Terminal::new(Box::new(out.clone()), Box::new(err.clone()), false);
    (terminal, out, err)
}

/// A run with no socket call: the summary line counts faults only.
const COUNTERS: &str = "faults injected 0";

#[test]
fn run_prints_the_verdict_its_evidence_and_the_summary_line() {
    let (mut terminal, out, err) = displayer();
    let mut busy = outcome(stopped(Verdict::BusyLoop, "    #1 a\n    #2 b\n"), "");
    busy.stderr_mid_line = true;
    for event in [
        Event::RunStarted(Start::Run),
        Event::Summary(Summary::Run(&busy)),
        Event::RunEnded,
    ] {
        terminal.display(&event, Duration::ZERO).unwrap();
    }
    assert_eq!(out.text(), "");
    assert_eq!(
        err.text(),
        format!(
            "\nwouldblock: busy-loop: it spun\n  evidence (last socket calls):\n    #1 a\n    #2 \
             b\nwouldblock: busy-loop (exit 84); {COUNTERS}\n"
        )
    );
}

#[test]
fn test_lines_stream_as_tests_end_and_the_summary_keeps_the_list_order() {
    let panic = Exit::Abort {
        status: 101,
        kind: "panic",
        message: "boom".into(),
    };
    let results = [
        result("adds", Some(passed()), 1),
        result("ignored_one", None, 0),
        result("panics", Some(outcome(panic, "one\ntwo\n")), 2),
        result(
            "spins",
            Some(outcome(stopped(Verdict::BusyLoop, "    #1 a"), "")),
            3,
        ),
    ];
    let (mut terminal, out, err) = displayer();
    let start = Start::Suite {
        tests: 4,
        jobs: 2,
        component: "suite.wasm",
    };
    terminal
        .display(&Event::RunStarted(start), Duration::ZERO)
        .unwrap();
    // The last test ends first: its line comes first.
    for index in [3, 0, 1, 2] {
        let result = &results[index];
        let event = Event::TestEnded { index, result };
        terminal.display(&event, Duration::ZERO).unwrap();
    }
    let summary = Event::Summary(Summary::Suite(&results));
    terminal
        .display(&summary, Duration::from_millis(77))
        .unwrap();
    assert_eq!(err.text(), "");
    assert_eq!(
        out.text(),
        format!(
            "    Starting 4 tests across 2 jobs (suite.wasm)
        FAIL [   0.003s] spins: busy-loop: it spun
        PASS [   0.001s] adds
        SKIP              ignored_one (ignored)
        FAIL [   0.002s] panics: panic: boom
------------
     Summary [   0.077s] 3 tests run: 1 passed, 2 failed, 1 skipped

--- FAIL panics ---
panic: boom
  | one
  | two
  wouldblock: fail (guest panic, exit 101: boom); {COUNTERS}

--- FAIL spins ---
busy-loop: it spun
  evidence (last socket calls):
    #1 a
  wouldblock: busy-loop (exit 84); {COUNTERS}
"
        )
    );
}

#[test]
fn repeat_logs_a_line_a_tenth_then_the_endings_and_the_first_failure() {
    let mut repeat = Repeat::default();
    repeat.runs = 20;
    repeat.endings.insert("fail (exit 1)".into(), 19);
    repeat.endings.insert("pass".into(), 1);
    repeat.first_failure = Some((2, outcome(Exit::Code(1), "a\nb\nc\nd\ne\nf\n")));
    repeat.differing = 1;
    repeat.nondeterministic = vec![(2, "line 3: run 1 has x, this run has y".into())];
    let (mut terminal, out, err) = displayer();
    let start = Start::Repeat { runs: 20, jobs: 2 };
    terminal
        .display(&Event::RunStarted(start), Duration::ZERO)
        .unwrap();
    for done in 1..=20 {
        let event = Event::Progress { done, total: 20 };
        terminal.display(&event, Duration::from_secs(2)).unwrap();
    }
    let summary = Event::Summary(Summary::Repeat(&repeat));
    terminal.display(&summary, Duration::from_secs(4)).unwrap();
    assert_eq!(out.text(), "");
    let tenths: String = (1..=10)
        .map(|t| format!("wouldblock: {}/20 runs ({} runs/s)\n", t * 2, t))
        .collect();
    assert_eq!(
        err.text(),
        tenths
            + "wouldblock: 20 runs in 4.00 s on 2 threads (5 runs/s)
        19  fail (exit 1)
         1  pass
first failing run: run 2
  | b
  | c
  | d
  | e
  | f
  wouldblock: fail (guest exit 1); "
            + COUNTERS
            + "
nondeterministic: 1 of 20 runs took another path than run 1
  run 2: line 3: run 1 has x, this run has y
"
    );
}

fn finding(verdict: &str, site: &str, duplicates: u64, robustness: bool) -> Finding {
    serde_json::from_value(serde_json::json!({
        "verdict": verdict,
        "exit_code": 84,
        "site": site,
        "ops": ["udp.send"],
        "fault": "spurious-ready",
        "plan": "",
        "duplicates": duplicates,
        "evidence": "why\n  #3 call\n\n",
        "robustness": robustness,
        "index": 0,
    }))
    .unwrap()
}

#[test]
fn explore_prints_the_table_whole_then_the_counts_and_the_time_on_stderr() {
    let mut report = Report::default();
    report.sites = 3;
    report.runs = 9;
    report.trials = 16;
    report.shard = (2, 2);
    report.findings = vec![finding("busy-loop", "udp.send call 1", 2, false)];
    report.notes = vec![finding("hang", "udp.send call 2", 0, true)];
    let (mut terminal, out, err) = displayer();
    let files = [Path::new("f/finding-01.toml"), Path::new("f/note-02.toml")];
    let mut events = vec![Event::RunStarted(Start::Explore)];
    for (finding, file) in report.findings.iter().chain(&report.notes).zip(files) {
        events.push(Event::Finding {
            finding,
            file: Some(file),
            outcome: None,
        });
    }
    events.extend([Event::Summary(Summary::Explore(&report)), Event::RunEnded]);
    for event in &events {
        terminal
            .display(event, Duration::from_millis(1250))
            .unwrap();
    }
    let header = format!(
        "{:<7} {:<22} {:<30} {:<40} replay\n",
        "", "verdict", "site", "fault"
    );
    let row = |title: &str, verdict: &str, site: &str, file: &str| {
        format!(
            "{title:<7} {verdict:<22} {site:<30} {:<40} {file}\n",
            "spurious-ready"
        ) + "        why\n        #3 call\n"
    };
    let causes = "root causes: 1 (1 finding(s); the same operation, fault, verdict and panic \
                  location are one cause, its variants listed with the findings)\nhandling \
                  bugs: the program mishandles what the host answered: change how it handles \
                  it (each finding's `why` says what a correct program does)\n  udp.send: \
                  spurious-ready -> busy-loop  (1 finding(s))\n\n";
    assert_eq!(
        out.text(),
        causes.to_string()
            + &header
            + &row(
                "finding",
                "busy-loop",
                "udp.send call 1 (+2 more sites)",
                "f/finding-01.toml"
            )
            + &row("note", "hang", "udp.send call 2", "f/note-02.toml")
            + "wouldblock: 3 site(s), 9 run(s) of 16 trial(s) (shard 2/2): 1 root cause(s) of \
               1 finding(s), 1 robustness note(s)\n"
    );
    assert_eq!(err.text(), "wouldblock: explored in 1.25 s\n");
}

#[test]
fn explore_without_findings_prints_the_header_and_a_failed_baseline_instead() {
    let mut report = Report::default();
    report.shard = (1, 1);
    let (mut terminal, out, _) = displayer();
    let summary = Event::Summary(Summary::Explore(&report));
    terminal.display(&summary, Duration::ZERO).unwrap();
    let header = format!(
        "{:<7} {:<22} {:<30} {:<40} replay\n",
        "", "verdict", "site", "fault"
    );
    let counts = "wouldblock: 0 site(s), 0 run(s) of 0 trial(s): 0 root cause(s) of 0 \
                  finding(s), 0 robustness note(s)\n";
    assert_eq!(out.text(), header + counts);

    report.baseline_failure = Some("wouldblock: fail (guest exit 1)\nwhy".into());
    let (mut terminal, out, _) = displayer();
    let summary = Event::Summary(Summary::Explore(&report));
    terminal.display(&summary, Duration::ZERO).unwrap();
    assert_eq!(
        out.text(),
        "the fault-free run already fails; nothing explored:\nwouldblock: fail (guest exit \
         1)\nwhy\n"
            .to_string()
            + counts
    );
}

#[test]
fn a_failing_test_line_is_whole_in_a_file_and_cut_on_a_terminal() {
    let message = format!(
        "assertion `left == right` failed\n  left: {}\n right: 50",
        "1".repeat(120)
    );
    let panic = Exit::Abort {
        status: 101,
        kind: "panic",
        message,
    };
    let failed = result("counts", Some(outcome(panic, "")), 1);
    let whole = test_line(&failed, None);
    assert!(whole.ends_with(" right: 50"), "{whole}");
    assert!(!whole.contains('\n'), "{whole}");
    let cut = test_line(&failed, Some(40));
    assert_eq!(
        cut,
        "        FAIL [   0.001s] counts: panic: assertion `left == right` failed "
    );
}
