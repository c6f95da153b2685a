//! mio's `TcpStream` with `Poll` on wasm32-wasip2, driven by a readiness loop that polls
//! after each WouldBlock, echoes a 1-byte and a 1 KiB message on one connection, echoes
//! 4 KiB until the client half-closes, finds the server by the name `localhost` (std's
//! `ToSocketAddrs`: mio resolves nothing itself), and reports a connect to a closed port as
//! `ConnectionRefused`; mio's `TcpListener` accepts a connection.
//!
//! The echo tests accept with std's listener and hand the stream to mio
//! (`set_nonblocking`, `from_std`): mio's own `accept` fails on wasip2, because it sets
//! `O_NONBLOCK` with `fcntl`, which Rust 1.95's wasi-libc refuses on a socket (EINVAL,
//! wasi-libc#536). `a_listener_accepts` shows that failure under every preset.

#[cfg(test)]
mod tests {
    use mio::net::{TcpListener, TcpStream};
    use mio::{Events, Interest, Poll, Token};
    use std::io::{self, ErrorKind, Read, Write};
    use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
    use std::time::{Duration, Instant};

    /// How long one operation may wait for readiness before the test gives up.
    const TIMEOUT: Duration = Duration::from_secs(5);

    /// Byte `j` of a message of `size` bytes.
    fn message(size: usize) -> Vec<u8> {
        (0..size).map(|j| ((j * 31 + size) % 251) as u8).collect()
    }

    /// One `Poll` and its events; every socket is registered for reading and writing.
    struct Reactor {
        poll: Poll,
        events: Events,
        next: usize,
    }

    impl Reactor {
        fn new() -> Reactor {
            Reactor {
                poll: Poll::new().expect("Poll::new"),
                events: Events::with_capacity(16),
                next: 0,
            }
        }

        fn register(&mut self, source: &mut impl mio::event::Source) {
            let interest = Interest::READABLE | Interest::WRITABLE;
            self.next += 1;
            self.poll
                .registry()
                .register(source, Token(self.next), interest)
                .expect("register");
        }

        fn listen(&mut self) -> TcpListener {
            let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).expect("bind");
            self.register(&mut listener);
            listener
        }

        /// The server's end of a connection the kernel has queued: accepted by std's
        /// listener (see the module's note), then non-blocking and registered with mio.
        fn accept_std(&mut self, listener: &std::net::TcpListener) -> TcpStream {
            let (stream, _) = listener.accept().expect("accept");
            stream.set_nonblocking(true).expect("set_nonblocking");
            let mut stream = TcpStream::from_std(stream);
            self.register(&mut stream);
            stream
        }

        /// Connects as mio's docs say: start the connect, wait for an event, then it is
        /// connected once `take_error` has nothing and `peer_addr` answers (EINPROGRESS or
        /// NotConnected: not yet, wait again).
        fn connect(&mut self, to: SocketAddr) -> io::Result<TcpStream> {
            let mut stream = TcpStream::connect(to)?;
            self.register(&mut stream);
            let deadline = Instant::now() + TIMEOUT;
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(ErrorKind::TimedOut.into());
                }
                self.poll.poll(&mut self.events, Some(left))?;
                if let Some(err) = stream.take_error()? {
                    return Err(err);
                }
                match stream.peer_addr() {
                    Ok(_) => return Ok(stream),
                    Err(e)
                        if e.kind() == ErrorKind::NotConnected
                            || e.raw_os_error() == Some(libc::EINPROGRESS) => {}
                    Err(e) => return Err(e),
                }
            }
        }

        fn accept(&mut self, listener: &TcpListener) -> TcpStream {
            let (mut stream, _) = self.retry(|| listener.accept()).expect("accept");
            self.register(&mut stream);
            stream
        }

        fn write_all(&mut self, stream: &mut TcpStream, mut buf: &[u8]) {
            while !buf.is_empty() {
                let n = self.retry(|| stream.write(buf)).expect("write");
                buf = &buf[n..];
            }
        }

        fn read_exact(&mut self, stream: &mut TcpStream, size: usize) -> Vec<u8> {
            let mut buf = vec![0; size];
            let mut filled = 0;
            while filled < size {
                let n = self
                    .retry(|| stream.read(&mut buf[filled..]))
                    .expect("read");
                assert!(n > 0, "closed after {filled} of {size} bytes");
                filled += n;
            }
            buf
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

    fn std_listener() -> std::net::TcpListener {
        std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0")
    }

    #[test]
    fn echo_round_trip() {
        let mut reactor = Reactor::new();
        let listener = std_listener();
        let mut client = reactor
            .connect(listener.local_addr().unwrap())
            .expect("connect");
        let mut server = reactor.accept_std(&listener);
        for size in [1, 1024] {
            let sent = message(size);
            reactor.write_all(&mut client, &sent);
            let got = reactor.read_exact(&mut server, size);
            reactor.write_all(&mut server, &got);
            let echoed = reactor.read_exact(&mut client, size);
            assert!(echoed == sent, "{size} bytes echoed as sent");
        }
    }

    #[test]
    fn echo_until_the_client_closes() {
        let mut reactor = Reactor::new();
        let listener = std_listener();
        let mut client = reactor
            .connect(listener.local_addr().unwrap())
            .expect("connect");
        let sent = message(4096);
        reactor.write_all(&mut client, &sent);
        client.shutdown(Shutdown::Write).expect("shutdown");
        let mut server = reactor.accept_std(&listener);
        let mut buf = [0; 1024];
        loop {
            // Only the end of the stream is 0; nothing yet is WouldBlock.
            let n = reactor
                .retry(|| server.read(&mut buf))
                .expect("server read");
            if n == 0 {
                break;
            }
            reactor.write_all(&mut server, &buf[..n]);
        }
        drop(server);
        let mut got = Vec::new();
        loop {
            let n = reactor
                .retry(|| client.read(&mut buf))
                .expect("client read");
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        assert!(got == sent, "{} of {} bytes echoed", got.len(), sent.len());
    }

    #[test]
    fn connect_by_name() {
        let mut reactor = Reactor::new();
        let listener = std_listener();
        let port = listener.local_addr().unwrap().port();
        let to = ("localhost", port)
            .to_socket_addrs()
            .expect("look up localhost")
            .next()
            .expect("an address for localhost");
        let mut client = reactor.connect(to).expect("connect localhost");
        let mut server = reactor.accept_std(&listener);
        reactor.write_all(&mut client, b"hello");
        let got = reactor.read_exact(&mut server, 5);
        reactor.write_all(&mut server, &got);
        assert_eq!(reactor.read_exact(&mut client, 5), b"hello");
    }

    #[test]
    fn a_listener_accepts() {
        let mut reactor = Reactor::new();
        let listener = reactor.listen();
        let mut client = reactor
            .connect(listener.local_addr().unwrap())
            .expect("connect");
        let mut server = reactor.accept(&listener);
        reactor.write_all(&mut client, b"hello");
        assert_eq!(reactor.read_exact(&mut server, 5), b"hello");
    }

    #[test]
    fn connect_to_a_closed_port_is_refused() {
        let mut reactor = Reactor::new();
        // Bound and dropped at once: nothing listens on this port any more.
        let closed = reactor.listen().local_addr().unwrap();
        let err = reactor
            .connect(closed)
            .expect_err("a connection to a closed port");
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    }
}
