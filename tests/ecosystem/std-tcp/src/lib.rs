//! std's blocking `TcpListener` and `TcpStream` on wasm32-wasip2 echo a 1-byte and a
//! 1 KiB message on one connection, echo 4 KiB until the client half-closes (the end is a
//! read of 0, never an empty read), find the server by the name `localhost`, accept a connection, and report a
//! connect to a closed port as `ConnectionRefused`.
//!
//! One thread, so each test takes the steps of both ends in turn: the kernel completes a
//! connect into the listener's backlog before `accept`, and the messages fit the loopback
//! buffers, so nothing waits on the other end.

#[cfg(test)]
mod tests {
    use std::io::{ErrorKind, Read, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};

    /// Byte `j` of a message of `size` bytes.
    fn message(size: usize) -> Vec<u8> {
        (0..size).map(|j| ((j * 31 + size) % 251) as u8).collect()
    }

    fn listen() -> TcpListener {
        TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0")
    }

    /// The server's side of one message: read it whole, write it back.
    fn echo(server: &mut TcpStream, size: usize) {
        let mut buf = vec![0; size];
        server.read_exact(&mut buf).expect("server read");
        server.write_all(&buf).expect("server write");
    }

    #[test]
    fn echo_round_trip() {
        let listener = listen();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).expect("connect");
        let (mut server, peer) = listener.accept().expect("accept");
        assert_eq!(peer, client.local_addr().unwrap());
        for size in [1, 1024] {
            let sent = message(size);
            client.write_all(&sent).expect("client write");
            echo(&mut server, size);
            let mut got = vec![0; size];
            client.read_exact(&mut got).expect("client read");
            assert!(got == sent, "{size} bytes echoed as sent");
        }
    }

    #[test]
    fn echo_until_the_client_closes() {
        let listener = listen();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).expect("connect");
        let sent = message(4096);
        client.write_all(&sent).expect("client write");
        client.shutdown(Shutdown::Write).expect("shutdown");
        let (mut server, _) = listener.accept().expect("accept");
        let mut buf = [0; 1024];
        loop {
            // Only the end of the stream is 0; a read with nothing yet blocks.
            let n = server.read(&mut buf).expect("server read");
            if n == 0 {
                break;
            }
            server.write_all(&buf[..n]).expect("server write");
        }
        drop(server);
        let mut got = Vec::new();
        client
            .read_to_end(&mut got)
            .expect("client read to the end");
        assert!(got == sent, "{} of {} bytes echoed", got.len(), sent.len());
    }

    #[test]
    fn connect_by_name() {
        let listener = listen();
        let port = listener.local_addr().unwrap().port();
        let mut client = TcpStream::connect(("localhost", port)).expect("connect localhost");
        let (mut server, _) = listener.accept().expect("accept");
        client.write_all(b"hello").expect("client write");
        echo(&mut server, 5);
        let mut got = [0; 5];
        client.read_exact(&mut got).expect("client read");
        assert_eq!(&got, b"hello");
    }

    #[test]
    fn a_listener_accepts() {
        let listener = listen();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).expect("connect");
        let (mut server, _) = listener.accept().expect("accept");
        client.write_all(b"hello").expect("client write");
        let mut got = [0; 5];
        server.read_exact(&mut got).expect("server read");
        assert_eq!(&got, b"hello");
    }

    #[test]
    fn connect_to_a_closed_port_is_refused() {
        // Bound and dropped at once: nothing listens on this port any more.
        let closed = listen().local_addr().unwrap();
        let err = TcpStream::connect(closed).expect_err("a connection to a closed port");
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    }
}
