//! Asserts that std's own `UdpSocket` (wasi-libc underneath, not this crate's library) delivers N numbered datagrams to ADDR with blocking `send_to`, whatever readiness faults the host injects.

use std::net::UdpSocket;

use wouldblock_guest::args::{Flag, Spec};
use wouldblock_guest::{payload, program};

const SPEC: Spec = Spec {
    program: "std-udp-send",
    count: Flag::Default(1),
    timeout_ms: Flag::Absent,
};

fn main() {
    let options = SPEC.parse_env();
    let local = wouldblock_guest::udp::loopback_for(options.addr);
    let socket = UdpSocket::bind(local).unwrap_or_else(|err| {
        program::fail(format_args!("bind {local}: {}", program::describe(&err)))
    });
    for seq in 0..options.count {
        if let Err(err) = socket.send_to(&payload(seq), options.addr) {
            program::fail_at("datagram", seq, options.count, &err);
        }
    }
    println!(
        "std-udp-send: sent {} datagrams to {}",
        options.count, options.addr
    );
}
