//! Reproduces the seed's "fix" of the naive echo server: a patience counter that tolerates up to 8 empty reads in a row before it takes the next one for the end of the stream, still a guess about timing, so a request whose next part takes longer than 8 reads to arrive is cut short.

use wouldblock_guest::echo::EchoSpec;
use wouldblock_guest::impatient;

/// Empty reads in a row tolerated before the next is taken for the end.
const PATIENCE: u32 = 8;

const SPEC: EchoSpec = EchoSpec {
    program: "tcp-echo-server-patience",
    server: true,
};

fn main() {
    impatient::main(&SPEC, PATIENCE);
}
