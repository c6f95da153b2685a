//! Asserts that every framed message sent gets its echo back byte-exactly over one connection, reading with blocking reads that take an empty read for "nothing yet" and only a closed stream for the end, then half-closes and sees the server close.

use wouldblock_guest::echo::{self, EchoSpec};

const SPEC: EchoSpec = EchoSpec {
    program: "tcp-echo-client",
    server: false,
};

fn main() {
    let options = SPEC.parse_env();
    let stream = echo::connect(&options);
    echo::echo_all(&stream, &options.sizes);
    echo::finish(&stream);
    echo::report_echoed("tcp-echo-client", &options.sizes);
}
