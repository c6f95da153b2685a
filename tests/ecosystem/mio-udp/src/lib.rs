//! mio's `UdpSocket` with `Poll` on wasm32-wasip2, driven by a readiness loop that polls
//! after each WouldBlock, delivers 16 numbered datagrams exactly once and in order,
//! completes a request/response round trip unconnected and connected, and reports a
//! connected socket's ICMP port-unreachable as `ConnectionRefused`.
//!
//! Under `first-send` the tests with two sockets busy-loop: while the receiver is bound
//! but unused, Rust 1.95's wasi-libc `poll` returns at once, so the loop never waits for
//! the sender to become writable (see ../README.md).

#[cfg(test)]
mod tests {
    use mio::net::UdpSocket;
    use mio::{Events, Interest, Poll, Token};
    use std::io::{self, ErrorKind};
    use std::time::{Duration, Instant};

    /// How long one operation may wait for readiness before the test gives up.
    const TIMEOUT: Duration = Duration::from_secs(5);

    /// One `Poll` and its events; `bind` registers each socket for reading and writing.
    struct Reactor {
        poll: Poll,
        events: Events,
    }

    impl Reactor {
        fn new() -> Reactor {
            let poll = Poll::new().expect("Poll::new");
            Reactor {
                poll,
                events: Events::with_capacity(16),
            }
        }

        fn bind(&self, token: usize) -> UdpSocket {
            let mut socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).expect("bind");
            let interest = Interest::READABLE | Interest::WRITABLE;
            self.poll
                .registry()
                .register(&mut socket, Token(token), interest)
                .expect("register");
            socket
        }

        /// Runs `op` until it answers something other than WouldBlock, polling in between.
        fn retry<T>(&mut self, mut op: impl FnMut() -> io::Result<T>) -> io::Result<T> {
            let deadline = Instant::now() + TIMEOUT;
            loop {
                match op() {
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        let left = deadline.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            return Err(ErrorKind::TimedOut.into());
                        }
                        self.poll.poll(&mut self.events, Some(left))?;
                    }
                    other => return other,
                }
            }
        }
    }

    #[test]
    fn sixteen_datagrams_arrive_once_in_order() {
        let mut reactor = Reactor::new();
        let (receiver, sender) = (reactor.bind(0), reactor.bind(1));
        let to = receiver.local_addr().unwrap();
        for i in 0..16 {
            let payload = i.to_string();
            let sent = reactor
                .retry(|| sender.send_to(payload.as_bytes(), to))
                .expect("send_to");
            assert_eq!(sent, payload.len(), "datagram {i} sent whole");
        }
        let mut buf = [0; 64];
        for i in 0..16 {
            let (n, from) = reactor
                .retry(|| receiver.recv_from(&mut buf))
                .expect("recv_from");
            assert_eq!(&buf[..n], i.to_string().as_bytes(), "datagram {i} in order");
            assert_eq!(from, sender.local_addr().unwrap());
        }
        reactor
            .poll
            .poll(&mut reactor.events, Some(Duration::from_millis(50)))
            .unwrap();
        let err = receiver.recv_from(&mut buf).expect_err("no 17th datagram");
        assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    }

    #[test]
    fn request_response_round_trip() {
        let mut reactor = Reactor::new();
        let (server, client) = (reactor.bind(0), reactor.bind(1));
        let server_addr = server.local_addr().unwrap();
        reactor
            .retry(|| client.send_to(b"ping", server_addr))
            .expect("send ping");
        let mut buf = [0; 64];
        let (n, peer) = reactor
            .retry(|| server.recv_from(&mut buf))
            .expect("server recv_from");
        assert_eq!(
            (&buf[..n], peer),
            (&b"ping"[..], client.local_addr().unwrap())
        );
        reactor
            .retry(|| server.send_to(b"pong", peer))
            .expect("send pong");
        let (n, from) = reactor
            .retry(|| client.recv_from(&mut buf))
            .expect("client recv_from");
        assert_eq!((&buf[..n], from), (&b"pong"[..], server_addr));
    }

    #[test]
    fn connected_request_response() {
        let mut reactor = Reactor::new();
        let (server, client) = (reactor.bind(0), reactor.bind(1));
        client
            .connect(server.local_addr().unwrap())
            .expect("connect");
        reactor.retry(|| client.send(b"ping")).expect("send ping");
        let mut buf = [0; 64];
        let (n, peer) = reactor
            .retry(|| server.recv_from(&mut buf))
            .expect("server recv_from");
        assert_eq!(&buf[..n], b"ping");
        reactor
            .retry(|| server.send_to(b"pong", peer))
            .expect("send pong");
        let n = reactor
            .retry(|| client.recv(&mut buf))
            .expect("client recv");
        assert_eq!(&buf[..n], b"pong");
    }

    #[test]
    fn connected_to_closed_port_is_refused() {
        let mut reactor = Reactor::new();
        // Bound and dropped at once: nothing listens on this port any more.
        let closed = UdpSocket::bind("127.0.0.1:0".parse().unwrap())
            .unwrap()
            .local_addr()
            .unwrap();
        let client = reactor.bind(0);
        client.connect(closed).expect("connect");
        reactor.retry(|| client.send(b"ping")).expect("send ping");
        let err = reactor
            .retry(|| client.recv(&mut [0; 64]))
            .expect_err("an answer from a closed port");
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    }
}
