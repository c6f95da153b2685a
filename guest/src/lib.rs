//! Guest side of **wouldblock**: a readiness-driven UDP socket over the raw
//! WASI 0.2 `wasi:sockets/udp` interface, plus the helpers shared by the
//! scenario programs in `src/bin/`.
//!
//! The host injects deterministic socket-readiness faults (a `check-send` that
//! permits nothing, a `send` that answers `ok(0)`, `out-of-memory` for ENOBUFS,
//! an ICMP `connection-refused` on receive, pollables that wake late or not at
//! all). The programs either survive them ([`udp::UdpSocket`]'s blocking
//! calls) or reproduce the bugs real networking stacks shipped with
//! (`udp-send-naive`, `udp-burst-drop`, `udp-burst-spin`, `udp-request-naive`).
//!
//! # Using the socket
//!
//! [`udp::UdpSocket`] mirrors `std::net::UdpSocket`. Its `try_*` calls do one
//! non-blocking attempt and answer [`std::io::ErrorKind::WouldBlock`] when the
//! host is not ready; its blocking calls retry, waiting in `wasi:io/poll`
//! between attempts (never sleeping, never spinning), and honour the read and
//! write timeouts.
//!
//! ```no_run
//! use std::time::Duration;
//! use wouldblock_guest::{payload, udp::UdpSocket};
//!
//! # fn main() -> std::io::Result<()> {
//! let peer = "127.0.0.1:9000".parse().unwrap();
//! let socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
//! socket.set_write_timeout(Some(Duration::from_secs(5)))?;
//! for seq in 0..3 {
//!     // Waits out would-block and backs off after out-of-memory (ENOBUFS).
//!     socket.send_to(&payload(seq), peer)?;
//! }
//! println!("retries: {}", socket.send_stats().retries());
//! # Ok(())
//! # }
//! ```
//!
//! # TCP
//!
//! [`tcp::TcpListener`] and [`tcp::TcpStream`] do the same over
//! `wasi:sockets/tcp` and `wasi:io/streams`: an empty read is WouldBlock,
//! never `Ok(0)` (only a closed stream is the end), a write never exceeds
//! the `check-write` permit, and every wait is on a pollable plus an
//! insurance clock and a deadline. [`tcp::Poller`] is that wait for programs
//! that drive many sockets at once, as `tcp-echo-server` does.
//!
//! ```no_run
//! use std::time::Duration;
//! use wouldblock_guest::tcp::TcpStream;
//!
//! # fn main() -> std::io::Result<()> {
//! let stream = TcpStream::connect_timeout("127.0.0.1:9000".parse().unwrap(), Duration::from_secs(5))?;
//! stream.set_read_timeout(Some(Duration::from_secs(5)))?;
//! stream.write_all(b"ping")?;
//! stream.flush()?;
//! let mut pong = [0u8; 4];
//! stream.read_exact(&mut pong)?;
//! # Ok(())
//! # }
//! ```
//!
//! # Name lookups
//!
//! [`lookup::resolve`] looks a name up over `wasi:sockets/ip-name-lookup`,
//! waiting on the lookup's pollable while the resolver has no answer yet and
//! asking again after a temporary failure; [`lookup::connect`] tries every
//! address it gives in turn.
//!
//! # Errors
//!
//! Every WASI `error-code` becomes an [`std::io::Error`] through
//! [`error::error_code_to_io`], whose message names the WASI code
//! (`"wasi error-code out-of-memory"`) so a failing program says exactly what
//! the host answered; a failed stream operation through
//! [`error::stream_failure_to_io`].
//!
//! # Programs
//!
//! Every program takes the peer `ADDR` (`IP:PORT`) first; [`args`] parses the
//! rest and exits with code 64 (EX_USAGE) on a usage error. They print one short line to
//! stdout on success, and `error: ...` to stderr with exit code 1 on failure
//! ([`program::fail`]). Datagram `i` always carries [`payload`]`(i)`. The TCP
//! echo programs frame their messages as [`echo`] describes.
//!
//! # Bindings
//!
//! The world is `wouldblock:guest/guest` from `../wit` minus its
//! `wasi:cli/run@0.2.12` export: std's `fn main` already exports
//! `wasi:cli/run@0.2.0#run`, and a second, unimplemented export would make the
//! component encoder reject every program. It adds `wasi:cli/exit@0.2.12`,
//! whose `exit-with-code` carries exit code 64 ([`program::exit`]); std's
//! `process::exit` reaches the host only as ok or err, i.e. 0 or 1.

#![deny(missing_docs)]

pub mod args;
pub mod echo;
pub mod error;
pub mod exit;
pub mod http;
pub mod impatient;
pub mod lookup;
pub mod program;
pub mod tcp;
pub mod udp;

/// Bindings for the imports of the `wouldblock:guest` world.
///
/// Every WASI 0.2 interface the library uses is the `wasi` crate's own
/// (wit-bindgen's `with` mapping), so a socket or a pollable from the `wasi`
/// crate (mio's, tokio's, yours) and one from this library are one type:
/// [`udp::UdpSocket::from_wasi`] wraps the former. Only `wasi:cli/exit`,
/// whose `exit-with-code` the `wasi` crate does not carry, is generated here.
#[allow(missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        // `world guest` has the imports only: std provides the `wasi:cli/run` export.
        world: "guest",
        with: {
            "wasi:io/error@0.2.12": ::wasi::io::error,
            "wasi:io/poll@0.2.12": ::wasi::io::poll,
            "wasi:io/streams@0.2.12": ::wasi::io::streams,
            "wasi:cli/stdin@0.2.12": ::wasi::cli::stdin,
            "wasi:random/random@0.2.12": ::wasi::random::random,
            "wasi:clocks/monotonic-clock@0.2.12": ::wasi::clocks::monotonic_clock,
            "wasi:sockets/network@0.2.12": ::wasi::sockets::network,
            "wasi:sockets/instance-network@0.2.12": ::wasi::sockets::instance_network,
            "wasi:sockets/udp@0.2.12": ::wasi::sockets::udp,
            "wasi:sockets/udp-create-socket@0.2.12": ::wasi::sockets::udp_create_socket,
        },
        generate_all,
    });
}

/// The payload of datagram `seq` (0-based): the ASCII decimal text of `seq`,
/// e.g. `b"0"`, `b"1"`, ..., `b"41"`.
///
/// Every program and the host's peer share this convention, so the peer can
/// tell exactly which datagrams arrived, which were lost and which were
/// duplicated.
pub fn payload(seq: u64) -> Vec<u8> {
    seq.to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::payload;

    #[test]
    fn payload_is_decimal_ascii() {
        assert_eq!(payload(0), b"0");
        assert_eq!(payload(7), b"7");
        assert_eq!(payload(41), b"41");
        assert_eq!(payload(u64::MAX), u64::MAX.to_string().as_bytes());
    }
}
