//! `udp-send`: the readiness-driven guest delivers every datagram exactly once under every
//! first-send form, and the harness is transparent, deterministic and bounded.

use anyhow::{Result, ensure};
use wouldblock::guests::UDP_SEND;
use wouldblock::{Form, Plan, Readiness};
use wouldblock_tests::{
    assert_delivered_exactly_once, assert_same_trace, guest, harness, repeat, run_to_sink,
};

const COUNT: &str = "16";

#[test]
fn passes_every_first_send_form_and_tick_count() -> Result<()> {
    for form in Form::ALL {
        for k in [1, 3, 50] {
            let harness = harness(Plan::first_send(form, 1, Readiness::NotReady(k)));
            repeat(&harness, &guest(&UDP_SEND), &["--count", COUNT], |run| {
                assert_delivered_exactly_once(run, 16)?;
                ensure!(
                    run.outcome.stats.faults_injected == 1,
                    "{}",
                    run.outcome.summary()
                );
                Ok(())
            })
            .map_err(|e| e.context(format!("form {}, K {k}", form.name())))?;
        }
    }
    Ok(())
}

#[test]
fn passes_when_several_first_sends_are_not_writable() -> Result<()> {
    for form in Form::ALL {
        let harness = harness(Plan::first_send(form, 3, Readiness::NotReady(3)));
        repeat(&harness, &guest(&UDP_SEND), &["--count", COUNT], |run| {
            assert_delivered_exactly_once(run, 16)
        })?;
    }
    Ok(())
}

#[test]
fn without_a_fault_the_harness_is_transparent() -> Result<()> {
    repeat(
        &harness(Plan::new()),
        &guest(&UDP_SEND),
        &["--count", COUNT],
        |run| {
            assert_delivered_exactly_once(run, 16)?;
            ensure!(run.outcome.stats.faults_injected == 0);
            Ok(())
        },
    )
}

/// wasmtime-wasi 48 answers check-send 0 once tokio's cooperative budget runs out (~128
/// sends in one task poll); the guest must wait once and go on, and the harness must hand
/// readiness to the real pollable rather than livelock.
#[test]
fn a_burst_past_the_tokio_budget_loses_nothing() -> Result<()> {
    let harness = harness(Plan::first_send(Form::CheckSend, 1, Readiness::NotReady(1)));
    repeat(&harness, &guest(&UDP_SEND), &["--count", "200"], |run| {
        assert_delivered_exactly_once(run, 200)
    })
}

#[test]
fn one_plan_gives_one_trace() -> Result<()> {
    for form in Form::ALL {
        let harness = harness(Plan::first_send(form, 2, Readiness::NotReady(3)));
        let first = run_to_sink(&harness, &guest(&UDP_SEND), &["--count", "4"])?;
        ensure!(
            first
                .outcome
                .trace
                .events()
                .iter()
                .any(|e| e.fault.is_some())
        );
        repeat(&harness, &guest(&UDP_SEND), &["--count", "4"], |run| {
            assert_same_trace(&first.outcome.trace, &run.outcome.trace)
        })?;
    }
    Ok(())
}

#[test]
fn readiness_that_never_comes_ends_in_timed_out_at_the_deadline() -> Result<()> {
    let harness = harness(Plan::first_send(Form::OkZero, u64::MAX, Readiness::Never));
    for _ in 0..3 {
        let run = run_to_sink(&harness, &guest(&UDP_SEND), &["--timeout-ms", "150"])?;
        ensure!(
            run.outcome.exit == wouldblock::Exit::Code(1),
            "{:?}",
            run.outcome.exit
        );
        let stderr = run.outcome.stderr_text();
        ensure!(stderr.contains("TimedOut"), "{stderr}");
        ensure!(
            run.received.total() == 0,
            "nothing may arrive: {:?}",
            run.received
        );
    }
    Ok(())
}
