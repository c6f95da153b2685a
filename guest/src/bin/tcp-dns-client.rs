//! Asserts that a client finds its server by name: it looks `--name HOST` up readiness-driven (waiting on the lookup's pollable while the resolver has no answer, asking again after a back-off when it fails temporarily), connects to ADDR's port on each address in turn until one answers, and gets every framed message echoed byte-exactly.

use wouldblock_guest::echo::{self, EchoSpec};
use wouldblock_guest::program;

const SPEC: EchoSpec = EchoSpec {
    program: "tcp-dns-client",
    server: false,
};

fn main() {
    let options = SPEC.parse_env();
    if options.name.is_none() {
        eprintln!("error: missing --name HOST\n{SPEC}");
        program::exit(program::EXIT_USAGE);
    }
    let stream = echo::connect(&options);
    echo::echo_all(&stream, &options.sizes);
    echo::finish(&stream);
    echo::report_echoed("tcp-dns-client", &options.sizes);
}
