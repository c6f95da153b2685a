//! Asserts that one `check-send` + `send` of datagram 0 succeeds at once: the faithful naive sender, which fails outright (kind: WouldBlock) when the host is not ready.

use wouldblock_guest::args::{Flag, Spec};
use wouldblock_guest::{payload, program};

const SPEC: Spec = Spec {
    program: "udp-send-naive",
    count: Flag::Absent,
    timeout_ms: Flag::Absent,
};

fn main() {
    let options = SPEC.parse_env();
    let socket = program::open(&options);
    // The bug under test: a single non-blocking attempt, no wait, no retry.
    if let Err(err) = socket.try_send_to(&payload(0), options.addr) {
        program::fail(format_args!("send failed: {}", program::describe(&err)));
    }
    println!("udp-send-naive: sent 1 datagram to {}", options.addr);
}
