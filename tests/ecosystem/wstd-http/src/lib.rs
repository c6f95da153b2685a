//! wstd 0.6.8's HTTP `Client` (wasi:http's outgoing-handler, its bodies `wasi:io` streams)
//! on wasm32-wasip2 posts a 1-byte and a 1 KiB body and gets each back, posts 64 KiB and
//! gets it back, gets a body with no request body, and reports a request to a closed port
//! as an error. The server is the test's own: a wstd `TcpListener` on 127.0.0.1 answering
//! one HTTP/1.1 request per connection, with the request's body, run at once with the
//! client (`futures_lite::future::zip`).

#[cfg(test)]
mod tests {
    use futures_lite::future::zip;
    use wstd::http::{Body, Client, Request};
    use wstd::io::{AsyncRead, AsyncWrite};
    use wstd::iter::AsyncIterator;
    use wstd::net::TcpListener;

    /// Byte `j` of a body of `size` bytes.
    fn body(size: usize) -> Vec<u8> {
        (0..size).map(|j| ((j * 31 + size) % 251) as u8).collect()
    }

    async fn listen() -> TcpListener {
        TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0")
    }

    /// Serves `requests` connections, one HTTP/1.1 request each: the response's body is
    /// the request's, or `hello` for a request without one.
    async fn serve(listener: &TcpListener, requests: usize) {
        let mut incoming = listener.incoming();
        for _ in 0..requests {
            let mut conn = incoming
                .next()
                .await
                .expect("a connection")
                .expect("accept");
            let mut got = Vec::new();
            let mut buf = [0; 4096];
            // The head, up to the blank line, then as many bytes as it announces.
            let head_end = loop {
                if let Some(at) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                    break at + 4;
                }
                let n = conn.read(&mut buf).await.expect("server read");
                assert!(n > 0, "the client closed inside the head");
                got.extend_from_slice(&buf[..n]);
            };
            let head = String::from_utf8_lossy(&got[..head_end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().expect("a content-length"));
            while got.len() < head_end + length {
                let n = conn.read(&mut buf).await.expect("server read");
                assert!(n > 0, "the client closed inside the body");
                got.extend_from_slice(&buf[..n]);
            }
            let request_body = &got[head_end..head_end + length];
            let reply: &[u8] = if length == 0 { b"hello" } else { request_body };
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                reply.len()
            );
            conn.write_all(head.as_bytes()).await.expect("server write");
            conn.write_all(reply).await.expect("server write");
            conn.flush().await.expect("server flush");
        }
    }

    /// Posts `sent` to `url` (its length announced, so the server needs no chunked
    /// decoding) and returns the response's body.
    async fn post(client: &Client, url: &str, sent: Vec<u8>) -> Vec<u8> {
        let request = Request::post(url)
            .header("content-length", sent.len())
            .body(Body::from(sent))
            .expect("a request");
        let mut response = client.send(request).await.expect("a response");
        assert_eq!(response.status(), 200);
        let got = response.body_mut().contents().await.expect("the body");
        got.to_vec()
    }

    #[wstd::test]
    async fn bodies_come_back() {
        let listener = listen().await;
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let client = async {
            let client = Client::new();
            for size in [1, 1024] {
                let sent = body(size);
                let got = post(&client, &url, sent.clone()).await;
                assert!(got == sent, "{} of {size} bytes back as sent", got.len());
            }
        };
        zip(serve(&listener, 2), client).await;
    }

    #[wstd::test]
    async fn a_64_kib_body_comes_back() {
        let listener = listen().await;
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let client = async {
            let sent = body(65536);
            let got = post(&Client::new(), &url, sent.clone()).await;
            assert!(got == sent, "{} of 65536 bytes back as sent", got.len());
        };
        zip(serve(&listener, 1), client).await;
    }

    #[wstd::test]
    async fn a_get_gets_its_body() {
        let listener = listen().await;
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let client = async {
            let request = Request::get(url.as_str()).body(Body::empty()).unwrap();
            let mut response = Client::new().send(request).await.expect("a response");
            let got = response.body_mut().contents().await.expect("the body");
            assert_eq!(got, b"hello");
        };
        zip(serve(&listener, 1), client).await;
    }

    #[wstd::test]
    async fn a_request_to_a_closed_port_is_an_error() {
        // Bound and dropped at once: nothing listens on this port any more.
        let closed = listen().await.local_addr().unwrap();
        let request = Request::get(format!("http://{closed}/"))
            .body(Body::empty())
            .unwrap();
        let err = Client::new().send(request).await.err().expect("an error");
        assert!(format!("{err:?}").contains("ConnectionRefused"), "{err:?}");
    }
}
