//! `probe`: what the harness gives a guest. No environment unless asked (as `wasmtime run`)
//! but its run id,
//! a memory bound that `memory.grow` answers with -1 (so `try_reserve` works), and a trap
//! on refused memory that names `--max-memory`.

use anyhow::{Context, Result, ensure};
use wouldblock::{Builder, Harness, Repeat, Verdict};
use wouldblock_guests::PROBE;
use wouldblock_tests::assert_verdict;

fn probe(harness: &Harness, args: &[&str]) -> Result<wouldblock::Outcome> {
    let guest = harness.compile(PROBE.name, PROBE.wasm)?;
    Ok(harness.run(&guest, args)?)
}

#[test]
fn the_environment_is_the_run_id_and_only_what_was_asked() -> Result<()> {
    let env = |builder: Builder| -> Result<String> {
        let outcome = probe(&builder.build()?, &["env"])?;
        ensure!(outcome.passed(), "{}", outcome.stderr_text());
        Ok(outcome.stdout_text())
    };
    ensure!(
        std::env::var_os("PATH").is_some(),
        "the test needs PATH set"
    );
    let default = env(wouldblock_tests::builder())?;
    let id = |vars: &str| -> Option<String> {
        let id = vars
            .lines()
            .find_map(|l| l.strip_prefix("WOULDBLOCK_RUN_ID="))?;
        (id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| id.into())
    };
    ensure!(
        default.lines().count() == 1 && id(&default).is_some(),
        "nothing but the run id by default: {default}"
    );
    let again = env(wouldblock_tests::builder())?;
    ensure!(id(&again) != id(&default), "every run its own id: {again}");
    let given = env(wouldblock_tests::builder().env("WOULDBLOCK_PROBE", "1"))?;
    ensure!(
        given.starts_with("WOULDBLOCK_PROBE=1\n") && given.lines().count() == 2,
        "{given}"
    );
    let fixed = env(wouldblock_tests::builder().env("WOULDBLOCK_RUN_ID", "replay"))?;
    ensure!(
        fixed == "WOULDBLOCK_RUN_ID=replay\n",
        "a given id wins: {fixed}"
    );
    let inherited = env(wouldblock_tests::builder().inherit_env(true))?;
    ensure!(inherited.contains("PATH="), "{inherited}");
    Ok(())
}

#[test]
fn memory_grow_answers_minus_one_at_the_bound() -> Result<()> {
    let harness = wouldblock_tests::builder().max_memory(16 << 20).build()?;
    let outcome = probe(&harness, &["alloc", "64"])?;
    ensure!(outcome.passed(), "{}", outcome.stderr_text());
    ensure!(
        outcome.stdout_text() == "refused\n",
        "{}",
        outcome.stdout_text()
    );
    let outcome = probe(&harness, &["alloc", "1"])?;
    ensure!(
        outcome.stdout_text() == "reserved\n",
        "{}",
        outcome.stdout_text()
    );
    Ok(())
}

#[test]
fn an_abort_on_refused_memory_names_the_bound() -> Result<()> {
    let harness = wouldblock_tests::builder().max_memory(16 << 20).build()?;
    let outcome = probe(&harness, &["alloc-abort", "64"])?;
    // Rust aborts on a failed allocation: the guest's own failure, told with the bound.
    let wouldblock::Exit::Abort {
        status, message, ..
    } = &outcome.exit
    else {
        anyhow::bail!("expected an abort, got {:?}", outcome.exit);
    };
    ensure!(*status == 134, "{status}");
    ensure!(
        message.contains("memory allocation of 67108864 bytes failed"),
        "{message}"
    );
    ensure!(message.contains("--max-memory (16 MiB)"), "{message}");
    Ok(())
}

#[test]
fn impossible_settings_are_refused_before_any_guest_runs() -> Result<()> {
    for (builder, flag) in [
        (wouldblock_tests::builder().max_memory(0), "--max-memory"),
        (
            wouldblock_tests::builder().time_limit(std::time::Duration::ZERO),
            "--time-limit",
        ),
        (
            wouldblock_tests::builder().busy_threshold(0),
            "--busy-threshold",
        ),
    ] {
        let err = builder
            .build()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        ensure!(err.starts_with(flag), "{flag}: {err}");
    }
    Ok(())
}

/// Hostile guests end in a verdict and leave the host as it was.
#[test]
fn deep_recursion_is_a_trap() -> Result<()> {
    let outcome = probe(&wouldblock_tests::builder().build()?, &["recurse"])?;
    let (reason, _) = assert_verdict(&outcome, Verdict::Trap)?;
    // Rust's stack lives in linear memory: running off it is an out-of-bounds access (a
    // frame without such buffers would exhaust wasmtime's own call stack instead).
    ensure!(
        reason.contains("out of bounds memory access") || reason.contains("call stack exhausted"),
        "{reason}"
    );
    Ok(())
}

#[test]
fn an_endless_loop_without_socket_calls_meets_the_time_limit() -> Result<()> {
    let harness = wouldblock_tests::builder()
        .time_limit(std::time::Duration::from_millis(300))
        .build()?;
    let outcome = probe(&harness, &["spin"])?;
    assert_verdict(&outcome, Verdict::TimeLimit).map(drop)
}

#[test]
fn sockets_past_the_bound_get_new_socket_limit() -> Result<()> {
    let harness = wouldblock_tests::builder().max_sockets(64).build()?;
    let outcome = probe(&harness, &["sockets", "5000"])?;
    ensure!(outcome.passed(), "{}", outcome.stderr_text());
    let stdout = outcome.stdout_text();
    ensure!(stdout.starts_with("64 sockets, then"), "{stdout}");
    let refused = outcome
        .trace
        .events()
        .iter()
        .find(|e| e.result == "error(new-socket-limit)");
    let fault = refused.and_then(|e| e.fault.as_deref()).unwrap_or_default();
    ensure!(
        fault.contains("--max-sockets"),
        "{}",
        outcome.trace.to_json_lines()
    );
    Ok(())
}

/// `bind("0.0.0.0:0")`, the commonest idiom, is let through: a local address is the
/// kernel's to answer, every remote one stays loopback-only.
#[test]
fn a_socket_bound_to_the_unspecified_address_reaches_a_loopback_peer() -> Result<()> {
    let harness = wouldblock_tests::counting(wouldblock::Plan::new(), Some(1));
    let outcome = probe(&harness, &["send-from-any", "{peer}"])?;
    wouldblock_tests::assert_delivered_exactly_once(&outcome, 1)?;
    let outcome = probe(&harness, &["send-from-any", "10.0.0.1:9"])?;
    assert_permission_denied(&outcome)?;
    Ok(())
}

#[test]
fn a_send_beyond_loopback_is_refused() -> Result<()> {
    let outcome = probe(
        &wouldblock_tests::builder().build()?,
        &["send-to", "10.0.0.1:9"],
    )?;
    assert_permission_denied(&outcome)?;
    let stderr = outcome.stderr_text();
    ensure!(stderr.contains("send to 10.0.0.1:9"), "{stderr}");
    Ok(())
}

/// Many runs in one process: every run counted, and a guest that takes another path on
/// another run is caught by the determinism check, with the first line that differs.
#[test]
fn repeat_counts_every_run_and_catches_a_guest_that_is_not_deterministic() -> Result<()> {
    let harness = wouldblock_tests::builder().build()?;
    let guest = harness.compile(PROBE.name, PROBE.wasm)?;
    let steady = Repeat::run(&harness, &guest, &["sockets", "3"], 200, 2, |_| {})?;
    ensure!(
        steady.endings.get("pass") == Some(&200),
        "{:?}",
        steady.endings
    );
    ensure!(
        steady.differing == 0 && steady.exit_code() == 0,
        "{:?}",
        steady.nondeterministic
    );
    let random = Repeat::run(&harness, &guest, &["random-sockets"], 40, 2, |_| {})?;
    ensure!(
        random.endings.get("pass") == Some(&40),
        "{:?}",
        random.endings
    );
    ensure!(
        random.differing > 0,
        "40 runs of 1 to 8 random sockets all took one path"
    );
    let (_, difference) = &random.nondeterministic[0];
    ensure!(difference.starts_with("line "), "{difference}");
    ensure!(random.exit_code() == wouldblock::EXIT_NONDETERMINISTIC);
    Ok(())
}

/// std's `TcpStream::connect` binds `0.0.0.0:0` implicitly before it connects: that is let
/// through, so a ported client reaches a loopback peer; a remote address beyond loopback
/// is still refused.
#[test]
fn a_std_tcp_client_reaches_a_loopback_peer_and_nothing_beyond() -> Result<()> {
    let harness = wouldblock_tests::builder().build()?;
    let outcome = probe(&harness, &["std-tcp-echo", "{tcp-echo}"])?;
    ensure!(
        outcome.passed(),
        "{:?}\n{}",
        outcome.exit,
        outcome.stderr_text()
    );
    let outcome = probe(&harness, &["std-tcp-echo", "10.0.0.1:9"])?;
    assert_permission_denied(&outcome)?;
    Ok(())
}

/// An injected reset reads in the guest as a real one does (issue 30): std's `read` gets
/// the same error and the guest ends the same way (that nothing comes out of the stream
/// after it is the decision core's unit test). The real one: a server that takes the
/// guest's 5 bytes and closes with `SO_LINGER` 0, which sends an RST.
#[test]
fn an_injected_reset_reads_as_a_real_one() -> Result<()> {
    use nix::sys::socket::{setsockopt, sockopt::Linger};
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    let server = std::thread::spawn(move || -> Result<()> {
        let (mut conn, _) = listener.accept()?;
        conn.read_exact(&mut [0; 5])?;
        let abort = nix::libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        setsockopt(&conn, Linger, &abort)?;
        Ok(())
    });
    let harness = wouldblock_tests::builder().build()?;
    let real = probe(&harness, &["std-tcp-echo", &addr])?;
    server
        .join()
        .map_err(|_| anyhow::anyhow!("the server panicked"))??;
    let reset = wouldblock::Plan::parse_spec("tcp.read:first=1,action=reset")?;
    let plan = wouldblock::Plan::new().with_rule(reset[0].clone());
    let harness = wouldblock_tests::builder().plan(plan).build()?;
    let injected = probe(&harness, &["std-tcp-echo", "{tcp-echo}"])?;
    // What the guest said, with the address it named left out.
    let said = |outcome: &wouldblock::Outcome| -> Result<String> {
        let stderr = outcome.stderr_text();
        let line = stderr.lines().find(|l| l.contains("tcp echo with"));
        let line = line.with_context(|| format!("no error line: {stderr}"))?;
        let after = line.split_once("tcp echo with ").map_or(line, |(_, a)| a);
        Ok(after.split_once(": ").map_or(after, |(_, e)| e).to_string())
    };
    // Measured: under wasmtime-wasi 48.0.8, std sees a real RST as `os error 29` (EIO):
    // wasi-libc reports a stream's `last-operation-failed` as EIO. The point is that
    // both read alike, whatever the host says.
    let (real_said, injected_said) = (said(&real)?, said(&injected)?);
    ensure!(!real.passed(), "the real reset did not reach the guest");
    ensure!(
        real_said == injected_said,
        "real: {real_said}\ninjected: {injected_said}"
    );
    ensure!(
        real.exit == injected.exit,
        "{:?} vs {:?}",
        real.exit,
        injected.exit
    );
    Ok(())
}

/// A connection from an address the policy does not allow never reaches the guest: the
/// guest listens on 127.0.0.2 (the only address allowed), the harness's client connects
/// from 127.0.0.1, and the guest's accept times out while the client is refused.
#[test]
fn an_accepted_connection_from_a_disallowed_address_is_refused() -> Result<()> {
    use wouldblock_guests::TCP_ECHO_SERVER;
    let only = wouldblock::NetPolicy::none().allow("127.0.0.2/32".parse()?);
    let client = wouldblock::TcpClientOptions::new(vec![1]);
    let harness = wouldblock_tests::builder()
        .net(only)
        .tcp_client(client)
        .build()?;
    let guest = harness.compile(TCP_ECHO_SERVER.name, TCP_ECHO_SERVER.wasm)?;
    let outcome = harness.run(&guest, &["127.0.0.2:0", "--timeout-ms", "2000"])?;
    ensure!(
        outcome.exit == wouldblock::Exit::Code(1),
        "{:?}",
        outcome.exit
    );
    ensure!(
        outcome.stderr_text().contains("no progress"),
        "{}",
        outcome.stderr_text()
    );
    let report = outcome
        .tcp
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("no client report"))?;
    ensure!(
        !report.complete() && report.connections.len() == 1,
        "{report:?}"
    );
    Ok(())
}

/// A bind sends nothing, so the policy leaves local addresses to the kernel: an address
/// that is not on this machine (192.0.2.0, TEST-NET-1) gets `address-not-bindable` and a
/// port another socket holds gets `address-in-use`, as natively, not `access-denied`.
#[test]
fn a_bind_gets_the_kernels_answer_not_the_policys() -> Result<()> {
    let harness = wouldblock_tests::builder().build()?;
    let tcp_holder = std::net::TcpListener::bind("127.0.0.1:0")?;
    let udp_holder = std::net::UdpSocket::bind("127.0.0.1:0")?;
    let cases = [
        ("tcp", "192.0.2.0:0".to_string(), "address-not-bindable"),
        ("udp", "192.0.2.0:0".to_string(), "address-not-bindable"),
        (
            "tcp",
            tcp_holder.local_addr()?.to_string(),
            "address-in-use",
        ),
        (
            "udp",
            udp_holder.local_addr()?.to_string(),
            "address-in-use",
        ),
    ];
    for (protocol, addr, code) in cases {
        let outcome = probe(&harness, &["bind", protocol, &addr])?;
        let stderr = outcome.stderr_text();
        ensure!(
            outcome.exit == wouldblock::Exit::Code(1),
            "{protocol} {addr}: {:?}\n{stderr}",
            outcome.exit
        );
        ensure!(
            stderr.contains(&format!("wasi error-code {code}")),
            "{protocol} {addr}: {stderr}"
        );
    }
    let outcome = probe(&harness, &["bind", "tcp", "0.0.0.0:0"])?;
    ensure!(outcome.passed(), "{}", outcome.stderr_text());
    Ok(())
}

/// The policy governs who may connect, wherever the guest listens: a listener bound to
/// the unspecified address (every local address) accepts the harness's client from
/// 127.0.0.1 under the default policy, and never sees it under a policy that allows only
/// 127.0.0.2.
#[test]
fn a_listener_on_the_unspecified_address_still_refuses_a_connection_from_outside_the_policy()
-> Result<()> {
    use wouldblock_guests::TCP_ECHO_SERVER;
    let client = wouldblock::TcpClientOptions::new(vec![1]);
    let open = wouldblock_tests::builder()
        .tcp_client(client.clone())
        .build()?;
    let guest = open.compile(TCP_ECHO_SERVER.name, TCP_ECHO_SERVER.wasm)?;
    let outcome = open.run(&guest, &["0.0.0.0:0"])?;
    ensure!(outcome.passed(), "{}", outcome.stderr_text());
    let only = wouldblock::NetPolicy::none().allow("127.0.0.2/32".parse()?);
    let closed = wouldblock_tests::builder()
        .net(only)
        .tcp_client(client)
        .build()?;
    let guest = closed.compile(TCP_ECHO_SERVER.name, TCP_ECHO_SERVER.wasm)?;
    let outcome = closed.run(&guest, &["0.0.0.0:0", "--timeout-ms", "2000"])?;
    ensure!(
        outcome.exit == wouldblock::Exit::Code(1),
        "{:?}\n{}",
        outcome.exit,
        outcome.stderr_text()
    );
    ensure!(
        outcome.stderr_text().contains("no progress"),
        "{}",
        outcome.stderr_text()
    );
    let report = outcome
        .tcp
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("no client report"))?;
    ensure!(!report.complete(), "{report:?}");
    Ok(())
}

/// A write past the `check-write` permit is the guest's bug, as a send past `check-send`
/// is: the permit is checked before anything is injected, and the run is stopped.
#[test]
fn a_tcp_write_past_its_permit_is_a_spec_violation() -> Result<()> {
    let harness = wouldblock_tests::builder().build()?;
    let outcome = probe(&harness, &["tcp-overwrite", "{tcp-echo}"])?;
    let (reason, _) = assert_verdict(&outcome, Verdict::SpecViolation)?;
    ensure!(reason.contains("last check-write permitted"), "{reason}");
    Ok(())
}

/// The guest failed by itself (exit 1) on the policy's refusal.
fn assert_permission_denied(outcome: &wouldblock::Outcome) -> Result<()> {
    ensure!(
        outcome.exit == wouldblock::Exit::Code(1),
        "{:?}",
        outcome.exit
    );
    let stderr = outcome.stderr_text();
    ensure!(stderr.contains("PermissionDenied"), "{stderr}");
    Ok(())
}

/// A missed wake-up beside a real socket, with no timer in the wait: only the real world
/// could end it, and once the harness's own peer has settled nothing will. `hang` at once,
/// on every run, not the wall-clock limit; and a datagram that is on its way to the other
/// socket (the guest's own) still wakes it.
#[test]
fn a_missed_wake_up_beside_real_sockets_is_decided_without_the_wall_clock() -> Result<()> {
    let plan = wouldblock_tests::plan("udp.incoming-pollable:connected=true,first=1,ready=never");
    let harness = wouldblock_tests::builder()
        .time_limit(std::time::Duration::from_secs(30))
        .plan(plan)
        .peer(wouldblock::PeerOptions::counting())
        .build()?;
    let guest = harness.compile(PROBE.name, PROBE.wasm)?;
    wouldblock_tests::repeat(&harness, &guest, &["block-two", "{peer}"], |outcome| {
        let (reason, _) = assert_verdict(outcome, Verdict::Hang)?;
        ensure!(reason.contains("peers had settled"), "{reason}");
        Ok(())
    })?;
    wouldblock_tests::repeat(
        &harness,
        &guest,
        &["block-two", "{peer}", "self"],
        |outcome| {
            ensure!(outcome.passed(), "{}", outcome.summary());
            ensure!(
                outcome.stdout_text() == "ready: second\n",
                "{}",
                outcome.stdout_text()
            );
            Ok(())
        },
    )
}

/// `loss` fits any program: a guest whose payloads are not numbered is judged by what its
/// sends delivered (each datagram `send` accepted for the peer arrived, and as many as
/// expected), not by the bundled guests' numbering; and `{peer}` always has a peer.
#[test]
fn loss_is_judged_by_what_send_accepted_whatever_the_payload() -> Result<()> {
    let with = |expect: Option<u64>| -> Result<wouldblock::Outcome> {
        let peer = wouldblock::PeerOptions::counting();
        let peer = expect.map_or(peer, |n| peer.expect_datagrams(n));
        let harness = wouldblock_tests::builder().peer(peer).build()?;
        probe(&harness, &["send-to", "{peer}", "hello"])
    };
    let harness = wouldblock_tests::builder().build()?;
    let guest = harness.compile(PROBE.name, PROBE.wasm)?;
    wouldblock_tests::repeat(
        &harness,
        &guest,
        &["send-to", "{peer}", "hello"],
        |outcome| {
            ensure!(outcome.passed(), "{}", outcome.summary());
            let received = outcome
                .received
                .as_ref()
                .context("{peer} without a peer option")?;
            ensure!(received.total() == 1, "{received:?}");
            Ok(())
        },
    )?;
    let one = with(Some(1))?;
    ensure!(
        one.passed(),
        "an unnumbered datagram that arrived: {}",
        one.summary()
    );
    let two = with(Some(2))?;
    let (reason, _) = assert_verdict(&two, Verdict::Loss)?;
    ensure!(
        reason.contains("1 of 2 datagrams arrived") && reason.contains("not numbered"),
        "{reason}"
    );
    Ok(())
}

/// wasmtime's zero-timeout busy-poll regression (wasmtime#13040) under virtual time: a
/// poll on a zero-duration timer beside a socket sees the echo arrive, on every run.
#[test]
fn a_zero_timeout_poll_beside_a_socket_sees_it_become_ready() -> Result<()> {
    let harness = wouldblock_tests::builder()
        .peer(wouldblock::PeerOptions::echo())
        .build()?;
    let guest = harness.compile(PROBE.name, PROBE.wasm)?;
    wouldblock_tests::repeat(&harness, &guest, &["busy-poll", "{peer}"], |outcome| {
        ensure!(
            outcome.passed(),
            "{}\n{}",
            outcome.stderr_text(),
            outcome.summary()
        );
        ensure!(
            outcome.stdout_text().starts_with("ready after "),
            "{}",
            outcome.stdout_text()
        );
        Ok(())
    })
}

/// The binds wasmtime's own socket test programs make, in our words: an ephemeral port on
/// the address asked for, `address-in-use` while another socket holds the address, the
/// port bound again once freed, `address-not-bindable` for an address not on this machine,
/// `invalid-argument` for the wrong family or a multicast address; both protocols, IPv4 and
/// (where the machine has it) IPv6. Each answer is the kernel's, through wasmtime-wasi.
#[test]
fn binds_answer_as_the_kernel_does() -> Result<()> {
    let outcome = probe(&wouldblock_tests::builder().build()?, &["bind-checks"])?;
    ensure!(
        outcome.passed(),
        "{}{}",
        outcome.stdout_text(),
        outcome.stderr_text()
    );
    ensure!(outcome.stdout_text().contains("bind checks passed"));
    Ok(())
}

/// Name lookups as wasmtime's name-lookup test program checks them, but offline:
/// `localhost` is 127.0.0.1 then ::1, an address (bracketed or not) is itself, a malformed
/// name is `invalid-argument`, and a name nobody here knows is `name-unresolvable` without
/// a query leaving the machine.
#[test]
fn lookups_answer_as_an_offline_resolver() -> Result<()> {
    let outcome = probe(&wouldblock_tests::builder().build()?, &["lookup-checks"])?;
    ensure!(
        outcome.passed(),
        "{}{}",
        outcome.stdout_text(),
        outcome.stderr_text()
    );
    ensure!(outcome.stdout_text().contains("lookup checks passed"));
    Ok(())
}
