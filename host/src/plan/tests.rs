//! The plan model, parser and presets, tested on their own.
use super::presets::first_send_rule;
use super::*;
use wasmtime_wasi::p2::bindings::sockets::network::ErrorCode;

#[test]
fn first_send_spec_defaults_to_one_ok_zero_attempt_and_one_tick() {
    let rules = Plan::parse_spec("first-send").unwrap();
    assert_eq!(
        rules,
        vec![first_send_rule(Form::OkZero, 1, Readiness::NotReady(1))]
    );
}

#[test]
fn spec_and_toml_give_the_same_rule() {
    let spec = Plan::parse_spec("udp.send:first=3,action=would-block,ready=never").unwrap();
    let toml = Plan::from_toml(
        "[[fault]]\nop = \"udp.send\"\nfirst = 3\naction = \"would-block\"\nready = \"never\"\n",
        "p.toml",
    )
    .unwrap();
    assert_eq!(spec, toml.rules);
    assert_eq!(spec[0].action, Action::Error(ErrorCode::WouldBlock));
}

#[test]
fn selectors_count_from_zero() {
    let nth = Select {
        after: 2,
        first: Some(1),
        ..Select::default()
    };
    assert_eq!(
        (0..5).map(|n| nth.matches(n, 0)).collect::<Vec<_>>(),
        [false, false, true, false, false]
    );
    let every = Select {
        after: 1,
        every: Some(2),
        ..Select::default()
    };
    assert_eq!(
        (0..6).map(|n| every.matches(n, 0)).collect::<Vec<_>>(),
        [false, false, true, false, true, false]
    );
}

#[test]
fn until_waits_closes_the_window_after_w_timer_wakes() {
    let window = Select {
        after: 1,
        until_waits: Some(2),
        ..Select::default()
    };
    assert!(!window.matches(0, 0));
    assert!(window.matches(5, 1));
    assert!(!window.matches(6, 2));
}

#[test]
fn presets_expand_and_reject_foreign_keys() {
    let icmp = Plan::parse_spec("icmp-refused:sticky=true").unwrap();
    assert_eq!(icmp[0].op, Op::UdpReceive);
    assert_eq!(icmp[0].select.first, Some(1));
    assert!(icmp[0].sticky);
    assert!(icmp[0].connected);
    let nowake = Plan::parse_spec("enobufs-no-wakeup:first=5,action=ok-zero").unwrap();
    assert_eq!(
        (nowake[0].action, nowake[0].ready),
        (Action::OkZero, Readiness::Never)
    );
    for preset in PRESETS {
        // A slow peer, back-pressure and a reset take two rules: the chunk and the gap.
        let two = [
            "tcp-slow-peer",
            "tcp-backpressure",
            "tcp-reset",
            "http-slow-body",
            "http-body-backpressure",
            "http-reset-mid-body",
        ]
        .contains(&preset.name);
        assert_eq!(
            Plan::parse_spec(preset.name).unwrap().len(),
            if two { 2 } else { 1 },
            "{}",
            preset.name
        );
    }
    let err = Plan::parse_spec("enobufs-writable:first=3")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("field `first` is not a key of preset enobufs-writable"),
        "{err}"
    );
}

#[test]
fn pollable_ops_take_only_a_readiness() {
    let rule = &Plan::parse_spec("udp.outgoing-pollable:every=2,ready=spurious").unwrap()[0];
    assert_eq!(
        (rule.action, rule.ready),
        (Action::Pass, Readiness::Spurious)
    );
    let err = Plan::parse_spec("udp.incoming-pollable:first=1")
        .unwrap_err()
        .to_string();
    assert!(err.contains("field `ready` is missing"), "{err}");
    let err = Plan::parse_spec("udp.incoming-pollable:action=timeout,ready=1")
        .unwrap_err()
        .to_string();
    assert!(err.contains("is a wait"), "{err}");
}

#[test]
fn errors_name_the_line_column_and_field() {
    let err = Plan::from_toml(
        "\n[[fault]]\nop = \"udp.send\"\naction = \"bogus\"\n",
        "plan.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("plan.toml line 4, column 1"), "{err}");
    assert!(err.contains("field `action`"), "{err}");
    let err = Plan::from_toml("[[fault]]\nop = \"udp.sned\"\n", "plan.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 2") && err.contains("udp.sned"), "{err}");
    let err = Plan::parse_spec("first-send:colour=red")
        .unwrap_err()
        .to_string();
    assert!(err.contains("colour"), "{err}");
}

#[test]
fn a_key_given_twice_is_an_error_as_in_toml() {
    let err = Plan::parse_spec("first-send:n=1,n=2")
        .unwrap_err()
        .to_string();
    assert!(err.contains("field `n` is given twice"), "{err}");
    let err = Plan::from_toml(
        "[[fault]]\npreset = \"first-send\"\nn = 1\nn = 2\n",
        "p.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("p.toml") && err.contains("duplicate key"),
        "{err}"
    );
}

#[test]
fn numbers_out_of_range_are_named_in_our_words() {
    for (spec, words) in [
        (
            "first-send:n=99999999999999999999",
            "field `first`: 99999999999999999999 is out of range (a whole number from 0 to 9223372036854775807)",
        ),
        (
            "first-send:k=9223372036854775807",
            "field `ready`: 9223372036854775807 is out of range (a tick count from 0 to 4294967295",
        ),
        (
            "udp.send:action=ok-zero,every=0",
            "field `every`: 0 is out of range (a whole number from 1 to",
        ),
        (
            "udp.send:action=ok-zero,nth=0",
            "field `nth`: 0 is out of range (a whole number from 1 to",
        ),
        (
            "udp.send:action=ok-zero,after=-1",
            "field `after`: -1 is out of range",
        ),
        (
            "udp.send:action=ok-zero,first=two",
            "field `first`: \"two\" is not a whole number",
        ),
    ] {
        let err = Plan::parse_spec(spec).unwrap_err().to_string();
        assert!(err.contains(words), "{spec}: {err}");
    }
    let err = Plan::from_toml(
        "[[fault]]\nop = \"udp.send\"\naction = \"ok-zero\"\nfirst = 99999999999999999999\n",
        "big.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("big.toml line 4, column 9")
            && err.contains("field `first`: 99999999999999999999 is out of range (a whole number from 0 to 9223372036854775807)"),
        "{err}"
    );
    // Just past TOML's integers, as the issue-31 round found it: the bounds message too.
    let err = Plan::from_toml(
        "[[fault]]\nop = \"udp.send\"\naction = \"ok-zero\"\nafter = 9223372036854775808\n",
        "big.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("field `after`: 9223372036854775808 is out of range"),
        "{err}"
    );
}

#[test]
fn a_plan_of_ten_thousand_rules_loads_linearly() {
    let text = "[[fault]]\nop = \"udp.receive\"\naction = \"ok-zero\"\nnth = 7\n".repeat(10_000);
    let plan = Plan::from_toml(&text, "many.toml").unwrap();
    assert_eq!(plan.rules.len(), 10_000);
    let err = Plan::from_toml(
        &format!("{text}[[fault]]\nop = \"udp.receive\"\n"),
        "many.toml",
    )
    .unwrap_err()
    .to_string();
    // The last fault's own line, found without rescanning the file per fault.
    assert!(err.contains("many.toml line 40001, column 1"), "{err}");
}

#[test]
fn a_spec_may_be_written_the_toml_way() {
    assert_eq!(
        Plan::parse_spec("op=udp.send,first=2,action=ok-zero").unwrap(),
        Plan::parse_spec("udp.send:first=2,action=ok-zero").unwrap()
    );
    assert_eq!(
        Plan::parse_spec("preset=first-send,n=2").unwrap(),
        Plan::parse_spec("first-send:n=2").unwrap()
    );
}

#[test]
fn connected_is_refused_where_it_would_never_fire() {
    // Issue 31: `connected = true` on `http.body-*` was accepted and never fired.
    for spec in [
        "http.body-write:first=1,action=closed,connected=true",
        "dns.resolve:first=1,action=would-block,connected=true",
    ] {
        let err = Plan::parse_spec(spec).unwrap_err().to_string();
        assert!(
            err.contains("field `connected`") && err.contains("never fire"),
            "{spec}: {err}"
        );
    }
    assert!(
        Plan::parse_spec("udp.receive:first=1,action=connection-refused,connected=true").is_ok()
    );
}
