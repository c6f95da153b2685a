//! `udp-send-naive`: the one-shot sender fails with WouldBlock on every run under every
//! first-send form, and passes when nothing is injected.

use anyhow::Result;
use wouldblock::{Form, Plan, Readiness};
use wouldblock_guests::UDP_SEND_NAIVE;
use wouldblock_tests::{
    assert_delivered_exactly_once, assert_nothing_arrived, assert_would_block, counting, guest,
    repeat,
};

#[test]
fn fails_on_every_run_under_every_first_send_form() -> Result<()> {
    for form in Form::ALL {
        for k in [1, 3, 50] {
            let harness = counting(Plan::first_send(form, 1, Readiness::NotReady(k)), None);
            repeat(&harness, &guest(&UDP_SEND_NAIVE), &["{peer}"], |outcome| {
                assert_would_block(outcome)?;
                assert_nothing_arrived(outcome)
            })
            .map_err(|e| e.context(format!("form {}, K {k}", form.name())))?;
        }
    }
    Ok(())
}

#[test]
fn passes_without_a_fault() -> Result<()> {
    let harness = counting(Plan::new(), None);
    repeat(&harness, &guest(&UDP_SEND_NAIVE), &["{peer}"], |outcome| {
        assert_delivered_exactly_once(outcome, 1)
    })
}
