//! Reproduces the sender that takes any wake-up for a back-off: on would-block or out-of-memory it waits on the outgoing pollable and stdin together, so a stdin that is always readable wakes it at once and it spins.

use wasi::cli::stdin;
use wouldblock_guest::args::{Flag, Spec};
use wouldblock_guest::program;

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
    program::send_numbered_naively(&socket, options.addr, options.count, |socket| {
        socket.wait_outgoing_or(&stdin)
    });
    println!(
        "udp-burst-stdin: sent {} datagrams to {}",
        options.count, options.addr
    );
}
