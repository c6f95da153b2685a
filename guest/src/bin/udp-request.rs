//! Asserts that N requests on a connected socket each get their echo, surviving a connection-refused (an ICMP port-unreachable the host reports once) by resending on the same, still usable socket.

use std::io::{self, ErrorKind};

use wouldblock_guest::args::{Flag, Spec};
use wouldblock_guest::payload;
use wouldblock_guest::program::{self, Reply};
use wouldblock_guest::udp::UdpSocket;

const SPEC: Spec = Spec {
    program: "udp-request",
    count: Flag::Default(1),
    timeout_ms: Flag::Default(5000),
};

/// Refusals tolerated per request; the next one fails the run. Two refusals that are
/// each reported twice (Linux's sk_err) are four: `wouldblock explore --depth 2` found
/// three too few.
const MAX_REFUSALS: u32 = 4;

fn main() {
    let options = SPEC.parse_env();
    let socket = program::open_connected(&options);
    let mut buf = vec![0; program::RECV_BUFFER];
    for seq in 0..options.count {
        let mut refusals = 0;
        loop {
            match exchange(&socket, seq, &mut buf) {
                Ok(()) => break,
                // Reported once by the host; the socket stays usable.
                Err(err)
                    if err.kind() == ErrorKind::ConnectionRefused && refusals < MAX_REFUSALS =>
                {
                    refusals += 1;
                    eprintln!("udp-request: request {seq}: peer refused (reported once), retrying");
                }
                Err(err) => program::fail_at("request", seq, options.count, &err),
            }
        }
    }
    println!("udp-request: {} replies", options.count);
}

/// Sends request `seq` and waits for its echo, skipping late echoes of
/// earlier requests.
fn exchange(socket: &UdpSocket, seq: u64, buf: &mut [u8]) -> io::Result<()> {
    socket.send(&payload(seq))?;
    loop {
        let len = socket.recv(buf)?;
        match program::check_reply(seq, &buf[..len])? {
            Reply::Expected => return Ok(()),
            Reply::Stale => continue,
        }
    }
}
