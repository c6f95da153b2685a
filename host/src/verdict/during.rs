//! The verdicts a run is stopped with while it runs: a busy loop, a hang, a broken trap
//! rule of the WIT, the wall-clock safety net. The decorators report what happened; the
//! reasons and the evidence are decided here, from the recorder.

use super::{Stop, Verdict};
use crate::recorder::Recorder;
use crate::trace::{self, Text, Trace};
use std::time::Duration;

/// How many trace lines a verdict quotes as evidence.
pub(crate) const EVIDENCE_LINES: usize = 6;

/// A stop with the last trace lines as evidence.
pub(crate) fn stop(trace: &Trace, verdict: Verdict, reason: String) -> Stop {
    Stop {
        verdict,
        reason,
        evidence: trace::render(&trace.tail(EVIDENCE_LINES)),
    }
}

/// `calls` socket calls in a row moved nothing, with no timer wake-up between them.
pub(crate) fn busy_loop(recorder: &Recorder, calls: u64, threshold: u64) -> Stop {
    let reason = format!(
        "the guest made {calls} socket calls in a row without sending or receiving anything \
         and without being woken by a timer (threshold {threshold}): it is spinning instead \
         of waiting or backing off"
    );
    stop(&recorder.trace, Verdict::BusyLoop, reason)
}

/// The guest blocked in `wait` on the socket pollables `on` alone, and the plan will never
/// make any of them ready.
pub(crate) fn hang(recorder: &Recorder, wait: &str, on: &Text) -> Stop {
    let reason = format!(
        "the guest blocked in {wait} on {on} and nothing else, but the plan never makes it \
         ready again (a missed wake-up): on a real host this guest would hang forever; wait \
         on a clock pollable too, or retry with a backoff"
    );
    stop(&recorder.trace, Verdict::Hang, reason)
}

/// The guest blocked in `wait`, with no timer, on `on`: connections to real servers
/// through the harness's relay, and for `waited` none of them said anything more.
pub(crate) fn server_silent(
    recorder: &Recorder,
    wait: &str,
    on: &Text,
    servers: &[std::net::SocketAddr],
    waited: Duration,
) -> Stop {
    let servers = match servers {
        [] => "the servers it talks to".to_string(),
        servers => {
            let list: Vec<String> = servers.iter().map(|s| s.to_string()).collect();
            format!("the server at {}", list.join(", "))
        }
    };
    let reason = format!(
        "the guest blocked in {wait} on {on} with no timer, and {servers} sent nothing for          {waited:?} after its last answer: the server stopped answering (inconclusive, not          the guest's doing; is it running, and is the request one it answers?)"
    );
    stop(&recorder.trace, Verdict::ServerSilent, reason)
}

/// The guest blocked in `wait` on the socket pollables `on`, which the plan never makes
/// ready again, and on real pollables that nothing woke: the harness's own peers had
/// settled and, for `window`, nothing the harness cannot see woke them either.
pub(crate) fn hang_beside_real(
    recorder: &Recorder,
    wait: &str,
    on: &Text,
    window: Duration,
) -> Stop {
    let quiet = if window.is_zero() {
        "the harness's own peers had settled and nothing else talks to the guest, so nothing \
         could wake them"
            .to_string()
    } else {
        format!(
            "nothing woke them in a {window:?} quiet window (the guest talks to something the \
             harness cannot see settle; widen it with --quiet-window)"
        )
    };
    let reason = format!(
        "the guest blocked in {wait} on {on}, which the plan never makes ready again (a missed \
         wake-up), and on real pollables alone besides, with no timer: {quiet}. On a real host \
         this guest would hang; wait on a clock pollable too, or retry with a backoff"
    );
    stop(&recorder.trace, Verdict::Hang, reason)
}

/// A `send` of `datagrams` on `on` beyond the last `check-send` permit.
// WIT: "Implementations must trap if either `check-send` was not called or `datagrams`
// contains more items than `check-send` permitted."
pub(crate) fn send_past_permit(
    recorder: &Recorder,
    datagrams: usize,
    on: &Text,
    permit: u64,
) -> Stop {
    let reason = format!(
        "the guest called send with {datagrams} datagram(s) on {on} but its last check-send \
         permitted {permit}; the WIT requires the host to trap (\"Each call to `send` must be \
         permitted by a preceding `check-send`\")"
    );
    stop(&recorder.trace, Verdict::SpecViolation, reason)
}

/// A `write` of `len` bytes on `on` beyond the last `check-write` permit.
// WIT: "precondition: check-write gave permit of Ok(n) and contents has a length of less
// than or equal to n. Otherwise, this function will trap."
pub(crate) fn write_past_permit(recorder: &Recorder, len: u64, on: &Text, permit: u64) -> Stop {
    let reason = format!(
        "the guest wrote {len} byte(s) to {on} but its last check-write permitted {permit}; \
         the WIT requires the host to trap (\"contents has a length of less than or equal to \
         n. Otherwise, this function will trap\")"
    );
    stop(&recorder.trace, Verdict::SpecViolation, reason)
}

/// The guest's virtual clock passed the time limit: it kept waiting on timers (a retry
/// loop that never ends), decided when its clock got there, not by the wall clock.
pub(crate) fn virtual_time_limit(recorder: &Recorder, limit: Duration) -> Stop {
    let reason = format!(
        "the guest's virtual clock passed the {limit:?} time limit: it kept waiting on \
         timers with no busy loop or hang the counters could see (a retry loop without end; \
         raise it with --time-limit)"
    );
    stop(&recorder.trace, Verdict::TimeLimit, reason)
}

/// The wall-clock safety net ran out.
pub(crate) fn time_limit(recorder: &Recorder, limit: Duration) -> Stop {
    let reason = format!(
        "the guest was still running after the {limit:?} wall-clock limit, with no busy loop \
         or hang the counters could see (raise it with --time-limit)"
    );
    stop(&recorder.trace, Verdict::TimeLimit, reason)
}
