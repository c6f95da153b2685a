//! The UDP socket's unit tests: addresses, the backoff clock, timeouts, and a socket of
//! the `wasi` crate wrapped.

use super::*;
use std::net::{Ipv6Addr, SocketAddrV6};
use wasi::sockets::network::{IpAddressFamily, IpSocketAddress};

#[test]
fn addresses_round_trip_through_wasi() {
    for text in [
        "127.0.0.1:9000",
        "0.0.0.0:0",
        "255.255.255.255:65535",
        "[::1]:9000",
        "[2001:db8::8a2e:370:7334]:443",
    ] {
        let addr: SocketAddr = text.parse().unwrap();
        assert_eq!(from_wasi(to_wasi(addr)), addr, "{text}");
    }
    let scoped = SocketAddrV6::new(Ipv6Addr::LOCALHOST, 7, 0x12345, 3).into();
    assert_eq!(from_wasi(to_wasi(scoped)), scoped);
}

/// A socket made with the `wasi` crate's own calls is this library's
/// socket once wrapped: the types are one.
#[test]
fn a_wasi_crate_socket_wraps_and_talks_to_itself() {
    let raw = create_udp_socket(IpAddressFamily::Ipv4).unwrap();
    raw.start_bind(&instance_network(), to_wasi("127.0.0.1:0".parse().unwrap()))
        .unwrap();
    finish_bind(&raw).unwrap();
    let socket = UdpSocket::from_wasi(raw).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let me = socket.local_addr().unwrap();
    socket.send_to(b"hello", me).unwrap();
    let mut buf = [0u8; 8];
    let (len, from) = socket.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..len], from), (&b"hello"[..], me));
}

#[test]
fn ipv4_octets_keep_their_order() {
    let wasi = to_wasi("10.1.2.3:80".parse().unwrap());
    let IpSocketAddress::Ipv4(v4) = wasi else {
        panic!("not ipv4")
    };
    assert_eq!((v4.port, v4.address), (80, (10, 1, 2, 3)));
}

#[test]
fn loopback_follows_the_peer_family() {
    assert_eq!(
        loopback_for("192.0.2.1:53".parse().unwrap()),
        "127.0.0.1:0".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(
        loopback_for("[2001:db8::1]:53".parse().unwrap()),
        "[::1]:0".parse::<SocketAddr>().unwrap()
    );
}

#[test]
fn backoff_doubles_from_5ms_and_caps_at_100ms() {
    let mut backoff = Backoff::new();
    let ms: Vec<u128> = (0..7).map(|_| backoff.step().as_millis()).collect();
    assert_eq!(ms, [5, 10, 20, 40, 80, 100, 100]);
}

#[test]
fn zero_timeout_is_rejected_like_std() {
    assert_eq!(
        check_timeout(Some(Duration::ZERO)).unwrap_err().kind(),
        io::ErrorKind::InvalidInput
    );
    assert_eq!(check_timeout(None).unwrap(), None);
}

#[test]
fn nanos_saturates() {
    assert_eq!(nanos(Duration::from_millis(5)), 5_000_000);
    assert_eq!(nanos(Duration::MAX), u64::MAX);
}
