//! wstd 0.6.8's `TcpListener` and `TcpStream` (its own runtime over WASI 0.2 pollables) on
//! wasm32-wasip2 echo a 1-byte and a 1 KiB message on one connection, echo 4 KiB until the
//! client half-closes, find the server by the name `localhost`, accept a connection, and report a connect to a
//! closed port as `ConnectionRefused`.
//!
//! Server and client run as two futures at once (`futures_lite::future::zip`). wstd's
//! `TcpStream::connect` looks names up with std's `ToSocketAddrs`, and a stream half-closes
//! when its `WriteHalf` is dropped.

#[cfg(test)]
mod tests {
    use futures_lite::future::zip;
    use std::future::Future;
    use std::io::ErrorKind;
    use wstd::io::{AsyncRead, AsyncWrite};
    use wstd::iter::AsyncIterator;
    use wstd::net::{TcpListener, TcpStream};
    use wstd::prelude::*;
    use wstd::time::Duration;

    /// Byte `j` of a message of `size` bytes.
    fn message(size: usize) -> Vec<u8> {
        (0..size).map(|j| ((j * 31 + size) % 251) as u8).collect()
    }

    async fn listen() -> TcpListener {
        TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0")
    }

    /// `op`, or a panic after 5 s.
    async fn within<T>(op: impl Future<Output = T>) -> T {
        op.timeout(Duration::from_secs(5)).await.expect("timed out")
    }

    /// Reads exactly `size` bytes.
    async fn read_exact(mut stream: impl AsyncRead, size: usize) -> Vec<u8> {
        let mut buf = vec![0; size];
        let mut filled = 0;
        while filled < size {
            let n = stream.read(&mut buf[filled..]).await.expect("read");
            assert!(n > 0, "closed after {filled} of {size} bytes");
            filled += n;
        }
        buf
    }

    /// Accepts one connection and echoes every byte until the client closes.
    async fn echo_server(listener: &TcpListener) {
        let mut server = listener
            .incoming()
            .next()
            .await
            .expect("a connection")
            .expect("accept");
        let mut buf = [0; 1024];
        loop {
            let n = server.read(&mut buf).await.expect("server read");
            if n == 0 {
                break;
            }
            server.write_all(&buf[..n]).await.expect("server write");
        }
    }

    #[wstd::test]
    async fn echo_round_trip() {
        let listener = listen().await;
        let to = listener.local_addr().unwrap();
        let client = async {
            let client = TcpStream::connect(to).await.expect("connect");
            let (mut reader, mut writer) = client.split();
            for size in [1, 1024] {
                let sent = message(size);
                writer.write_all(&sent).await.expect("client write");
                let got = read_exact(&mut reader, size).await;
                assert!(got == sent, "{size} bytes echoed as sent");
            }
            // Dropping the write half shuts the sending side down: the server sees the end.
            drop(writer);
        };
        within(zip(echo_server(&listener), client)).await;
    }

    #[wstd::test]
    async fn echo_until_the_client_closes() {
        let listener = listen().await;
        let to = listener.local_addr().unwrap();
        let client = async {
            let client = TcpStream::connect(to).await.expect("connect");
            let (mut reader, mut writer) = client.split();
            let sent = message(4096);
            writer.write_all(&sent).await.expect("client write");
            drop(writer);
            let mut got = Vec::new();
            reader
                .read_to_end(&mut got)
                .await
                .expect("client read to the end");
            assert!(got == sent, "{} of {} bytes echoed", got.len(), sent.len());
        };
        within(zip(echo_server(&listener), client)).await;
    }

    #[wstd::test]
    async fn connect_by_name() {
        let listener = listen().await;
        let port = listener.local_addr().unwrap().port();
        let client = async {
            let client = TcpStream::connect(("localhost", port))
                .await
                .expect("connect localhost");
            let (mut reader, mut writer) = client.split();
            writer.write_all(b"hello").await.expect("client write");
            assert_eq!(read_exact(&mut reader, 5).await, b"hello");
            drop(writer);
        };
        within(zip(echo_server(&listener), client)).await;
    }

    #[wstd::test]
    async fn a_listener_accepts() {
        let listener = listen().await;
        let to = listener.local_addr().unwrap();
        let client = async {
            let mut client = TcpStream::connect(to).await.expect("connect");
            client.write_all(b"hello").await.expect("client write");
        };
        let server = async {
            let server = listener.incoming().next().await.expect("a connection");
            assert_eq!(read_exact(server.expect("accept"), 5).await, b"hello");
        };
        within(zip(server, client)).await;
    }

    #[wstd::test]
    async fn connect_to_a_closed_port_is_refused() {
        // Bound and dropped at once: nothing listens on this port any more.
        let closed = listen().await.local_addr().unwrap();
        let err = within(TcpStream::connect(closed))
            .await
            .err()
            .expect("a connection to a closed port");
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    }
}
