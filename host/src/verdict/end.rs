//! The verdicts only the end of a run can give, and how a run's end is told apart: the
//! guest's own exit, its abort, a harness stop, a trap.

use super::during::{EVIDENCE_LINES, stop};
use super::{Stop, Verdict};
use crate::outcome::Exit;
use crate::peer::{HttpReport, PeerOptions, Received, TcpReport, short_of};
use crate::state::Run;
use wasmtime_wasi::I32Exit;

/// The last line with something to say: not blank, not std's hint about backtraces.
fn last_line(text: &str) -> &str {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty() && !l.starts_with("note: run with"))
        .unwrap_or("")
}

/// The verdicts that only the end of a run can give: a guest that says it succeeded but
/// dropped what it was told to send again, or lost data, and a guest that gave up after a
/// transient error the plan injected.
pub(crate) fn judge(
    exit: Exit,
    run: &Run,
    peer: Option<PeerOptions>,
    received: Option<&Received>,
    tcp: Option<&TcpReport>,
    no_drops: bool,
) -> Exit {
    // An abort (a panic) is the guest failing, judged like any other exit.
    let Some(code) = exit.guest_status() else {
        return exit;
    };
    if code == 0
        && let Some((dropped, lines)) = run.faults.drops.account(no_drops)
    {
        let mut stop = stop(
            &run.recorder,
            Verdict::Dropped,
            format!(
                "the guest exited 0, but datagrams an injected answer refused were never \
                 offered again: {dropped}. WIT: \"If none of the datagrams were able to be \
                 sent, `ok(0)` is returned\": a refused datagram must be sent again"
            ),
        );
        stop.evidence = run.recorder.trace.render_lines(&lines, EVIDENCE_LINES);
        return Exit::Stopped(stop);
    }
    let expected = peer.and_then(|p| p.expect_datagrams);
    // Everything `send` accepted for the harness's peer must arrive there, as often as it
    // was accepted, byte for byte, whatever the payload.
    if let (0, Some(received), Some(watch)) = (code, received, &run.world.peer) {
        let (missing, payloads) = short_of(&watch.accepted, received);
        if missing > 0 {
            let drops = received.kernel_drops.unwrap_or(0);
            let what = format!(
                "{missing} datagram(s) that send accepted for the harness's peer ({payloads} \
                 distinct payload(s)) never arrived there"
            );
            return Exit::Stopped(if drops >= missing {
                stop(
                    &run.recorder,
                    Verdict::PeerOverflow,
                    format!(
                        "the guest exited 0 and {what}: the kernel dropped {drops} on the way \
                         to the harness's own peer (inconclusive, not the guest's loss)"
                    ),
                )
            } else {
                stop(
                    &run.recorder,
                    Verdict::Loss,
                    format!("the guest exited 0, but {what}: data lost after the WIT boundary"),
                )
            });
        }
    }
    // The numbered check, where the guest numbers its datagrams (the bundled guests send
    // the decimal text of 0..N); a guest that does not is held to the count alone.
    let numbered = received.is_some_and(|r| !r.counts.is_empty() || r.invalid == 0);
    if let (0, Some(n), Some(received), false) = (code, expected, received, numbered)
        && received.total() != n
    {
        return Exit::Stopped(stop(
            &run.recorder,
            Verdict::Loss,
            format!(
                "the guest exited 0, but {} of {n} datagrams arrived (its payloads are not \
                 numbered, so only their count is judged): it lost data silently",
                received.total()
            ),
        ));
    }
    if let (0, Some(n), Some(received), true) = (code, expected, received, numbered)
        && let Some(discrepancy) = received.discrepancy(n)
    {
        // Loss is the guest's only when the kernel provably did not drop what is missing
        // on its way to the harness's own socket.
        let drops = received.kernel_drops.unwrap_or(0);
        let only_missing = received.duplicated().is_empty()
            && received.invalid == 0
            && received.counts.range(n..).next().is_none();
        if drops > 0 && only_missing && received.missing_count(n) <= drops {
            return Exit::Stopped(stop(
                &run.recorder,
                Verdict::PeerOverflow,
                format!(
                    "the guest exited 0 and {discrepancy}: the kernel dropped {drops} \
                     datagram(s) on the way to the harness's own peer, so the run cannot \
                     tell whether the guest lost any (inconclusive, not the guest's loss)"
                ),
            ));
        }
        return Exit::Stopped(stop(
            &run.recorder,
            Verdict::Loss,
            format!("the guest exited 0, but {discrepancy}: it lost data silently"),
        ));
    }
    if let (0, Some(report)) = (code, tcp)
        && !report.complete()
    {
        let failures: Vec<&str> = report
            .connections
            .iter()
            .filter_map(|c| c.failure.as_deref())
            .collect();
        let never = report.expected_connections - report.connections.len();
        let mut why = failures.join("; ");
        if never > 0 {
            why = format!("{never} connection(s) never made (the guest never listened); {why}");
        }
        return Exit::Stopped(stop(
            &run.recorder,
            Verdict::Loss,
            format!(
                "the guest exited 0, but the harness's client got {}: {why}",
                report.summary()
            ),
        ));
    }
    let ended = match &exit {
        Exit::Abort { kind, message, .. } => format!("ended in a {kind} ({message})"),
        _ => format!("exited {code}"),
    };
    match run.faults.pending_error() {
        Some(error) if code != 0 => Exit::Stopped(stop(
            &run.recorder,
            Verdict::UnusableAfterError,
            format!(
                "the guest {ended} after {error} and moved no data since: it treated an \
                 error the host reports once as fatal, though the socket stays usable"
            ),
        )),
        _ => exit,
    }
}

/// Tells a guest's own exit, its abort, a harness stop and a trap apart; `note` says what
/// may have caused a trap (a refused memory growth), `stderr` is the end of what the guest
/// printed.
pub(crate) fn classify(error: &wasmtime::Error, note: Option<String>, stderr: &[u8]) -> Exit {
    if let Some(exit) = error.downcast_ref::<I32Exit>() {
        return Exit::Code(exit.0);
    }
    for cause in error.chain() {
        if let Some(stop) = cause.downcast_ref::<Stop>() {
            return Exit::Stopped(stop.clone());
        }
    }
    // A guest aborts by executing `unreachable`: Rust's panic=abort and wasi-libc's abort()
    // both end that way, after saying why on stderr.
    if error.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::UnreachableCodeReached) {
        let text = String::from_utf8_lossy(stderr);
        let (status, kind, said) = match text.rfind("panicked at") {
            // std's hint about backtraces is not the message.
            Some(at) => (
                101,
                "panic",
                text[at..].split("\nnote: ").next().unwrap_or(""),
            ),
            None => (134, "abort", last_line(&text)),
        };
        let mut message = said.split_whitespace().collect::<Vec<_>>().join(" ");
        message.truncate(message.floor_char_boundary(300));
        if let Some(note) = note {
            message = format!("{message} ({note})");
        }
        return Exit::Abort {
            status,
            kind,
            message,
        };
    }
    Exit::Stopped(Stop {
        verdict: Verdict::Trap,
        reason: match note {
            Some(note) => format!("the guest trapped ({note}): {error:?}"),
            None => format!("the guest trapped: {error:?}"),
        },
        evidence: String::new(),
    })
}

/// A guest that exited 0 although the harness's HTTP echo peer read fewer request body
/// bytes than the guest's body writes accepted: `loss`, as for a TCP peer.
pub(crate) fn http_loss(exit: Exit, run: &Run, http: Option<&HttpReport>) -> Exit {
    match (exit.guest_status(), http) {
        (Some(0), Some(report)) if report.body_bytes < run.world.http_bodies.owed_to_echo() => {
            Exit::Stopped(stop(
                &run.recorder,
                Verdict::Loss,
                format!(
                    "the guest exited 0, but the harness's HTTP echo peer read {} of the {} \
                     request body bytes its body writes accepted ({} request(s))",
                    report.body_bytes,
                    run.world.http_bodies.owed_to_echo(),
                    report.requests
                ),
            ))
        }
        _ => exit,
    }
}

/// A guest server that answered without trapping, but not every response body was its
/// request's, byte for byte: `loss`, as for the TCP client.
pub(crate) fn http_served(exit: Exit, run: &Run) -> Exit {
    match (exit.guest_status(), &run.world.http_served) {
        (Some(0), Some(served)) if served.echoed < served.requests => Exit::Stopped(stop(
            &run.recorder,
            Verdict::Loss,
            format!(
                "the guest served, but the harness's HTTP client got {} of {} response(s) \
                 echoed byte-exactly: {}",
                served.echoed,
                served.requests,
                served.failure.as_deref().unwrap_or("a response is missing")
            ),
        )),
        _ => exit,
    }
}
