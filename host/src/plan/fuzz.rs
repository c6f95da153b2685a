//! The plan parser fuzzed: any `--fault` string and any TOML gives a plan or a plan error,
//! never a panic, and any plan printed as TOML reads back as the same plan.

use super::*;
use crate::catalogue::ERROR_CODES;
use proptest::prelude::*;
use wasmtime_wasi::p2::bindings::sockets::network::ErrorCode;

/// Values a key may be given, hostile ones included.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        Just("99999999999999999999".to_string()),
        Just("-0".to_string()),
        "[a-z-]{0,12}",
        any::<bool>().prop_map(|b| b.to_string()),
        "\\PC{0,8}",
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "first",
            "n",
            "after",
            "every",
            "nth",
            "until-waits",
            "per",
            "connected",
            "eager",
            "sticky",
            "action",
            "ready",
            "k",
            "form",
            "name",
        ])
        .prop_map(str::to_string),
        "[a-z]{1,6}",
    ]
}

fn head() -> impl Strategy<Value = String> {
    let ops: Vec<String> = Op::ALL.iter().map(|op| op.name().to_string()).collect();
    let presets: Vec<String> = PRESETS.iter().map(|p| p.name.to_string()).collect();
    prop_oneof![
        prop::sample::select(ops),
        prop::sample::select(presets),
        "\\PC{0,12}"
    ]
}

/// A rule the parser can produce: a valid action for its operation.
fn rule() -> impl Strategy<Value = Rule> {
    let ready = prop_oneof![
        Just(Readiness::Real),
        (1..=u32::MAX).prop_map(Readiness::NotReady),
        Just(Readiness::Never),
        Just(Readiness::Spurious),
        Just(Readiness::SpuriousOnce),
    ];
    let count = 0..=i64::MAX as u64;
    let select = (
        count.clone(),
        prop::option::of(count.clone()),
        prop::option::of(1..=i64::MAX as u64),
        prop::option::of(count),
    )
        .prop_map(|(after, first, every, until_waits)| Select {
            after,
            first,
            every,
            until_waits,
        });
    let codes = prop::sample::select(ERROR_CODES.iter().map(|(_, c)| *c).collect::<Vec<_>>());
    (
        prop::sample::select(Op::ALL.to_vec()),
        prop_oneof![
            Just(Action::OkZero),
            Just(Action::Pass),
            Just(Action::Reset),
            Just(Action::Closed),
            Just(Action::Ipv6First),
            (1..=i64::MAX as u64).prop_map(Action::Slice),
            (0..=i64::MAX as u64).prop_map(Action::ShortPermit),
            codes.prop_map(Action::Error)
        ],
        ready,
        select,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        "\\PC{1,16}",
    )
        .prop_map(
            |(op, action, ready, select, global, connected, sticky, name)| {
                // Only what the parser accepts: what it would refuse is not a plan.
                let action = match action {
                    _ if op.is_pollable() => Action::Pass,
                    Action::OkZero if !op.has_zero_answer() => Action::Pass,
                    Action::OkZero if op.zero_is_would_block() => {
                        Action::Error(ErrorCode::WouldBlock)
                    }
                    Action::Slice(_) if op != Op::TcpRead => Action::Pass,
                    Action::ShortPermit(_) if op != Op::TcpCheckWrite => Action::Pass,
                    Action::Reset | Action::Closed if !op.is_stream() => Action::Pass,
                    Action::Ipv6First if op != Op::DnsResolve => Action::Pass,
                    other => other,
                };
                let scope = if global { Scope::Global } else { Scope::Stream };
                let socket = op.name().starts_with("udp.") || op.name().starts_with("tcp.");
                let connected = connected && socket;
                Rule {
                    name,
                    op,
                    select,
                    scope,
                    action,
                    ready,
                    connected,
                    eager: connected && sticky,
                    sticky,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_spec_gives_a_plan_or_an_error(head in head(), pairs in prop::collection::vec((key(), value()), 0..6)) {
        let spec = pairs.iter().fold(head, |spec, (k, v)| format!("{spec}{}{k}={v}", if spec.contains(':') { "," } else { ":" }));
        let _ = Plan::parse_spec(&spec);
    }

    #[test]
    fn any_text_gives_a_plan_or_an_error(text in "\\PC{0,200}") {
        let _ = Plan::from_toml(&text, "fuzz.toml");
        let _ = Plan::parse_spec(&text);
    }

    #[test]
    fn any_fault_table_gives_a_plan_or_an_error(head in head(), pairs in prop::collection::vec((key(), value()), 0..6)) {
        let mut text = format!("[[fault]]\nop = {head:?}\n");
        for (k, v) in &pairs {
            let quoted = if v.parse::<i64>().is_ok() || v == "true" || v == "false" { v.clone() } else { format!("{v:?}") };
            text += &format!("{k} = {quoted}\n");
        }
        if let Ok(plan) = Plan::from_toml(&text, "fuzz.toml") {
            prop_assert_eq!(Plan::from_toml(&plan.to_toml(), "printed").unwrap(), plan);
        }
    }

    #[test]
    fn a_printed_plan_reads_back_the_same(rules in prop::collection::vec(rule(), 0..8)) {
        let plan = Plan { rules };
        let printed = plan.to_toml();
        prop_assert_eq!(Plan::from_toml(&printed, "printed").unwrap(), plan, "{}", printed);
    }
}
