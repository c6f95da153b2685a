//! `udp-send-naive`: the one-shot sender fails with WouldBlock on every run under every
//! first-send form, and passes when nothing is injected.

use anyhow::{Result, ensure};
use wouldblock::guests::UDP_SEND_NAIVE;
use wouldblock::{Form, Plan, Readiness};
use wouldblock_tests::{assert_would_block, guest, harness, repeat};

#[test]
fn fails_on_every_run_under_every_first_send_form() -> Result<()> {
    for form in Form::ALL {
        for k in [1, 3, 50] {
            let harness = harness(Plan::first_send(form, 1, Readiness::NotReady(k)));
            repeat(&harness, &guest(&UDP_SEND_NAIVE), &[], |run| {
                assert_would_block(&run.outcome)?;
                ensure!(
                    run.received.total() == 0,
                    "a datagram arrived: {:?}",
                    run.received
                );
                Ok(())
            })
            .map_err(|e| e.context(format!("form {}, K {k}", form.name())))?;
        }
    }
    Ok(())
}

#[test]
fn passes_without_a_fault() -> Result<()> {
    repeat(&harness(Plan::new()), &guest(&UDP_SEND_NAIVE), &[], |run| {
        ensure!(run.outcome.passed(), "{}", run.outcome.stderr_text());
        ensure!(run.received.exactly_once(1));
        Ok(())
    })
}
