//! Reproduces the naive request loop: it blocks on the incoming pollable alone, trusts it and receives at once, and treats any receive error, such as a connection-refused the host reports once, as fatal.

use std::io::{self, ErrorKind};

use wouldblock_guest::args::{Flag, Spec};
use wouldblock_guest::payload;
use wouldblock_guest::program::{self, Reply};

const SPEC: Spec = Spec {
    program: "udp-request-naive",
    count: Flag::Default(1),
    timeout_ms: Flag::Default(5000),
};

fn main() {
    let options = SPEC.parse_env();
    let socket = program::open_connected(&options);
    let mut buf = vec![0; program::RECV_BUFFER];
    let fail = |seq, err: &io::Error| -> ! { program::fail_at("request", seq, options.count, err) };
    for seq in 0..options.count {
        if let Err(err) = socket.send(&payload(seq)) {
            fail(seq, &err);
        }
        loop {
            match socket.try_recv(&mut buf) {
                Ok(len) => match program::check_reply(seq, &buf[..len]) {
                    Ok(Reply::Expected) => break,
                    Ok(Reply::Stale) => continue,
                    Err(err) => fail(seq, &err),
                },
                // The bug under test, part 1: readiness is trusted blindly.
                // No clock and no deadline (the read timeout is ignored): a
                // missed wake-up hangs here, a spurious one spins.
                Err(err) if err.kind() == ErrorKind::WouldBlock => {
                    if let Err(err) = socket.block_incoming() {
                        fail(seq, &err);
                    }
                }
                // The bug under test, part 2: fatal, though the host reports
                // it once and the socket would still work.
                Err(err) => fail(seq, &err),
            }
        }
    }
    println!("udp-request-naive: {} replies", options.count);
}
