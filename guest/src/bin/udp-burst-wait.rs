//! Reproduces the sender that trusts readiness completely: on would-block or out-of-memory it blocks on the outgoing pollable alone, as a blocking send waiting for POLLOUT does, so a missed wake-up hangs it and an always-ready pollable makes it spin.

use wouldblock_guest::args::{Flag, Spec};
use wouldblock_guest::program;

const SPEC: Spec = Spec {
    program: "udp-burst-wait",
    count: Flag::Required,
    timeout_ms: Flag::Absent,
};

fn main() {
    let options = SPEC.parse_env();
    let socket = program::open(&options);
    // The bug under test: readiness alone decides, no clock, no deadline.
    program::send_numbered_naively(&socket, options.addr, options.count, |socket| {
        socket.block_outgoing()
    });
    println!(
        "udp-burst-wait: sent {} datagrams to {}",
        options.count, options.addr
    );
}
