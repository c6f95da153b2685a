//! Round 3 (issue 31), the HTTP side and the harness's own flags: a hostile HTTP client
//! (`probe-http`) and server (`probe-http-server`) against the harness's echo peer, its
//! client and its hooks; every harness flag bounded before the guest runs.

use super::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use wouldblock_guests::{PROBE_HTTP, PROBE_HTTP_SERVER, TCP_ECHO_SERVER};

/// A second loopback HTTP server that answers every request `200` with no body.
fn second_server() -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut head = [0u8; 4096];
            let _ = stream.read(&mut head);
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    Ok(format!("http://{addr}/"))
}

/// Item 1: every request body's bytes counted against what `{http-echo}` received, so a
/// correct guest was `loss` after a request to a closed port, a denied address, another
/// server, or a body the host refused at `finish`.
#[test]
fn only_what_reached_the_echo_peer_is_owed_by_it() -> Result<()> {
    let second = second_server()?;
    let out = wouldblock(&[
        "run",
        PROBE_HTTP.path,
        "post",
        "http://127.0.0.1:1/",
        "http://192.0.2.1/",
        &second,
        "short:{http-echo}",
        "{http-echo}",
    ])?;
    let stdout = text(&out.stdout);
    ensure!(out.status.success(), "{}", both(&out));
    ensure!(
        stdout.contains("http://127.0.0.1:1/: refused")
            && stdout.contains("http://192.0.2.1/: refused")
            && stdout.contains("finish: error code"),
        "{stdout}"
    );
    ensure!(
        stdout
            .lines()
            .last()
            .is_some_and(|l| l.ends_with(", echoed")),
        "{stdout}"
    );
    Ok(())
}

/// Item 3: a port that is no port (`:99999`, `:65616`, `:abc`) went to port 80.
#[test]
fn a_port_that_is_no_port_is_an_invalid_uri_not_port_80() -> Result<()> {
    for port in ["99999", "65616", "abc"] {
        let url = format!("http://127.0.0.1:{port}/");
        let out = wouldblock(&["run", PROBE_HTTP.path, "get", &url])?;
        ensure!(out.status.code() == Some(1), "{}", both(&out));
        ensure!(
            text(&out.stderr).contains("HttpRequestUriInvalid"),
            "{url}: {}",
            both(&out)
        );
    }
    Ok(())
}

/// Items 5 and 12: harness flags that panicked the harness, wrapped a length prefix, or
/// allocated without bound ended as a guest's `loss`, `trap`, 101 or 134; now each is
/// refused before the guest runs, naming the flag and its bound.
#[test]
fn every_client_flag_is_bounded_before_the_guest_runs() -> Result<()> {
    let server = [TCP_ECHO_SERVER.path, "--", "127.0.0.1:0"];
    for sizes in [
        "18446744073709551615",
        "4294967296",
        "67108865",
        "1,67108864",
    ] {
        let mut args = vec!["run", "--tcp-client", sizes];
        args.extend(server);
        refused(&wouldblock(&args)?, &["--tcp-client", "64 MiB"])?;
    }
    let mut args = vec!["run", "--tcp-client", "1024", "--tcp-connections", "100000"];
    args.extend(server);
    refused(&wouldblock(&args)?, &["--tcp-connections", "256"])?;
    for sizes in ["18446744073709551615", "99999999999"] {
        let out = wouldblock(&["run", "--http-client", sizes, PROBE_HTTP_SERVER.path])?;
        refused(&out, &["--http-client", "64 MiB"])?;
    }
    let mut args = vec!["run", "--http-client", "1"];
    args.extend(server);
    refused(
        &wouldblock(&args)?,
        &["--http-client", "no wasi:http/incoming-handler"],
    )?;
    let mut args = vec!["run", "--http-client", "1", "--tcp-client", "1"];
    args.extend(server);
    refused(&wouldblock(&args)?, &["--http-client", "--tcp-client"])?;
    // A proxy component run as a command panicked in its `main`.
    refused(
        &wouldblock(&["run", PROBE_HTTP_SERVER.path])?,
        &["--http-client", "wasi:http/incoming-handler"],
    )?;
    let dir = scratch("budget-time")?;
    let huge = "18446744073709551615";
    for command in [
        vec!["explore", "--budget-time", huge, "--out", path(&dir)],
        vec![
            "test",
            "--explore",
            "--budget-time",
            huge,
            "--out",
            path(&dir),
        ],
    ] {
        let mut args = command;
        args.extend([GUEST_SUITE]);
        refused(&wouldblock(&args)?, &["--budget-time", "a year"])?;
    }
    Ok(())
}

/// Deliverable 2: every harness flag at its extreme is refused naming it or runs as
/// bounded (`--max-component-size 18446744073709551615` panicked on an overflow,
/// `--max-memory` past 4 GiB was a setup error naming no flag).
#[test]
fn every_harness_flag_at_its_extreme_is_refused_or_bounded() -> Result<()> {
    let huge = "18446744073709551615";
    let guest = [UDP_SEND.path, "--", "127.0.0.1:9"];
    let mut args = vec!["run", "--max-memory", huge];
    args.extend(guest);
    refused(&wouldblock(&args)?, &["--max-memory", "4096 MiB"])?;
    for flag in ["--max-component-size", "--max-sockets", "--busy-threshold"] {
        let mut args = vec!["run", flag, huge];
        args.extend(guest);
        let out = wouldblock(&args)?;
        ensure!(out.status.success(), "{flag}: {}", both(&out));
    }
    Ok(())
}

/// Item 10: a handler streaming an endless response under `--http-client` grew the
/// harness by gigabytes (the body was collected whole); now the response is compared as
/// it comes and fails at its first byte past the request's.
#[test]
fn an_endless_response_fails_at_its_first_byte_too_many() -> Result<()> {
    let out = wouldblock(&[
        "run",
        "--http-client",
        "1024",
        "--env",
        "PROBE=endless",
        PROBE_HTTP_SERVER.path,
    ])?;
    ensure!(out.status.code() == Some(87), "{}", both(&out));
    ensure!(
        text(&out.stderr).contains("echo longer than the 1024 bytes sent"),
        "{}",
        both(&out)
    );
    Ok(())
}

/// Item 10: a client posting an endless body to `{http-echo}` grew the echo peer by
/// gigabytes; now the echo streams back as it comes, and past its bound the exchange is
/// cut and the run is the harness's error, not the guest's verdict.
#[test]
fn an_endless_request_body_is_cut_at_the_echo_peers_bound() -> Result<()> {
    let out = wouldblock(&["run", PROBE_HTTP.path, "endless", "{http-echo}"])?;
    refused(&out, &["{http-echo}", "64 MiB", "not the guest's verdict"])?;
    Ok(())
}

/// Item 13: `https://` failed with a bare `HTTP-protocol-error`.
#[test]
fn https_says_the_harness_has_no_tls_client() -> Result<()> {
    let out = wouldblock(&["run", PROBE_HTTP.path, "get", "https://127.0.0.1:1/"])?;
    ensure!(out.status.code() == Some(1), "{}", both(&out));
    ensure!(
        text(&out.stderr).contains("the harness has no TLS client"),
        "{}",
        both(&out)
    );
    Ok(())
}

/// Item 13: wasmtime-wasi-http's bound on a guest's header fields surfaced as `trap`
/// without naming the bound.
#[test]
fn the_header_size_bound_is_named_in_the_trap() -> Result<()> {
    let out = wouldblock(&[
        "run",
        "--http-client",
        "1",
        "--env",
        "PROBE=header 1",
        PROBE_HTTP_SERVER.path,
    ])?;
    ensure!(out.status.code() == Some(83), "{}", both(&out));
    ensure!(
        text(&out.stderr).contains("128 KiB, `WasiHttpCtx::set_field_size_limit`"),
        "{}",
        both(&out)
    );
    Ok(())
}

/// Item 13: 20,000 requests at once exhausted the harness's descriptors and reached the
/// guest as `connection-refused`; past `--max-sockets` in flight, a request is now
/// answered the WIT's `connection-limit-reached` before any descriptor is taken.
#[test]
fn requests_past_the_socket_bound_are_told_so_not_refused() -> Result<()> {
    let out = wouldblock(&[
        "run",
        "--max-sockets",
        "256",
        PROBE_HTTP.path,
        "many",
        "{http-echo}",
        "20000",
    ])?;
    let stdout = text(&out.stdout);
    ensure!(out.status.success(), "{}", both(&out));
    ensure!(!stdout.contains("ConnectionRefused"), "{stdout}");
    let answered: usize = stdout
        .lines()
        .filter(|l| l.ends_with(" status 200") || l.contains("ConnectionLimitReached"))
        .filter_map(|l| l.split_whitespace().next()?.parse::<usize>().ok())
        .sum();
    ensure!(answered == 20000, "{stdout}");
    Ok(())
}
