//! Mapping of WASI `wasi:sockets/network.error-code`, and of the failures of
//! `wasi:io/streams`, onto [`std::io::Error`].

use std::io;

pub use wasi::sockets::network::ErrorCode;

/// Converts a WASI socket `error-code` into the closest [`io::ErrorKind`].
///
/// The message names the WASI code (e.g. `"wasi error-code out-of-memory"`),
/// because several codes share a kind and the exact code is what a fault
/// report needs. Notable choices:
///
/// - `out-of-memory` → [`io::ErrorKind::OutOfMemory`]: this is how wasmtime
///   reports ENOBUFS on send, which callers must treat as "back off", not as
///   fatal.
/// - `would-block` → [`io::ErrorKind::WouldBlock`], even from calls whose WIT
///   text says they never return it: legacy hosts still do.
/// - `invalid-state` → [`io::ErrorKind::InvalidInput`]; callers that know it
///   means "not connected" (`remote-address`) refine it to
///   [`io::ErrorKind::NotConnected`].
/// - `datagram-too-large` → [`io::ErrorKind::InvalidInput`], as for an
///   oversized argument (EMSGSIZE is not a file-size limit).
pub fn error_code_to_io(code: ErrorCode) -> io::Error {
    use io::ErrorKind as K;

    // Exhaustive on purpose: a new WASI code must be mapped deliberately.
    let kind = match code {
        ErrorCode::Unknown => K::Other,
        ErrorCode::AccessDenied => K::PermissionDenied,
        ErrorCode::NotSupported => K::Unsupported,
        ErrorCode::InvalidArgument => K::InvalidInput,
        ErrorCode::OutOfMemory => K::OutOfMemory,
        ErrorCode::Timeout => K::TimedOut,
        ErrorCode::ConcurrencyConflict => K::ResourceBusy,
        ErrorCode::NotInProgress => K::InvalidInput,
        ErrorCode::WouldBlock => K::WouldBlock,
        ErrorCode::InvalidState => K::InvalidInput,
        // EMFILE/ENFILE: std has no public kind for descriptor exhaustion.
        ErrorCode::NewSocketLimit => K::Other,
        ErrorCode::AddressNotBindable => K::AddrNotAvailable,
        ErrorCode::AddressInUse => K::AddrInUse,
        ErrorCode::RemoteUnreachable => K::HostUnreachable,
        ErrorCode::ConnectionRefused => K::ConnectionRefused,
        ErrorCode::ConnectionReset => K::ConnectionReset,
        ErrorCode::ConnectionAborted => K::ConnectionAborted,
        ErrorCode::DatagramTooLarge => K::InvalidInput,
        ErrorCode::NameUnresolvable
        | ErrorCode::TemporaryResolverFailure
        | ErrorCode::PermanentResolverFailure => K::Other,
    };
    io::Error::new(kind, format!("wasi error-code {}", code.name()))
}

/// Converts the `error` of a `stream-error::last-operation-failed` (a TCP
/// stream's read, write or flush failing) into an [`io::Error`].
///
/// The downcast `wasi:sockets/network.network-error-code` is
/// `@unstable(feature = network-error-code)`: the `wasi` crate does not bind
/// it and wasmtime-wasi does not link it by default, so the kind is read from
/// `to-debug-string` by [`stream_failure_kind`] instead, falling back to
/// [`io::ErrorKind::Other`]. The message keeps the host's text on one line:
/// `"wasi stream-error last-operation-failed: Connection reset by peer (os
/// error 104)"`.
pub fn stream_failure_to_io(error: &wasi::io::error::Error) -> io::Error {
    // WIT (wasi:io/error): "The returned string should not be consumed
    // mechanically!" Only the kind depends on it; nothing else does.
    let text = error.to_debug_string();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    io::Error::new(
        stream_failure_kind(&text),
        format!("wasi stream-error last-operation-failed: {text}"),
    )
}

/// The [`io::ErrorKind`] a stream failure's debug string names, whatever its
/// spelling: the OS text (`Connection reset by peer`), a WASI code
/// (`connection-reset`) or a Rust kind (`ConnectionReset`). Unrecognised
/// text is [`io::ErrorKind::Other`].
pub fn stream_failure_kind(debug: &str) -> io::ErrorKind {
    use io::ErrorKind as K;

    // Case, spaces, dashes and underscores do not matter.
    let folded: String = debug
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    const NAMES: [(&str, K); 9] = [
        ("connectionreset", K::ConnectionReset),
        ("connectionaborted", K::ConnectionAborted),
        ("connectionrefused", K::ConnectionRefused),
        ("brokenpipe", K::BrokenPipe),
        ("notconnected", K::NotConnected),
        ("timedout", K::TimedOut),
        ("timeout", K::TimedOut),
        ("unreachable", K::HostUnreachable),
        ("outofmemory", K::OutOfMemory),
    ];
    NAMES
        .iter()
        .find(|(name, _)| folded.contains(name))
        .map_or(K::Other, |&(_, kind)| kind)
}

#[cfg(test)]
mod tests {
    use super::{ErrorCode, error_code_to_io};
    use std::io::ErrorKind as K;

    /// Every WASI `error-code`, with its WIT name and expected kind, in WIT
    /// declaration order.
    const ALL: [(ErrorCode, &str, K); 21] = [
        (ErrorCode::Unknown, "unknown", K::Other),
        (
            ErrorCode::AccessDenied,
            "access-denied",
            K::PermissionDenied,
        ),
        (ErrorCode::NotSupported, "not-supported", K::Unsupported),
        (
            ErrorCode::InvalidArgument,
            "invalid-argument",
            K::InvalidInput,
        ),
        (ErrorCode::OutOfMemory, "out-of-memory", K::OutOfMemory),
        (ErrorCode::Timeout, "timeout", K::TimedOut),
        (
            ErrorCode::ConcurrencyConflict,
            "concurrency-conflict",
            K::ResourceBusy,
        ),
        (ErrorCode::NotInProgress, "not-in-progress", K::InvalidInput),
        (ErrorCode::WouldBlock, "would-block", K::WouldBlock),
        (ErrorCode::InvalidState, "invalid-state", K::InvalidInput),
        (ErrorCode::NewSocketLimit, "new-socket-limit", K::Other),
        (
            ErrorCode::AddressNotBindable,
            "address-not-bindable",
            K::AddrNotAvailable,
        ),
        (ErrorCode::AddressInUse, "address-in-use", K::AddrInUse),
        (
            ErrorCode::RemoteUnreachable,
            "remote-unreachable",
            K::HostUnreachable,
        ),
        (
            ErrorCode::ConnectionRefused,
            "connection-refused",
            K::ConnectionRefused,
        ),
        (
            ErrorCode::ConnectionReset,
            "connection-reset",
            K::ConnectionReset,
        ),
        (
            ErrorCode::ConnectionAborted,
            "connection-aborted",
            K::ConnectionAborted,
        ),
        (
            ErrorCode::DatagramTooLarge,
            "datagram-too-large",
            K::InvalidInput,
        ),
        (ErrorCode::NameUnresolvable, "name-unresolvable", K::Other),
        (
            ErrorCode::TemporaryResolverFailure,
            "temporary-resolver-failure",
            K::Other,
        ),
        (
            ErrorCode::PermanentResolverFailure,
            "permanent-resolver-failure",
            K::Other,
        ),
    ];

    /// Fails to compile when the WIT grows a code, so `ALL` cannot silently
    /// fall behind the enum.
    fn declared_index(code: ErrorCode) -> usize {
        match code {
            ErrorCode::Unknown => 0,
            ErrorCode::AccessDenied => 1,
            ErrorCode::NotSupported => 2,
            ErrorCode::InvalidArgument => 3,
            ErrorCode::OutOfMemory => 4,
            ErrorCode::Timeout => 5,
            ErrorCode::ConcurrencyConflict => 6,
            ErrorCode::NotInProgress => 7,
            ErrorCode::WouldBlock => 8,
            ErrorCode::InvalidState => 9,
            ErrorCode::NewSocketLimit => 10,
            ErrorCode::AddressNotBindable => 11,
            ErrorCode::AddressInUse => 12,
            ErrorCode::RemoteUnreachable => 13,
            ErrorCode::ConnectionRefused => 14,
            ErrorCode::ConnectionReset => 15,
            ErrorCode::ConnectionAborted => 16,
            ErrorCode::DatagramTooLarge => 17,
            ErrorCode::NameUnresolvable => 18,
            ErrorCode::TemporaryResolverFailure => 19,
            ErrorCode::PermanentResolverFailure => 20,
        }
    }

    #[test]
    fn table_covers_every_code_once() {
        for (position, (code, _, _)) in ALL.iter().enumerate() {
            assert_eq!(declared_index(*code), position, "{code:?}");
            // The discriminant is the WIT case index on the canonical ABI.
            assert_eq!(*code as usize, position, "{code:?}");
        }
    }

    #[test]
    fn every_code_maps_to_its_kind_and_names_itself() {
        for (code, name, kind) in ALL {
            let err = error_code_to_io(code);
            assert_eq!(err.kind(), kind, "kind of {name}");
            assert_eq!(err.to_string(), format!("wasi error-code {name}"));
        }
    }

    #[test]
    fn stream_failures_are_read_in_any_spelling() {
        use super::stream_failure_kind as kind;
        assert_eq!(
            kind("Connection reset by peer (os error 104)"),
            K::ConnectionReset
        );
        assert_eq!(kind("connection-reset"), K::ConnectionReset);
        assert_eq!(kind("Kind(ConnectionReset)"), K::ConnectionReset);
        assert_eq!(kind("Broken pipe (os error 32)"), K::BrokenPipe);
        assert_eq!(kind("connection-aborted"), K::ConnectionAborted);
        assert_eq!(kind("timeout"), K::TimedOut);
        assert_eq!(kind("something else"), K::Other);
    }

    #[test]
    fn enobufs_is_out_of_memory_not_would_block() {
        // The blocking send path tells "wait for readiness" from "back off"
        // by this kind alone.
        assert_eq!(
            error_code_to_io(ErrorCode::OutOfMemory).kind(),
            K::OutOfMemory
        );
        assert_ne!(
            error_code_to_io(ErrorCode::OutOfMemory).kind(),
            K::WouldBlock
        );
    }
}
