//! Reproduces the sender that ignores the count `send` returns: it waits for a permit as it should, but takes `send` answering `ok(0)` for a datagram sent, so the datagram is silently dropped and the program still exits 0.

use wouldblock_guest::args::{Flag, Spec};
use wouldblock_guest::{payload, program};

const SPEC: Spec = Spec {
    program: "udp-send-ignore-count",
    count: Flag::Default(1),
    timeout_ms: Flag::Default(5000),
};

fn main() {
    let options = SPEC.parse_env();
    let socket = program::open(&options);
    for seq in 0..options.count {
        // The bug under test: `Ok` whatever `send` counted.
        if let Err(err) = socket.send_to_ignoring_count(&payload(seq), options.addr) {
            program::fail_at("datagram", seq, options.count, &err);
        }
    }
    println!(
        "udp-send-ignore-count: sent {} datagrams to {}",
        options.count, options.addr
    );
}
