//! The guest's outgoing HTTP bodies, each followed from the request that made it to the
//! response that came back: what the HTTP echo peer owes the guest is the bytes of the
//! bodies it was sent, never those of a request to another server, one refused before it
//! left (a closed port, a denied address) or a body the host refused at `finish`.

use std::collections::HashMap;
use std::net::SocketAddr;

/// One outgoing body.
#[derive(Debug, Default)]
struct Body {
    /// Bytes the guest's writes to its stream accepted.
    bytes: u64,
    /// Its request went to the harness's echo peer (`None`: it was never sent).
    to_echo: Option<bool>,
    /// The host refused it (`finish`), or its request (`handle`, or the response).
    failed: bool,
}

/// Every outgoing body of a run, by the resources that lead to it. Resource handles are
/// reused once dropped, so each map points at the body its handle led to last.
#[derive(Debug, Default)]
pub(crate) struct HttpBodies {
    /// The echo peer's address, when the run has one.
    pub(crate) echo: Option<SocketAddr>,
    bodies: Vec<Body>,
    by_request: HashMap<u32, usize>,
    by_body: HashMap<u32, usize>,
    by_stream: HashMap<u32, usize>,
    by_response: HashMap<u32, usize>,
}

impl HttpBodies {
    /// `outgoing-request.body`: the body of `request`.
    pub(crate) fn body(&mut self, request: u32, body: u32) {
        self.bodies.push(Body::default());
        let index = self.bodies.len() - 1;
        self.by_request.insert(request, index);
        self.by_body.insert(body, index);
    }

    /// `outgoing-body.write`: the body's stream.
    pub(crate) fn stream(&mut self, body: u32, stream: u32) {
        if let Some(&index) = self.by_body.get(&body) {
            self.by_stream.insert(stream, index);
        } else {
            self.by_stream.remove(&stream);
        }
    }

    /// The guest's write of `bytes` to `stream` was accepted.
    pub(crate) fn written(&mut self, stream: u32, bytes: u64) {
        if let Some(&index) = self.by_stream.get(&stream) {
            self.bodies[index].bytes += bytes;
        }
    }

    /// `outgoing-body.finish` answered with an error.
    pub(crate) fn refused(&mut self, body: u32) {
        if let Some(&index) = self.by_body.get(&body) {
            self.bodies[index].failed = true;
        }
    }

    /// `handle` of `request` to `authority`: `response` if it was taken.
    pub(crate) fn handled(&mut self, request: u32, authority: &str, response: Option<u32>) {
        let Some(&index) = self.by_request.get(&request) else {
            return;
        };
        let to_echo = self.echo.is_some_and(|echo| names(authority, echo));
        let body = &mut self.bodies[index];
        body.to_echo = Some(to_echo);
        match response {
            Some(response) => {
                self.by_response.insert(response, index);
            }
            None => body.failed = true,
        }
    }

    /// The response of `response`'s request is an error: the request never got there.
    pub(crate) fn response_failed(&mut self, response: u32) {
        if let Some(&index) = self.by_response.get(&response) {
            self.bodies[index].failed = true;
        }
    }

    /// The body bytes the echo peer should have read: those of every body sent to it that
    /// neither the host nor the connection refused.
    pub(crate) fn owed_to_echo(&self) -> u64 {
        self.bodies
            .iter()
            .filter(|body| body.to_echo == Some(true) && !body.failed)
            .map(|body| body.bytes)
            .sum()
    }
}

/// Whether `authority` names `echo`: its address, or `localhost` and its port.
fn names(authority: &str, echo: SocketAddr) -> bool {
    if let Ok(addr) = authority.parse::<SocketAddr>() {
        return addr == echo;
    }
    authority.rsplit_once(':').is_some_and(|(host, port)| {
        host.eq_ignore_ascii_case("localhost") && port.parse() == Ok(echo.port())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bodies_the_echo_peer_was_sent_and_nobody_refused_are_owed() {
        let echo: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let mut bodies = HttpBodies {
            echo: Some(echo),
            ..HttpBodies::default()
        };
        // A refused connection, a denied address, another server, a body refused at
        // finish, and the echo: handles reused throughout.
        for (authority, refused_at_finish, failed_response) in [
            ("127.0.0.1:1", false, true),
            ("192.0.2.1:80", false, true),
            ("127.0.0.1:4001", false, false),
            ("127.0.0.1:4000", true, false),
            ("127.0.0.1:4000", false, false),
        ] {
            bodies.body(1, 2);
            bodies.stream(2, 3);
            bodies.written(3, 5);
            if refused_at_finish {
                bodies.refused(2);
            }
            bodies.handled(1, authority, Some(4));
            if failed_response {
                bodies.response_failed(4);
            }
        }
        assert_eq!(bodies.owed_to_echo(), 5);
        bodies.body(1, 2);
        bodies.stream(2, 3);
        bodies.written(3, 2);
        bodies.handled(1, "LocalHost:4000", Some(4));
        assert_eq!(
            bodies.owed_to_echo(),
            7,
            "localhost is the echo peer's name too"
        );
        bodies.written(99, 7);
        assert_eq!(bodies.owed_to_echo(), 7, "a TCP stream is no body");
    }
}
