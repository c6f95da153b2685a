//! Reproduces the sender that takes any wake-up for a back-off: on would-block or out-of-memory it waits on the outgoing pollable and stdin together, so a stdin that is always readable wakes it at once and it spins.

use std::io::ErrorKind;

use wasi::cli::stdin;
use wouldblock_guest::args::{Flag, Spec};
use wouldblock_guest::{payload, program};

const SPEC: Spec = Spec {
    program: "udp-burst-stdin",
    count: Flag::Required,
    timeout_ms: Flag::Absent,
};

fn main() {
    let options = SPEC.parse_env();
    let socket = program::open(&options);
    // The bug under test: stdin at its end is always ready, so this "wait" is no wait.
    // The pollable is the stream's child: the stream must outlive it.
    let stdin_stream = stdin::get_stdin();
    let stdin = stdin_stream.subscribe();
    for seq in 0..options.count {
        loop {
            match socket.try_send_to(&payload(seq), options.addr) {
                Ok(_) => break,
                Err(err)
                    if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::OutOfMemory) =>
                {
                    if let Err(err) = socket.wait_outgoing_or(&stdin) {
                        program::fail_at("datagram", seq, options.count, &err);
                    }
                }
                Err(err) => program::fail_at("datagram", seq, options.count, &err),
            }
        }
    }
    println!(
        "udp-burst-stdin: sent {} datagrams to {}",
        options.count, options.addr
    );
}
