//! Reproduces the libuv/FreeBSD busy loop: on would-block or out-of-memory it retries `try_send_to` at once without waiting on any pollable, and asserts that all N datagrams are sent eventually.

use std::io::ErrorKind;

use wouldblock_guest::args::{Flag, Spec};
use wouldblock_guest::payload;
use wouldblock_guest::program::{self, GiveUp};

const SPEC: Spec = Spec {
    program: "udp-burst-spin",
    count: Flag::Required,
    timeout_ms: Flag::Default(5000),
};

fn main() {
    let options = SPEC.parse_env();
    let socket = program::open(&options);
    let mut spins: u64 = 0;
    for seq in 0..options.count {
        let data = payload(seq);
        // Per datagram, like the write timeout of the correct sender.
        let give_up = GiveUp::after(options.timeout);
        loop {
            match socket.try_send_to(&data, options.addr) {
                Ok(_) => break,
                // The bug under test: straight back to the host, no wait.
                Err(err)
                    if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::OutOfMemory) =>
                {
                    spins += 1;
                    if let Err(timed_out) = give_up.check(spins) {
                        program::fail_at("datagram", seq, options.count, &timed_out);
                    }
                }
                Err(err) => program::fail_at("datagram", seq, options.count, &err),
            }
        }
    }
    println!(
        "udp-burst-spin: sent {} datagrams to {} after {spins} immediate retries",
        options.count, options.addr
    );
}
