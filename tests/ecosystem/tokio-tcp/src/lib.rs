//! tokio's `TcpListener` and `TcpStream` on a current-thread runtime on wasm32-wasip2 echo
//! a 1-byte and a 1 KiB message on one connection, echo 4 KiB until the client half-closes,
//! find the server by the name `localhost`, and report a connect to a closed port as
//! `ConnectionRefused`.
//!
//! Server and client run as two futures under `tokio::join!`, as they would in two tasks.
//! The echo tests accept with std's listener and hand the stream to tokio
//! (`set_nonblocking`, `from_std`): tokio's own `accept` (mio's) fails on wasip2, because
//! it sets `O_NONBLOCK` with `fcntl`, which Rust 1.95's wasi-libc refuses on a socket
//! (EINVAL, wasi-libc#536). `a_listener_accepts` shows that failure under every preset.
//! Looking a name up (`connect(("localhost", port))`) needs `spawn_blocking`, a thread,
//! which wasip2 does not have.

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::io::ErrorKind;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    /// How long a test may take before it gives up.
    const TIMEOUT: Duration = Duration::from_secs(5);

    /// Byte `j` of a message of `size` bytes.
    fn message(size: usize) -> Vec<u8> {
        (0..size).map(|j| ((j * 31 + size) % 251) as u8).collect()
    }

    async fn listen() -> TcpListener {
        TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0")
    }

    /// `op`, or a panic after TIMEOUT.
    async fn within<T>(op: impl Future<Output = T>) -> T {
        tokio::time::timeout(TIMEOUT, op).await.expect("timed out")
    }

    fn std_listener() -> std::net::TcpListener {
        std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0")
    }

    /// The server's end of a connection the kernel has queued (the client's connect has
    /// returned): accepted by std's listener (see the module's note), handed to tokio.
    fn accept_std(listener: &std::net::TcpListener) -> TcpStream {
        let (stream, _) = listener.accept().expect("accept");
        stream.set_nonblocking(true).expect("set_nonblocking");
        TcpStream::from_std(stream).expect("from_std")
    }

    /// Echoes every byte until the client closes.
    async fn echo(mut server: TcpStream) {
        let mut buf = [0; 1024];
        loop {
            let n = server.read(&mut buf).await.expect("server read");
            if n == 0 {
                break;
            }
            server.write_all(&buf[..n]).await.expect("server write");
        }
    }

    #[tokio::test]
    async fn echo_round_trip() {
        let listener = std_listener();
        let to = listener.local_addr().unwrap();
        let mut client = within(TcpStream::connect(to)).await.expect("connect");
        let server = accept_std(&listener);
        let client = async {
            for size in [1, 1024] {
                let sent = message(size);
                client.write_all(&sent).await.expect("client write");
                let mut got = vec![0; size];
                client.read_exact(&mut got).await.expect("client read");
                assert!(got == sent, "{size} bytes echoed as sent");
            }
            client.shutdown().await.expect("shutdown");
        };
        within(async { tokio::join!(echo(server), client) }).await;
    }

    #[tokio::test]
    async fn echo_until_the_client_closes() {
        let listener = std_listener();
        let to = listener.local_addr().unwrap();
        let mut client = within(TcpStream::connect(to)).await.expect("connect");
        let server = accept_std(&listener);
        let client = async {
            let sent = message(4096);
            client.write_all(&sent).await.expect("client write");
            client.shutdown().await.expect("shutdown");
            let mut got = Vec::new();
            client
                .read_to_end(&mut got)
                .await
                .expect("client read to the end");
            assert!(got == sent, "{} of {} bytes echoed", got.len(), sent.len());
        };
        within(async { tokio::join!(echo(server), client) }).await;
    }

    #[tokio::test]
    async fn connect_by_name() {
        let listener = std_listener();
        let port = listener.local_addr().unwrap().port();
        let mut client = within(TcpStream::connect(("localhost", port)))
            .await
            .expect("connect localhost");
        let server = accept_std(&listener);
        let client = async {
            client.write_all(b"hello").await.expect("client write");
            let mut got = [0; 5];
            client.read_exact(&mut got).await.expect("client read");
            assert_eq!(&got, b"hello");
            client.shutdown().await.expect("shutdown");
        };
        within(async { tokio::join!(echo(server), client) }).await;
    }

    #[tokio::test]
    async fn a_listener_accepts() {
        let listener = listen().await;
        let to = listener.local_addr().unwrap();
        let client = async {
            let mut client = TcpStream::connect(to).await.expect("connect");
            client.write_all(b"hello").await.expect("client write");
        };
        let server = async {
            let (mut server, _) = listener.accept().await.expect("accept");
            let mut got = [0; 5];
            server.read_exact(&mut got).await.expect("server read");
            assert_eq!(&got, b"hello");
        };
        within(async { tokio::join!(server, client) }).await;
    }

    #[tokio::test]
    async fn connect_to_a_closed_port_is_refused() {
        // Bound and dropped at once: nothing listens on this port any more.
        let closed = listen().await.local_addr().unwrap();
        let err = within(TcpStream::connect(closed))
            .await
            .expect_err("a connection to a closed port");
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    }
}
