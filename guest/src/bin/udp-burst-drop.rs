//! Reproduces firezone's original sender: a datagram the host does not take at once (would-block or out-of-memory) is dropped and counted, yet the program exits 0, leaving the loss for the host's sink to find.

use std::io::ErrorKind;

use wouldblock_guest::args::{Flag, Spec};
use wouldblock_guest::{payload, program};

const SPEC: Spec = Spec {
    program: "udp-burst-drop",
    count: Flag::Required,
    timeout_ms: Flag::Default(5000),
};

fn main() {
    let options = SPEC.parse_env();
    let socket = program::open(&options);
    let mut dropped: u64 = 0;
    for seq in 0..options.count {
        match socket.try_send_to(&payload(seq), options.addr) {
            Ok(_) => {}
            // The bug under test: the datagram is gone for good.
            Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::OutOfMemory) => {
                dropped += 1;
                eprintln!(
                    "udp-burst-drop: dropped datagram {seq}: {}",
                    program::describe(&err)
                );
            }
            Err(err) => program::fail_at("datagram", seq, options.count, &err),
        }
    }
    println!(
        "udp-burst-drop: sent {} of {} datagrams to {}, dropped {dropped}",
        options.count - dropped,
        options.count,
        options.addr
    );
}
