//! A real server the harness does not own, reached through the harness's relay: its
//! answer reaches the guest at the same step of every run however its writes were
//! spread in time, the trace names the real server, and a server that stops answering is
//! named in the verdict instead of the guest running into the time limit.

use anyhow::{Context, Result, ensure};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::time::Duration;
use wouldblock::explore::{self, ExploreOptions};
use wouldblock::{Exit, Plan, Verdict};
use wouldblock_guests::{PROBE, TCP_ECHO_CLIENT, TCP_ECHO_CLIENT_NAIVE, UDP_REQUEST};
use wouldblock_tests::{assert_deterministic, guest, harness, plan, repeat};

/// A server of this test's own, on a thread: for every connection, `answer` gets what
/// the client sent and the connection to answer on.
fn server(answer: fn(&mut TcpStream, &[u8])) -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut conn = conn;
                let mut buf = vec![0; 64 << 10];
                while let Ok(n @ 1..) = conn.read(&mut buf) {
                    answer(&mut conn, &buf[..n]);
                }
            });
        }
    });
    Ok(addr)
}

/// Echoes in two writes 100 µs apart, as a server that writes a header and then a body:
/// read straight from the kernel, the guest would find one half or both, run by run.
fn split_echo(conn: &mut TcpStream, got: &[u8]) {
    let (head, tail) = got.split_at(got.len() / 2);
    let _ = conn.write_all(head);
    std::thread::sleep(Duration::from_micros(100));
    let _ = conn.write_all(tail);
}

#[test]
fn a_real_servers_split_answer_is_read_at_the_same_step_of_every_run() -> Result<()> {
    let addr = server(split_echo)?.to_string();
    let args = [addr.as_str(), "--sizes", "1,1024,65536"];
    assert_deterministic(
        &harness(Plan::new()),
        &guest(&TCP_ECHO_CLIENT),
        &args,
        "pass",
    )?;
    // A read at a time, a byte at a time: 64 KiB would be 65,000 waits a run.
    let args = [addr.as_str(), "--sizes", "1,1024"];
    let slow = harness(plan("tcp-slow-peer"));
    assert_deterministic(&slow, &guest(&TCP_ECHO_CLIENT), &args, "pass")
}

#[test]
fn the_trace_names_the_real_server_not_the_relay() -> Result<()> {
    let addr = server(split_echo)?;
    let args = [addr.to_string(), "--sizes".into(), "1".into()];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let outcome = harness(Plan::new()).run(&guest(&TCP_ECHO_CLIENT), &args)?;
    ensure!(outcome.passed(), "{}", outcome.summary());
    let trace = wouldblock::trace::render(outcome.trace.events());
    let connect = trace.lines().find(|l| l.contains("start-connect"));
    ensure!(
        connect.is_some_and(|l| l.contains(&addr.to_string())),
        "{trace}"
    );
    Ok(())
}

#[test]
fn a_server_that_stops_answering_is_named_not_a_time_limit() -> Result<()> {
    // std's blocking read waits on the connection alone, with no timer.
    let addr = server(|_, _| {})?.to_string();
    let args = ["std-tcp-echo", addr.as_str()];
    let outcome = harness(Plan::new()).run(&guest(&PROBE), &args)?;
    let Exit::Stopped(stop) = &outcome.exit else {
        anyhow::bail!("{:?}: {}", outcome.exit, outcome.summary());
    };
    ensure!(stop.verdict == Verdict::ServerSilent, "{stop}");
    ensure!(stop.reason.contains(&addr), "{stop}");
    Ok(())
}

#[test]
fn findings_against_a_real_server_replay_on_every_run() -> Result<()> {
    // The naive client takes an empty read for the end: explore finds it against the
    // real server as against the harness's own echo peer, and each shrunk plan replays
    // to the same verdict 100 times out of 100, the server in the loop.
    let addr = server(split_echo)?.to_string();
    let args = [addr.as_str(), "--sizes", "1,1024"];
    let program = guest(&TCP_ECHO_CLIENT_NAIVE);
    let report = explore::explore(
        &harness(Plan::new()),
        &program,
        &args,
        ExploreOptions::default(),
    )?;
    ensure!(
        report.baseline_failure.is_none(),
        "{:?}",
        report.baseline_failure
    );
    ensure!(!report.findings.is_empty(), "no finding: {report:#?}");
    for finding in &report.findings {
        let plan = Plan::from_toml(&finding.plan, "finding").context("a finding's plan")?;
        repeat(&harness(plan), &program, &args, |outcome| {
            ensure!(
                outcome.exit_code() == finding.exit_code,
                "{} at {} replayed as {:?}",
                finding.verdict,
                finding.site,
                outcome.exit
            );
            Ok(())
        })?;
    }
    Ok(())
}

/// A UDP server of this test's own, on a thread: it echoes every datagram 0 to 100 µs
/// late, as a server that sometimes looks something up first: read straight from the
/// kernel (`--no-relay`), the guest's first `receive` after a request finds the answer on
/// some runs and not others (5 of 100 runs parted so, measured).
fn udp_server() -> Result<SocketAddr> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    let addr = socket.local_addr()?;
    std::thread::spawn(move || {
        let mut buf = vec![0; 64 << 10];
        let mut answered = 0u64;
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            std::thread::sleep(Duration::from_micros(answered % 5 * 25));
            let _ = socket.send_to(&buf[..n], from);
            answered += 1;
        }
    });
    Ok(addr)
}

#[test]
fn a_real_udp_servers_answer_is_received_at_the_same_step_of_every_run() -> Result<()> {
    let addr = udp_server()?.to_string();
    let args = [addr.as_str(), "--count", "8"];
    assert_deterministic(&harness(Plan::new()), &guest(&UDP_REQUEST), &args, "pass")?;
    // Relayed datagrams are faulted as any others: a late answer on every receive.
    let args = [addr.as_str(), "--count", "4"];
    let slow = harness(plan("udp.receive:first=2,action=ok-zero"));
    assert_deterministic(&slow, &guest(&UDP_REQUEST), &args, "pass")
}

#[test]
fn the_udp_trace_names_the_real_server_not_the_relay() -> Result<()> {
    let addr = udp_server()?;
    let args = [addr.to_string(), "--count".into(), "1".into()];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let outcome = harness(Plan::new()).run(&guest(&UDP_REQUEST), &args)?;
    ensure!(outcome.passed(), "{}", outcome.summary());
    let trace = wouldblock::trace::render(outcome.trace.events());
    let named = |l: &&str| l.contains("stream(") && l.contains(&addr.to_string());
    ensure!(trace.lines().any(|l| named(&l)), "{trace}");
    Ok(())
}
