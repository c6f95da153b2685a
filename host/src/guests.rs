//! The scenario programs of `guest/`, built for wasm32-wasip2 by this crate's build script
//! and embedded, one constant per program.

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
