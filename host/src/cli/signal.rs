//! SIGINT and SIGTERM during `explore`, `test` and `run --repeat`: the first one sets the
//! harness's interrupt flag (no run starts after it, the running ones finish), the command
//! writes what finished, marked incomplete, and exits 130 (SIGINT) or 143 (SIGTERM), as a
//! shell reports a process ended by that signal. A second signal ends the process at once.

use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, OnceLock};

/// The status of a command stopped by SIGINT (128 + 2).
pub const EXIT_SIGINT: i32 = 130;
/// The status of a command stopped by SIGTERM (128 + 15).
pub const EXIT_SIGTERM: i32 = 143;

/// The flag the harness watches; set once, by the handler.
static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
/// The signal that set it (0: none yet).
static SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn handle(signal: nix::libc::c_int) {
    // Only what is async-signal-safe: atomics and write(2).
    SIGNAL.store(signal, Ordering::SeqCst);
    if let Some(flag) = FLAG.get() {
        flag.store(true, Ordering::SeqCst);
    }
    let note = b"\nwouldblock: interrupted: finishing the runs under way, then writing what \
        finished (again to stop at once)\n";
    // SAFETY: write(2) on stderr is async-signal-safe; the buffer is static.
    unsafe {
        nix::libc::write(2, note.as_ptr().cast(), note.len());
    }
}

/// Installs the handlers and returns the flag to hand the harness. A handler runs once
/// (`SA_RESETHAND`): the second signal gets the default action and ends the process.
pub fn install() -> Arc<AtomicBool> {
    let flag = FLAG.get_or_init(Arc::default).clone();
    let action = SigAction::new(
        SigHandler::Handler(handle),
        SaFlags::SA_RESETHAND | SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for signal in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only stores atomics and calls write(2). A failure leaves the
        // default action, which ends the process as before.
        let _ = unsafe { sigaction(signal, &action) };
    }
    flag
}

/// Files a plain run removes if a signal ends it (its outputs' temporary files): set once.
static DOOMED: OnceLock<Vec<std::ffi::CString>> = OnceLock::new();

extern "C" fn remove_and_end(signal: nix::libc::c_int) {
    // Only what is async-signal-safe: unlink(2), then the default action, again.
    for path in DOOMED.get().map_or(&[][..], Vec::as_slice) {
        // SAFETY: unlink(2) is async-signal-safe; the paths live for the process.
        unsafe {
            nix::libc::unlink(path.as_ptr());
        }
    }
    // SAFETY: the handler was installed with SA_RESETHAND: raising the signal again takes
    // the default action, which ends the process with that signal's status.
    unsafe {
        nix::libc::raise(signal);
    }
}

/// For a command that is not stopped gracefully (a plain `run`): a SIGINT or SIGTERM
/// removes `paths` (its outputs' temporary files) and ends the process as before.
pub fn remove_on_signal(paths: Vec<std::path::PathBuf>) {
    use std::os::unix::ffi::OsStrExt;
    let paths: Vec<_> = paths
        .into_iter()
        .filter_map(|p| std::ffi::CString::new(p.as_os_str().as_bytes()).ok())
        .collect();
    if paths.is_empty() || DOOMED.set(paths).is_err() {
        return;
    }
    let action = SigAction::new(
        SigHandler::Handler(remove_and_end),
        SaFlags::SA_RESETHAND | SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for signal in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only calls unlink(2) and raise(2).
        let _ = unsafe { sigaction(signal, &action) };
    }
}

/// The status to exit with when a signal stopped the command, and its name.
pub fn interrupted() -> Option<(i32, &'static str)> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s if s == Signal::SIGTERM as i32 => Some((EXIT_SIGTERM, "SIGTERM")),
        _ => Some((EXIT_SIGINT, "SIGINT")),
    }
}
