//! A libtest suite with one test whose path moves from run to run, as a test that reads the
//! real clock or randomness does: `wouldblock explore` must call it flaky (no finding may
//! rest on a path that moves) and still explore the steady one.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::time::Duration;

use wouldblock_guest::udp::UdpSocket;

/// Sends `sizes` datagrams to itself and checks each comes back whole.
fn round_trip(sizes: &[usize]) {
    let any: SocketAddr = "127.0.0.1:0".parse().expect("an address");
    let socket = UdpSocket::bind(any).expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let to = socket.local_addr().expect("its address");
    let mut buf = [0u8; 256];
    for &size in sizes {
        socket.send_to(&vec![7u8; size], to).expect("send");
        let (len, _) = socket.recv_from(&mut buf).expect("receive");
        assert_eq!(len, size);
    }
}

#[test]
fn steady() {
    round_trip(&[1, 2, 3]);
}

/// Three datagrams of sizes from the host's randomness (a fresh `RandomState` is seeded
/// from `wasi:random`): two runs take the same path once in 8 million.
#[test]
fn takes_a_random_path() {
    let random = RandomState::new().hash_one(0u8);
    let sizes: Vec<usize> = (0..3)
        .map(|i| 1 + (random >> (i * 8)) as usize % 200)
        .collect();
    round_trip(&sizes);
}
