//! tokio's `UdpSocket` on a current-thread runtime on wasm32-wasip2 delivers 16 numbered
//! datagrams exactly once and in order, completes a request/response round trip
//! unconnected and connected, and reports a connected socket's ICMP port-unreachable as
//! `ConnectionRefused`.
//!
//! Each side runs as its own future under `tokio::join!`, as a server and a client would.
//! Awaited one after the other instead, a wait on one socket while another sits bound and
//! unused spins until a timer fires, because Rust 1.95's wasi-libc `poll` reports a UDP
//! socket without streams as ready at once (see ../README.md).

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::io::ErrorKind;
    use std::time::Duration;
    use tokio::net::UdpSocket;

    /// How long a test may take before it gives up.
    const TIMEOUT: Duration = Duration::from_secs(5);

    async fn bind() -> UdpSocket {
        UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0")
    }

    /// `op`, or a panic after TIMEOUT.
    async fn within<T>(op: impl Future<Output = T>) -> T {
        tokio::time::timeout(TIMEOUT, op).await.expect("timed out")
    }

    #[tokio::test]
    async fn sixteen_datagrams_arrive_once_in_order() {
        let (receiver, sender) = (bind().await, bind().await);
        let (to, from) = (receiver.local_addr().unwrap(), sender.local_addr().unwrap());
        let receive = async {
            let mut buf = [0; 64];
            for i in 0..16 {
                let (n, peer) = receiver.recv_from(&mut buf).await.expect("recv_from");
                assert_eq!(&buf[..n], i.to_string().as_bytes(), "datagram {i} in order");
                assert_eq!(peer, from);
            }
            let more =
                tokio::time::timeout(Duration::from_millis(50), receiver.recv_from(&mut buf));
            assert!(more.await.is_err(), "no 17th datagram");
        };
        let send = async {
            for i in 0..16 {
                let payload = i.to_string();
                let sent = sender
                    .send_to(payload.as_bytes(), to)
                    .await
                    .expect("send_to");
                assert_eq!(sent, payload.len(), "datagram {i} sent whole");
            }
        };
        within(async { tokio::join!(receive, send) }).await;
    }

    #[tokio::test]
    async fn request_response_round_trip() {
        let (server, client) = (bind().await, bind().await);
        let (server_addr, client_addr) =
            (server.local_addr().unwrap(), client.local_addr().unwrap());
        let serve = async {
            let mut buf = [0; 64];
            let (n, peer) = server.recv_from(&mut buf).await.expect("server recv_from");
            assert_eq!((&buf[..n], peer), (&b"ping"[..], client_addr));
            server.send_to(b"pong", peer).await.expect("send pong");
        };
        let request = async {
            client
                .send_to(b"ping", server_addr)
                .await
                .expect("send ping");
            let mut buf = [0; 64];
            let (n, from) = client.recv_from(&mut buf).await.expect("client recv_from");
            assert_eq!((&buf[..n], from), (&b"pong"[..], server_addr));
        };
        within(async { tokio::join!(serve, request) }).await;
    }

    #[tokio::test]
    async fn connected_request_response() {
        let (server, client) = (bind().await, bind().await);
        client
            .connect(server.local_addr().unwrap())
            .await
            .expect("connect");
        let serve = async {
            let mut buf = [0; 64];
            let (n, peer) = server.recv_from(&mut buf).await.expect("server recv_from");
            assert_eq!(&buf[..n], b"ping");
            server.send_to(b"pong", peer).await.expect("send pong");
        };
        let request = async {
            client.send(b"ping").await.expect("send ping");
            let mut buf = [0; 64];
            let n = client.recv(&mut buf).await.expect("client recv");
            assert_eq!(&buf[..n], b"pong");
        };
        within(async { tokio::join!(serve, request) }).await;
    }

    #[tokio::test]
    async fn connected_to_closed_port_is_refused() {
        // Bound and dropped at once: nothing listens on this port any more.
        let closed = bind().await.local_addr().unwrap();
        let client = bind().await;
        client.connect(closed).await.expect("connect");
        within(client.send(b"ping")).await.expect("send ping");
        let err = within(client.recv(&mut [0; 64]))
            .await
            .expect_err("an answer from a closed port");
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    }
}
