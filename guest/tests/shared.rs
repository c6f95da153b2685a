//! A libtest suite whose tests count on a server they share, as tests against one
//! database or cache do: `shares_a_fixed_key` resets and counts a fixed key, so two of its
//! runs side by side count each other's steps; `keeps_its_key_apart` builds its key from
//! `WOULDBLOCK_RUN_ID`, so they do not. The server's address is `COUNTER_ADDR` (a line
//! protocol: `DEL key` answers `OK`, `INCR key` the new count); without it both pass.

use wouldblock_guest::tcp::TcpStream;

/// Sends `line` and reads the one-line answer.
fn ask(stream: &mut TcpStream, line: &str) -> String {
    stream
        .write_all(format!("{line}\n").as_bytes())
        .expect("send");
    let mut answer = Vec::new();
    let mut buf = [0u8; 32];
    while !answer.ends_with(b"\n") {
        // Waits first: a read that finds nothing yet depends on the server's speed, and
        // would make two runs' traces part.
        stream.read_pollable().block();
        let len = stream.read(&mut buf).expect("receive");
        assert!(len > 0, "the server closed the connection");
        answer.extend_from_slice(&buf[..len]);
    }
    // The answer is whole, and the server sends nothing until the next request. One more
    // read finds nothing and clears the stream's readiness: wasmtime-wasi keeps it set
    // after a read that got data (tokio clears it only at would-block), so the next wait
    // would end at once and its read would find the answer or not, by the server's speed.
    let _ = stream.try_read(&mut buf);
    String::from_utf8(answer).expect("text").trim_end().into()
}

/// Resets `key`, counts it up five times and checks the count is its own.
fn count_to_five(key: &str) {
    let Ok(addr) = std::env::var("COUNTER_ADDR") else {
        return;
    };
    let addr = addr.parse().expect("COUNTER_ADDR is an address");
    let mut stream = TcpStream::connect(addr).expect("connect");
    assert_eq!(ask(&mut stream, &format!("DEL {key}")), "OK");
    let mut count = String::new();
    for _ in 0..5 {
        count = ask(&mut stream, &format!("INCR {key}"));
    }
    assert_eq!(count, "5", "another run counted {key} too");
}

#[test]
fn shares_a_fixed_key() {
    count_to_five("k");
}

#[test]
fn keeps_its_key_apart() {
    let run = std::env::var("WOULDBLOCK_RUN_ID").unwrap_or_default();
    count_to_five(&format!("k-{run}"));
}
