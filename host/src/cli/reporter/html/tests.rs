//! The page's parts: the window a long trace is drawn through, the lanes, the words, and
//! the page itself for each kind of command (a browser renders them in `host/tests/html.rs`).

use super::super::tests::{outcome, stopped};
use super::text::{nanos, reference_url, thousands, without};
use super::timeline::{Source, draw, script_json};
use super::*;
use crate::cli::shell::{shell_quote, shell_words};
use std::collections::BTreeSet;
use wouldblock::explore::Report;
use wouldblock::{Event as TraceEvent, Exit, Kind, Op, Plan, ResourceId, Text, Verdict};

fn event(seq: u64, op: &'static str, target: Option<ResourceId>) -> TraceEvent {
    TraceEvent {
        seq,
        interface: "wasi:sockets/udp",
        op,
        resource: target.map_or(Text::Str("-"), |id| Text::Label("outgoing", id.serial)),
        args: Text::default(),
        result: Text::Ok(16),
        fault: None,
        time_ns: Some(0),
        operation: Some(Op::UdpCheckSend),
        target,
        waits: Vec::new(),
        woke: Vec::new(),
        rule: None,
    }
}

const OUT: ResourceId = ResourceId {
    kind: Kind::UdpOutgoing,
    serial: 3,
};

/// A trace past its limit: `kept` events, then the last 16 of `total`.
fn long(kept: u64, total: u64) -> (Vec<TraceEvent>, Vec<TraceEvent>) {
    let events = (1..=kept)
        .map(|s| event(s, "check-send", Some(OUT)))
        .collect();
    let tail = (total - 15..=total)
        .map(|s| event(s, "check-send", Some(OUT)))
        .collect();
    (events, tail)
}

#[test]
fn a_long_trace_is_a_window_around_the_evidence_and_the_rest_is_counted() {
    let (kept, tail) = long(100_000, 300_021);
    let source = Source {
        kept: &kept,
        tail,
        total: 300_021,
    };
    let evidence: BTreeSet<u64> = (300_016..=300_021).collect();
    let drawn = draw(&source, &evidence, 400, "t");
    assert!(drawn.shown <= 400, "{}", drawn.shown);
    let left: u64 = drawn.gaps.iter().map(|g| g.count).sum();
    assert_eq!(left + drawn.shown as u64, 300_021);
    // The first calls, then the calls before the evidence, then what the trace did not keep.
    assert_eq!(drawn.gaps.len(), 2, "{:?}", drawn.gaps);
    assert_eq!(drawn.gaps[0].from, 17);
    assert_eq!(drawn.gaps[0].unkept, 0);
    assert_eq!(drawn.gaps[0].ops[0].0, "udp.check-send");
    assert_eq!(drawn.gaps[1].from, 100_001);
    assert_eq!(drawn.gaps[1].unkept, drawn.gaps[1].count);
    let lines: Vec<serde_json::Value> = serde_json::from_str(&drawn.data).unwrap();
    assert_eq!(lines.len(), drawn.shown);
    assert_eq!(lines.last().unwrap()["seq"], 300_021);
    assert_eq!(drawn.svg.matches(r#"class="evb""#).count(), 6);
    assert!(drawn.svg.len() < 64 * 1024, "{} bytes", drawn.svg.len());
}

#[test]
fn a_short_trace_is_drawn_whole() {
    let (kept, _) = long(40, 40);
    let source = Source {
        kept: &kept,
        tail: Vec::new(),
        total: 40,
    };
    let drawn = draw(&source, &BTreeSet::new(), 400, "t");
    assert_eq!((drawn.shown, drawn.gaps.len(), drawn.lanes), (40, 0, 1));
    assert!(!drawn.time_moved && drawn.virtual_time);
}

#[test]
fn one_lane_per_resource_waits_mark_each_pollable_and_injections_name_their_rule() {
    let socket = ResourceId {
        kind: Kind::UdpSocket,
        serial: 1,
    };
    let input = ResourceId {
        kind: Kind::UdpIncoming,
        serial: 2,
    };
    let mut create = event(1, "create-udp-socket", None);
    create.interface = "wasi:sockets/udp-create-socket";
    let mut bind = event(2, "start-bind", Some(socket));
    bind.resource = Text::Label("udp-socket", 1);
    let mut send = event(3, "send", Some(OUT));
    send.resource = Text::Label("outgoing", 1);
    send.fault = Some("first-send/ok-zero: ok-zero, then not-ready 1".into());
    send.rule = Some(0);
    let mut wait = event(4, "poll", None);
    wait.interface = "wasi:io/poll";
    wait.waits = vec![OUT, input];
    wait.args = Text::Waits {
        labels: vec![Text::Label("outgoing", 1), Text::Label("incoming", 1)],
        others: 1,
    };
    wait.time_ns = Some(5_000_000);
    wait.operation = None;
    let kept = [create, bind, send, wait];
    let source = Source {
        kept: &kept,
        tail: Vec::new(),
        total: 4,
    };
    let drawn = draw(&source, &BTreeSet::from([3]), 400, "t");
    assert_eq!(drawn.lanes, 5);
    for label in [
        "udp-create-socket",
        "udp-socket#1",
        "outgoing#1",
        "incoming#1",
        "other pollables",
    ] {
        assert!(drawn.labels.contains(&format!(">{label}<")), "{label}");
    }
    assert_eq!(drawn.rules, BTreeSet::from([0]));
    assert!(drawn.svg.contains(r#"class="e inj ev" data-i="2""#));
    assert!(drawn.svg.contains(">r0<"));
    // One wait, three lanes: a diamond on each, a line through them.
    assert_eq!(drawn.svg.matches(r#"data-i="3""#).count(), 3);
    assert_eq!(drawn.svg.matches(r#"class="wl""#).count(), 1);
    assert!(drawn.time_moved && drawn.svg.contains(">+5 ms<"));
}

#[test]
fn words_for_people_and_shells() {
    assert_eq!(thousands(300_021), "300,021");
    assert_eq!(thousands(999), "999");
    assert_eq!(nanos(0), "0");
    assert_eq!(nanos(5_000_000), "5 ms");
    assert_eq!(nanos(1_500_000_000), "1.5 s");
    assert_eq!(nanos(250_000), "250 µs");
    // As the plan files quote it: a brace is not among the plain characters.
    assert_eq!(shell_quote("{peer}"), "'{peer}'");
    assert_eq!(shell_quote("it's"), r"'it'\''s'");
    assert_eq!(shell_quote(""), "''");
    let argv: Vec<String> = [
        "wb", "run", "--repeat", "9", "--html=x", "--jobs", "2", "g.wasm",
    ]
    .into_iter()
    .chain(["--jobs", "3"])
    .map(String::from)
    .collect();
    let kept = without(&argv, &["--repeat", "--jobs", "--html"], &[], "g.wasm");
    // What follows the component is the guest's, whatever it looks like.
    assert_eq!(shell_words(&kept), "wb run g.wasm --jobs 3");
    assert_eq!(
        reference_url("wasmtime#12612").as_deref(),
        Some("https://github.com/bytecodealliance/wasmtime/issues/12612")
    );
    assert_eq!(reference_url("WIT: \"a clause\" #3"), None);
    assert_eq!(reference_url("nobody#1"), None);
}

#[test]
fn the_wasmtime_named_is_the_one_cargo_pins() {
    let manifest = include_str!("../../../../Cargo.toml");
    assert!(
        manifest.contains(&format!(r#"wasmtime = {{ version = "={WASMTIME}""#)),
        "host/Cargo.toml pins another wasmtime than {WASMTIME}"
    );
}

/// A path of this test's own in the temporary directory, not there yet.
fn scratch(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("wouldblock-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

fn invocation() -> Invocation {
    Invocation {
        argv: vec!["wouldblock".into(), "run".into(), "g.wasm".into()],
        component: None,
        plan: Some(
            Plan::parse_spec("first-send")
                .map(|rules| Plan { rules })
                .unwrap(),
        ),
        clock: "virtual".into(),
        replay: "wouldblock run g.wasm".into(),
    }
}

#[test]
fn a_run_page_escapes_what_the_guest_said_and_names_the_verdict() {
    let path = scratch("run.html");
    let mut html = Html::create(&path, invocation()).unwrap();
    let run = outcome(
        stopped(Verdict::BusyLoop, "    #1 a(<b>) -> c\n"),
        "<script>alert(1)</script>",
    );
    for event in [
        Event::RunStarted(Start::Run),
        Event::Summary(Summary::Run(&run)),
        Event::RunEnded,
    ] {
        html.display(&event, Duration::from_millis(20)).unwrap();
    }
    drop(html);
    let page = std::fs::read_to_string(&path).unwrap();
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{page}"
    );
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(page.contains("busy-loop (exit 84)"));
    assert!(page.contains("1 rule(s): first-send/ok-zero"));
    assert!(page.contains("Content-Security-Policy"));
    assert!(page.contains(r#"<svg class="timeline""#));
    assert!(page.contains("The guest made no socket call."));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_command_that_stops_midway_leaves_a_page_that_says_so() {
    let path = scratch("stopped.html");
    let mut html = Html::create(&path, invocation()).unwrap();
    html.display(&Event::RunStarted(Start::Explore), Duration::ZERO)
        .unwrap();
    drop(html);
    let page = std::fs::read_to_string(&path).unwrap();
    assert!(page.contains("incomplete") && page.contains("stopped before its end"));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn an_exploration_page_has_a_row_and_a_section_per_finding_and_note() {
    let path = scratch("explore.html");
    let mut html =
        Html::create(&path, invocation().replaying("wb run --plan {file}".into())).unwrap();
    let finding = |verdict: &str, robustness: bool| -> wouldblock::explore::Finding {
        serde_json::from_value(serde_json::json!({
            "verdict": verdict, "exit_code": 1, "site": "udp.send call 1",
            "fault": "ok-zero, then not-ready 1",
            "plan": "[[fault]]\nop = \"udp.send\"\nafter = 0\nfirst = 1\naction = \"ok-zero\"\nready = 1\n",
            "duplicates": 2, "evidence": "why\n", "robustness": robustness, "index": 0,
        }))
        .unwrap()
    };
    let mut report = Report::default();
    report.findings = vec![finding("fail (exit 1)", false)];
    report.notes = vec![finding("hang", true)];
    let run = outcome(Exit::Code(1), "");
    html.display(&Event::RunStarted(Start::Explore), Duration::ZERO)
        .unwrap();
    let file = Path::new("out/finding-01.toml");
    for (finding, outcome) in [(&report.findings[0], Some(&run)), (&report.notes[0], None)] {
        let event = Event::Finding {
            finding,
            file: Some(file),
            outcome,
        };
        html.display(&event, Duration::ZERO).unwrap();
    }
    html.display(&Event::Summary(Summary::Explore(&report)), Duration::ZERO)
        .unwrap();
    html.display(&Event::RunEnded, Duration::ZERO).unwrap();
    drop(html);
    let page = std::fs::read_to_string(&path).unwrap();
    assert!(
        page.contains(r#"data-findings="1" data-notes="1""#),
        "{page}"
    );
    assert_eq!(page.matches(r#"<details class="finding""#).count(), 2);
    // The fault's row of the table: its tier and its reference, linked.
    assert!(
        page.contains(r#"<a href="https://github.com/bytecodealliance/wasmtime/issues/12612">"#)
    );
    assert!(page.contains("wb run --plan out/finding-01.toml"));
    assert!(
        page.contains("<td class=\"num\">3</td>"),
        "stands for itself and 2 more"
    );
    // A note without its replay says why it has no timeline.
    assert!(page.contains("No timeline"));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn json_in_a_script_holds_no_character_that_ends_or_changes_it() {
    // Issue 31: `<!--<script>` in a trace string swallowed the rest of the page.
    let hostile = "<!--<script></script><img src=x onerror=alert(1)>&\u{2028}\u{2029}";
    let json = serde_json::to_string(&hostile).unwrap();
    let safe = script_json(&json);
    assert!(
        !safe.contains(['<', '>', '&', '\u{2028}', '\u{2029}']),
        "{safe}"
    );
    assert_eq!(serde_json::from_str::<String>(&safe).unwrap(), hostile);
}
