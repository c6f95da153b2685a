//! wouldblock's race tests, in one binary (one link of wasmtime): one module per bundled
//! guest program, each repeating its runs [`wouldblock_tests::RUNS`] times against real
//! sockets on 127.0.0.1.

mod completeness;
mod corpus;
mod explore;
mod http_echo_client;
mod http_echo_client_naive;
mod http_echo_server;
mod http_echo_server_naive;
mod probe;
mod probe_http;
mod probe_http_server;
mod probe_libtest;
mod relay;
mod std_udp_send;
mod suite_explore;
mod suite_shared;
mod tcp_c_server;
mod tcp_c_server_naive;
mod tcp_c_server_patience;
mod tcp_dns_client;
mod tcp_dns_client_naive;
mod tcp_echo_client;
mod tcp_echo_client_naive;
mod tcp_echo_server;
mod tcp_echo_server_naive;
mod tcp_echo_server_patience;
mod udp_burst;
mod udp_burst_drop;
mod udp_burst_spin;
mod udp_burst_stdin;
mod udp_burst_wait;
mod udp_c_burst;
mod udp_c_burst_drop;
mod udp_request;
mod udp_request_naive;
mod udp_send;
mod udp_send_ignore_count;
mod udp_send_naive;
mod udp_send_spin;
mod udp_send_unpermitted;

/// Names the test module of every bundled program: a program without one is a compile
/// error here (wasmtime's `foreach_*!` pattern).
macro_rules! assert_guest_has_tests {
    ($module:ident) => {
        #[allow(unused_imports)]
        use self::$module as _;
    };
}
wouldblock_guests::foreach_guest!(assert_guest_has_tests);
// The C programs are in foreach_guest! too; named here so that stays so.
wouldblock_guests::foreach_c!(assert_guest_has_tests);
