//! # wouldblock-guests
//!
//! The scenario programs of `guest/` (one per `guest/src/bin/*.rs`) and the guest's libtest
//! components, built for wasm32-wasip2 and embedded: wasmtime's
//! `crates/test-programs/artifacts` pattern. The build script runs a nested cargo on
//! `guest/` (its own workspace, its own target directory under this crate's `OUT_DIR`),
//! then generates:
//!
//! - one [`BundledGuest`] constant per program (`udp-send` is [`UDP_SEND`]) and [`ALL`];
//! - [`GUEST_UNIT_TESTS`] and [`GUEST_SUITE`], the paths of the libtest components;
//! - `foreach_*!` macros, each calling `$mac!(module)` once per member of its kind
//!   (`udp-send` is `udp_send`): [`foreach_guest!`] (every program), [`foreach_udp!`]
//!   (`udp-*` and `std-udp-*`), [`foreach_tcp!`] (`tcp-*`), [`foreach_http!`] (`http-*`),
//!   [`foreach_c!`] (the C
//!   programs, also in the kind their name gives) and [`foreach_suite!`]
//!   (`guest_unit_tests`, `guest_suite`). A test crate expands them with a macro that names
//!   a module per member, so a program without tests is a compile error there.
//!
//! The C programs (`guest/c/programs`: `tcp-c-server`, `udp-c-burst` and their naive
//! variants) are built by `guest/c/build.sh` with clang, not here: their components are
//! committed beside their sources with `guest/c/built-from.txt`, the hash of what they
//! were built from, and embedded as they are, so building this crate needs only rustup.
//! `tests/c_components.rs` fails when a C source, header or flag changed and the
//! components were not built again.
//!
//! `probe` is in `foreach_guest!` only: it probes the harness itself (environment, memory,
//! stack, output, socket limits) over both protocols, and is a scenario of neither. A new
//! program whose name fits no kind stops the build until it is given one.
//!
//! The build script reruns when a file that the nested cargo's dep-info (`.d` files) says
//! the guests were built from changes, and on `guest/Cargo.toml`, `guest/Cargo.lock`,
//! `guest/src/bin`, `guest/c` and `wit/`; nothing else rebuilds the guests.
//!
//! This crate depends on nothing: `wouldblock`'s demo and its tests depend on it, the
//! library does not.
//!
//! ```
//! assert_eq!(wouldblock_guests::UDP_SEND.name, "udp-send");
//! assert!(wouldblock_guests::ALL.iter().any(|g| g.name == "probe"));
//! ```

#![deny(missing_docs)]

/// A scenario program bundled into the harness.
#[derive(Debug, Clone, Copy)]
pub struct BundledGuest {
    /// The program's name, e.g. `udp-send`.
    pub name: &'static str,
    /// The one sentence that opens its source: what it asserts.
    pub summary: &'static str,
    /// Where the build script left the component file.
    pub path: &'static str,
    /// The component itself.
    pub wasm: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/guests.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    /// The module names a `foreach_*!` macro gives, in order.
    macro_rules! names {
        ($foreach:ident) => {{
            let mut names: Vec<&str> = Vec::new();
            macro_rules! push {
                ($module:ident) => {
                    names.push(stringify!($module));
                };
            }
            $foreach!(push);
            names
        }};
    }

    fn module(guest: &BundledGuest) -> String {
        guest.name.replace('-', "_")
    }

    #[test]
    fn foreach_guest_names_every_program_in_order() {
        let all: Vec<String> = ALL.iter().map(module).collect();
        assert_eq!(names!(foreach_guest), all);
    }

    #[test]
    fn every_program_but_probe_is_udp_tcp_or_http_by_its_name() {
        let udp = names!(foreach_udp);
        let tcp = names!(foreach_tcp);
        let http = names!(foreach_http);
        assert!(http.contains(&"http_echo_client"));
        assert!(udp.contains(&"udp_send") && udp.contains(&"std_udp_send"));
        assert!(tcp.contains(&"tcp_echo_server"));
        for guest in ALL {
            let module = module(guest);
            let kinds = (
                udp.contains(&&*module),
                tcp.contains(&&*module),
                http.contains(&&*module),
            );
            let expected = match guest.name {
                // The probes: of the harness itself, and the hostile ones of issue 31.
                name if name == "probe" || name.starts_with("probe-") => (false, false, false),
                name if name.starts_with("tcp-") => (false, true, false),
                name if name.starts_with("http-") => (false, false, true),
                _ => (true, false, false),
            };
            assert_eq!(kinds, expected, "{}", guest.name);
        }
        let probes = ALL.iter().filter(|g| g.name.starts_with("probe")).count();
        assert_eq!(probes, 4);
        assert_eq!(udp.len() + tcp.len() + http.len() + probes, ALL.len());
    }

    #[test]
    fn the_c_programs_are_bundled_from_guest_c() {
        let c = names!(foreach_c);
        assert_eq!(
            c,
            [
                "tcp_c_server",
                "tcp_c_server_naive",
                "tcp_c_server_patience",
                "udp_c_burst",
                "udp_c_burst_drop"
            ]
        );
        let all = names!(foreach_guest);
        for guest in ALL.iter().filter(|g| c.contains(&&*module(g))) {
            assert!(all.contains(&&*module(guest)), "{}", guest.name);
            let path = std::path::Path::new(guest.path);
            assert!(
                path.ends_with(format!("guest/c/{}.wasm", guest.name)),
                "{}",
                guest.path
            );
        }
        assert_eq!(TCP_C_SERVER_NAIVE.name, "tcp-c-server-naive");
    }

    #[test]
    fn the_bundled_files_are_the_embedded_ones() {
        for guest in ALL {
            let on_disk = std::fs::read(guest.path).expect("the component file is there");
            assert!(
                on_disk == guest.wasm,
                "{} differs from {}",
                guest.name,
                guest.path
            );
            assert!(!guest.summary.is_empty(), "{}", guest.name);
        }
        assert_eq!(names!(foreach_suite), ["guest_unit_tests", "guest_suite"]);
        for suite in [GUEST_UNIT_TESTS, GUEST_SUITE] {
            assert!(std::path::Path::new(suite).is_file(), "{suite}");
        }
    }
}
