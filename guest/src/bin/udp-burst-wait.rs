//! Reproduces the sender that trusts readiness completely: on would-block or out-of-memory it blocks on the outgoing pollable alone, as a blocking send waiting for POLLOUT does, so a missed wake-up hangs it and an always-ready pollable makes it spin.

use std::io::ErrorKind;

use wouldblock_guest::args::{Flag, Spec};
use wouldblock_guest::{payload, program};

const SPEC: Spec = Spec {
    program: "udp-burst-wait",
    count: Flag::Required,
    timeout_ms: Flag::Absent,
};

fn main() {
    let options = SPEC.parse_env();
    let socket = program::open(&options);
    for seq in 0..options.count {
        loop {
            match socket.try_send_to(&payload(seq), options.addr) {
                Ok(_) => break,
                // The bug under test: readiness alone decides, no clock, no deadline.
                Err(err)
                    if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::OutOfMemory) =>
                {
                    if let Err(err) = socket.block_outgoing() {
                        program::fail_at("datagram", seq, options.count, &err);
                    }
                }
                Err(err) => program::fail_at("datagram", seq, options.count, &err),
            }
        }
    }
    println!(
        "udp-burst-wait: sent {} datagrams to {}",
        options.count, options.addr
    );
}
