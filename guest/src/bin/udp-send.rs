//! Asserts that N numbered datagrams are all accepted for ADDR by the readiness-driven blocking `send_to`, whatever readiness faults the host injects.

use wouldblock_guest::args::{Flag, Spec};
use wouldblock_guest::program;

const SPEC: Spec = Spec {
    program: "udp-send",
    count: Flag::Default(1),
    timeout_ms: Flag::Default(5000),
};

fn main() {
    let options = SPEC.parse_env();
    let socket = program::open(&options);
    program::send_numbered(&socket, options.addr, options.count);
    println!(
        "udp-send: sent {} datagrams to {}",
        options.count, options.addr
    );
}
