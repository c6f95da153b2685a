//! A small libtest suite of the kind users point wouldblock at: tests that pass, one that
//! panics, one that is ignored, and one that is fragile under an injected out-of-memory.
//! wouldblock's own tests run it as a cargo runner would, one fresh instance per test.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;

use wouldblock_guest::udp::UdpSocket;

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().expect("an address")
}

#[test]
fn adds() {
    assert_eq!(2 + 2, 4);
}

/// Readiness-driven both ways: survives whatever readiness faults the plan injects.
#[test]
fn delivers_to_itself() {
    let receiver = UdpSocket::bind(loopback()).expect("bind the receiver");
    receiver
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let to = receiver.local_addr().expect("its address");
    let sender = UdpSocket::bind(loopback()).expect("bind the sender");
    sender
        .set_write_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut buf = [0u8; 16];
    for seq in 0..3u8 {
        sender.send_to(&[seq], to).expect("send");
        let (len, _) = receiver.recv_from(&mut buf).expect("receive");
        assert_eq!(&buf[..len], &[seq]);
    }
}

#[test]
fn panics_on_purpose() {
    panic!("boom: the suite's failing test");
}

#[test]
#[ignore = "shows how ignored tests are reported"]
fn ignored_one() {}

/// Waits out a not-writable send, but takes out-of-memory (ENOBUFS) for the end of the
/// world: the harness calls that `unusable-after-error`.
#[test]
fn out_of_memory_is_fatal_here() {
    let sender = UdpSocket::bind(loopback()).expect("bind");
    let to: SocketAddr = "127.0.0.1:9".parse().expect("an address");
    loop {
        match sender.try_send_to(b"x", to) {
            Ok(_) => break,
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                sender.block_outgoing().expect("wait")
            }
            Err(err) => panic!("send failed: {err}"),
        }
    }
}
