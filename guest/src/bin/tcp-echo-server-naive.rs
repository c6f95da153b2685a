//! Reproduces the naive echo server (a C server that only worked under Valgrind): it waits properly for a connection's first bytes, then reads until a read returns nothing, takes that empty read for the end of the stream, echoes what it has and closes, so any request that arrives in pieces is cut short.

use wouldblock_guest::echo::EchoSpec;
use wouldblock_guest::impatient;

const SPEC: EchoSpec = EchoSpec {
    program: "tcp-echo-server-naive",
    server: true,
};

fn main() {
    impatient::main(&SPEC, 0);
}
