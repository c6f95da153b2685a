//! Reproduces the sender that retries without ever waiting: `check-send`, `send`, and on a not-ready answer straight back to `check-send`, never subscribing or polling; a socket that is not writable until the guest waits keeps it spinning.

use wouldblock_guest::args::{Flag, Spec};
use wouldblock_guest::program;

const SPEC: Spec = Spec {
    program: "udp-send-spin",
    count: Flag::Default(1),
    timeout_ms: Flag::Absent,
};

fn main() {
    let options = SPEC.parse_env();
    let socket = program::open(&options);
    // The bug under test: "not now" is answered by asking again at once.
    program::send_numbered_naively(&socket, options.addr, options.count, |_| Ok(()));
    println!(
        "udp-send-spin: sent {} datagrams to {}",
        options.count, options.addr
    );
}
