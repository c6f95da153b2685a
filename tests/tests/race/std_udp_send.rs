//! `std-udp-send`: std's `UdpSocket` (wasi-libc) waits out a first send that is not
//! writable when it is told in WASI 0.2's own words (`ok(0)`, `check-send` 0), and
//! delivers every datagram exactly once; told `would-block`, outside WASI 0.2, it fails.

use anyhow::Result;
use wouldblock::{Form, Plan, Readiness};
use wouldblock_guests::STD_UDP_SEND;
use wouldblock_tests::{
    assert_delivered_exactly_once, assert_nothing_arrived, assert_would_block, counting, guest,
    repeat,
};

const ARGS: &[&str] = &["{peer}", "--count", "8"];

#[test]
fn delivers_everything_under_the_wasi_forms() -> Result<()> {
    for form in [Form::OkZero, Form::CheckSend] {
        for k in [1, 3] {
            let harness = counting(Plan::first_send(form, 1, Readiness::NotReady(k)), Some(8));
            repeat(&harness, &guest(&STD_UDP_SEND), ARGS, |outcome| {
                assert_delivered_exactly_once(outcome, 8)
            })
            .map_err(|e| e.context(format!("form {}, K {k}", form.name())))?;
        }
    }
    Ok(())
}

/// wasi-libc maps `would-block` to EWOULDBLOCK and std's blocking `send_to` returns it:
/// what older hosts did breaks std, which is why the WIT forbids it.
#[test]
fn fails_with_would_block_under_the_legacy_form() -> Result<()> {
    let harness = counting(
        Plan::first_send(Form::WouldBlock, 1, Readiness::NotReady(1)),
        None,
    );
    repeat(&harness, &guest(&STD_UDP_SEND), ARGS, |outcome| {
        assert_would_block(outcome)?;
        assert_nothing_arrived(outcome)
    })
}
