//! Sends datagram 0 without asking `check-send` first, a WIT trap rule: the host must trap it, with or without faults.

use wasi::sockets::instance_network::instance_network;
use wasi::sockets::network::{IpAddressFamily, IpSocketAddress, Ipv4SocketAddress};
use wasi::sockets::udp::OutgoingDatagram;
use wasi::sockets::udp_create_socket::create_udp_socket;
use wouldblock_guest::args::{Flag, Spec};
use wouldblock_guest::{payload, program};

const SPEC: Spec = Spec {
    program: "udp-send-unpermitted",
    count: Flag::Absent,
    timeout_ms: Flag::Absent,
};

fn main() {
    let options = SPEC.parse_env();
    let std::net::SocketAddr::V4(addr) = options.addr else {
        program::fail("udp-send-unpermitted takes an IPv4 address");
    };
    let v4 = |ip: std::net::Ipv4Addr, port| {
        let [a, b, c, d] = ip.octets();
        IpSocketAddress::Ipv4(Ipv4SocketAddress {
            port,
            address: (a, b, c, d),
        })
    };
    let socket = create_udp_socket(IpAddressFamily::Ipv4).expect("create-udp-socket");
    socket
        .start_bind(&instance_network(), v4(std::net::Ipv4Addr::LOCALHOST, 0))
        .expect("start-bind");
    socket.finish_bind().expect("finish-bind");
    let (_incoming, outgoing) = socket.stream(None).expect("stream");
    // The bug under test: no `check-send`, so no permit.
    // WIT: "Implementations must trap if either `check-send` was not called or ..."
    let sent = outgoing.send(&[OutgoingDatagram {
        data: payload(0),
        remote_address: Some(v4(*addr.ip(), addr.port())),
    }]);
    program::fail(format_args!(
        "the host did not trap; send answered {sent:?}"
    ));
}
