//! Asserts that a burst of N datagrams loses nothing: the blocking `send_to` waits out would-block and backs off on a clock after out-of-memory (ENOBUFS), and the retries it needed are reported.

use wouldblock_guest::args::{Flag, Spec};
use wouldblock_guest::program;

const SPEC: Spec = Spec {
    program: "udp-burst",
    count: Flag::Required,
    timeout_ms: Flag::Default(5000),
};

fn main() {
    let options = SPEC.parse_env();
    let socket = program::open(&options);
    program::send_numbered(&socket, options.addr, options.count);
    let stats = socket.send_stats();
    println!(
        "udp-burst: sent {} datagrams to {} with {} retries ({} would-block, {} out-of-memory)",
        options.count,
        options.addr,
        stats.retries(),
        stats.would_block,
        stats.out_of_memory
    );
}
