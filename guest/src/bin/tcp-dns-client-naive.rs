//! Reproduces the naive lookup: it asks for the first address at once after `resolve-addresses`, takes `would-block` (a resolver still working) or a temporary failure for a name that does not resolve, and connects to that first address only, so a slow resolver, one failed query or an answer with ::1 first fails it.

use std::net::SocketAddr;

use wasi::sockets::instance_network::instance_network;
use wasi::sockets::ip_name_lookup::resolve_addresses;
use wouldblock_guest::echo::{self, EchoSpec};
use wouldblock_guest::error::error_code_to_io;
use wouldblock_guest::lookup::from_wasi;
use wouldblock_guest::program::{self, describe};
use wouldblock_guest::tcp::TcpStream;

const SPEC: EchoSpec = EchoSpec {
    program: "tcp-dns-client-naive",
    server: false,
};

fn main() {
    let options = SPEC.parse_env();
    let Some(name) = options.name.clone() else {
        eprintln!("error: missing --name HOST\n{SPEC}");
        program::exit(program::EXIT_USAGE)
    };
    let fail = |err: std::io::Error| -> ! {
        program::fail(format_args!("lookup of {name}: {}", describe(&err)))
    };
    let stream = resolve_addresses(&instance_network(), &name)
        .unwrap_or_else(|code| fail(error_code_to_io(code)));
    // The bug under test: one call, no wait on the stream's pollable, and the first
    // address taken for the only one.
    let first = match stream.resolve_next_address() {
        Ok(Some(ip)) => from_wasi(ip),
        Ok(None) => fail(std::io::Error::other("no addresses")),
        Err(code) => fail(error_code_to_io(code)),
    };
    let to = SocketAddr::new(first, options.addr.port());
    let connected = TcpStream::connect_timeout(to, options.timeout)
        .unwrap_or_else(|err| program::fail(format_args!("connect {to}: {}", describe(&err))));
    let connected = echo::with_timeouts(connected, &options);
    echo::echo_all(&connected, &options.sizes);
    echo::finish(&connected);
    echo::report_echoed("tcp-dns-client-naive", &options.sizes);
}
