//! The guest's own stack where a run was stopped or panicked, from the backtrace wasmtime
//! captures with every trap (function names from the component's name section), and the
//! code a finding is attributed to: the innermost frame outside the runtime (std, core,
//! alloc, wasi-libc, the WASI bindings), or the place the guest panicked at.

/// The most frames read of a stack: enough to get out of std's and wasi-libc's own.
const FRAMES: usize = 128;

/// The guest's stack at `error`, innermost first, demangled; empty when wasmtime captured
/// none (a guest's own exit).
pub(crate) fn stack_of(error: &wasmtime::Error) -> Vec<String> {
    let Some(trace) = error.downcast_ref::<wasmtime::WasmBacktrace>() else {
        return Vec::new();
    };
    let frames = trace.frames().iter().take(FRAMES);
    frames
        .map(|frame| match frame.func_name() {
            Some(name) => format!("{:#}", rustc_demangle::demangle(name)),
            None => format!("function #{}", frame.func_index()),
        })
        .collect()
}

/// Whether `frame` is the runtime's, not the program's: Rust's standard library and its
/// panic machinery, wasi-libc and the C runtime (unmangled names), the WASI bindings.
fn runtime(frame: &str) -> bool {
    let path = path_of(frame);
    let crates = [
        "std::",
        "core::",
        "alloc::",
        "panic_abort::",
        "panic_unwind::",
        "wasi::",
        "wasip2::",
        "wit_bindgen",
        "__rust",
        "rust_begin_unwind",
        "rust_panic",
        "function #",
    ];
    crates.iter().any(|c| path.starts_with(c)) || !frame.contains("::")
}

/// The crate of a demangled frame: the first segment of its path (of the type in
/// `<Type as Trait>::f`).
fn crate_of(frame: &str) -> &str {
    let path = path_of(frame);
    path.split("::").next().unwrap_or(path)
}

/// A frame's path without what comes before its first segment: `<&mut mio::X as ...`
/// is `mio::X as ...`.
fn path_of(frame: &str) -> &str {
    let path = frame.trim_start_matches(['<', '&']);
    path.strip_prefix("mut ")
        .unwrap_or(path)
        .trim_start_matches(['<', '&'])
}

/// The crate a panic location is in: `name version` for a dependency in cargo's registry
/// (`.../mio-1.2.5/src/net/udp.rs:35:9`), `std` for Rust's own sources, `None` for a path
/// of the user's workspace.
fn crate_of_place(place: &str) -> Option<String> {
    if place.starts_with("/rustc/") || place.contains("/library/std/") {
        return Some("std".into());
    }
    let (_, rest) = place.split_once("/registry/src/")?;
    let dir = rest.split('/').nth(1)?;
    let (name, version) = dir.rsplit_once('-')?;
    Some(format!("{name} {version}"))
}

/// The code a finding is attributed to, in words: the place the guest panicked at when
/// it is outside std ("your code (tests/udp.rs:35:9)", "mio 1.2.5 (src/net/udp.rs:...)"),
/// else the innermost frame of `stack` outside the runtime ("mio (mio::net::UdpSocket::
/// send_to)"), else "std / wasi-libc" when the runtime alone was on the stack; `None`
/// when the stack has no names (a stripped component) and the guest did not panic.
///
/// ```
/// use wouldblock::explore::attribute;
/// let stack = ["core::panicking::panic_fmt", "suite::sends::{{closure}}", "std::rt::lang_start"];
/// let stack: Vec<String> = stack.iter().map(|s| s.to_string()).collect();
/// assert_eq!(attribute(&stack, Some("tests/suite.rs:61:25")).unwrap(), "your code (tests/suite.rs:61:25)");
/// assert_eq!(attribute(&stack, None).unwrap(), "suite (suite::sends::{{closure}})");
/// ```
pub fn attribute(stack: &[String], place: Option<&str>) -> Option<String> {
    if let Some(place) = place {
        match crate_of_place(place) {
            None => return Some(format!("your code ({place})")),
            Some(krate) if krate != "std" => {
                let file = place.split_once("/src/").map_or(place, |(_, f)| f);
                return Some(format!("{krate} (src/{file})"));
            }
            Some(_) => {}
        }
    }
    // A component without a name section (a stripped release build) tells nothing.
    if stack.iter().all(|frame| frame.starts_with("function #")) {
        return None;
    }
    Some(match stack.iter().find(|frame| !runtime(frame)) {
        Some(frame) => format!("{} ({frame})", crate_of(frame)),
        None => "std / wasi-libc (the fault is handled below the program)".into(),
    })
}

/// The program's own frames of `stack` (the runtime's left out), innermost first: where
/// the code a finding is attributed to was called from.
///
/// ```
/// use wouldblock::explore::program_frames;
/// let stack = ["std::net::udp::UdpSocket::send_to", "mio::net::udp::UdpSocket::send_to", "suite::main"];
/// let stack: Vec<String> = stack.iter().map(|s| s.to_string()).collect();
/// assert_eq!(program_frames(&stack), ["mio::net::udp::UdpSocket::send_to", "suite::main"]);
/// ```
pub fn program_frames(stack: &[String]) -> Vec<&str> {
    let own = stack.iter().filter(|frame| !runtime(frame));
    own.map(String::as_str).collect()
}
