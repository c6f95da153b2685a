//! Reproduces the sender that retries without ever waiting: `check-send`, `send`, and on a not-ready answer straight back to `check-send`, never subscribing or polling; a socket that is not writable until the guest waits keeps it spinning.

use std::io::ErrorKind;

use wouldblock_guest::args::{Flag, Spec};
use wouldblock_guest::{payload, program};

const SPEC: Spec = Spec {
    program: "udp-send-spin",
    count: Flag::Default(1),
    timeout_ms: Flag::Absent,
};

fn main() {
    let options = SPEC.parse_env();
    let socket = program::open(&options);
    for seq in 0..options.count {
        // The bug under test: "not now" is answered by asking again at once.
        loop {
            match socket.try_send_to(&payload(seq), options.addr) {
                Ok(_) => break,
                Err(err) if err.kind() == ErrorKind::WouldBlock => continue,
                Err(err) => program::fail_at("datagram", seq, options.count, &err),
            }
        }
    }
    println!(
        "udp-send-spin: sent {} datagrams to {}",
        options.count, options.addr
    );
}
