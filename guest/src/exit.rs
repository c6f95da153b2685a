//! Ending a program with a status the host sees as is.

use std::io::{self, Write};
use std::process;

/// The exit status of a program given bad arguments: sysexits' EX_USAGE, not 2,
/// which is the harness's own status for bad input.
pub const EXIT_USAGE: u8 = 64;

/// Exits with `code`, which reaches the host as is.
///
/// Uses `wasi:cli/exit.exit-with-code`: std's `process::exit` goes through
/// `exit(result)`, which the host reports as 1 for every non-zero code.
pub fn exit(code: u8) -> ! {
    // Nothing runs after exit-with-code, so flush what std still buffers.
    let _ = io::stdout().flush();
    let _ = io::stderr().flush();
    crate::bindings::wasi::cli::exit::exit_with_code(code);
    // Not reached on a host that implements exit-with-code.
    process::exit(i32::from(code))
}
