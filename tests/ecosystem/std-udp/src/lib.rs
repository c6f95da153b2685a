//! std's blocking `UdpSocket` on wasm32-wasip2 delivers 16 numbered datagrams exactly once
//! and in order, completes a request/response round trip unconnected and connected, and
//! reports a connected socket's ICMP port-unreachable as `ConnectionRefused`.
//!
//! No read timeouts: Rust 1.95's wasi-libc answers `SO_RCVTIMEO` on a UDP socket with
//! ENOPROTOOPT, so `set_read_timeout` fails ("Protocol not available", os error 50); a
//! receive that never completes is left to wouldblock's hang detection and time limit.

#[cfg(test)]
mod tests {
    use std::io::ErrorKind;
    use std::net::UdpSocket;

    fn bind() -> UdpSocket {
        UdpSocket::bind("127.0.0.1:0").expect("bind 127.0.0.1:0")
    }

    #[test]
    fn sixteen_datagrams_arrive_once_in_order() {
        let (receiver, sender) = (bind(), bind());
        let to = receiver.local_addr().unwrap();
        for i in 0..16 {
            let payload = i.to_string();
            let sent = sender.send_to(payload.as_bytes(), to).expect("send_to");
            assert_eq!(sent, payload.len(), "datagram {i} sent whole");
        }
        let mut buf = [0; 64];
        for i in 0..16 {
            let (n, from) = receiver.recv_from(&mut buf).expect("recv_from");
            assert_eq!(&buf[..n], i.to_string().as_bytes(), "datagram {i} in order");
            assert_eq!(from, sender.local_addr().unwrap());
        }
        receiver.set_nonblocking(true).expect("set_nonblocking");
        let err = receiver.recv_from(&mut buf).expect_err("no 17th datagram");
        assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    }

    #[test]
    fn request_response_round_trip() {
        let (server, client) = (bind(), bind());
        client
            .send_to(b"ping", server.local_addr().unwrap())
            .expect("send ping");
        let mut buf = [0; 64];
        let (n, peer) = server.recv_from(&mut buf).expect("server recv_from");
        assert_eq!(
            (&buf[..n], peer),
            (&b"ping"[..], client.local_addr().unwrap())
        );
        server.send_to(b"pong", peer).expect("send pong");
        let (n, from) = client.recv_from(&mut buf).expect("client recv_from");
        assert_eq!(
            (&buf[..n], from),
            (&b"pong"[..], server.local_addr().unwrap())
        );
    }

    #[test]
    fn connected_request_response() {
        let (server, client) = (bind(), bind());
        client
            .connect(server.local_addr().unwrap())
            .expect("connect");
        client.send(b"ping").expect("send ping");
        let mut buf = [0; 64];
        let (n, peer) = server.recv_from(&mut buf).expect("server recv_from");
        assert_eq!(&buf[..n], b"ping");
        server.send_to(b"pong", peer).expect("send pong");
        let n = client.recv(&mut buf).expect("client recv");
        assert_eq!(&buf[..n], b"pong");
    }

    #[test]
    fn connected_to_closed_port_is_refused() {
        // Bound and dropped at once: nothing listens on this port any more.
        let closed = bind().local_addr().unwrap();
        let client = bind();
        client.connect(closed).expect("connect");
        client.send(b"ping").expect("send ping");
        let err = client
            .recv(&mut [0; 64])
            .expect_err("an answer from a closed port");
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    }
}
