//! The WASI 0.2 `error-code`s by their WIT names, for plans (`action = "out-of-memory"`)
//! and traces (`error(out-of-memory)`).

use wasmtime_wasi::p2::bindings::sockets::network::ErrorCode;

/// Every WASI 0.2 `error-code`, with its WIT name.
pub(crate) const ERROR_CODES: [(&str, ErrorCode); 21] = [
    ("unknown", ErrorCode::Unknown),
    ("access-denied", ErrorCode::AccessDenied),
    ("not-supported", ErrorCode::NotSupported),
    ("invalid-argument", ErrorCode::InvalidArgument),
    ("out-of-memory", ErrorCode::OutOfMemory),
    ("timeout", ErrorCode::Timeout),
    ("concurrency-conflict", ErrorCode::ConcurrencyConflict),
    ("not-in-progress", ErrorCode::NotInProgress),
    ("would-block", ErrorCode::WouldBlock),
    ("invalid-state", ErrorCode::InvalidState),
    ("new-socket-limit", ErrorCode::NewSocketLimit),
    ("address-not-bindable", ErrorCode::AddressNotBindable),
    ("address-in-use", ErrorCode::AddressInUse),
    ("remote-unreachable", ErrorCode::RemoteUnreachable),
    ("connection-refused", ErrorCode::ConnectionRefused),
    ("connection-reset", ErrorCode::ConnectionReset),
    ("connection-aborted", ErrorCode::ConnectionAborted),
    ("datagram-too-large", ErrorCode::DatagramTooLarge),
    ("name-unresolvable", ErrorCode::NameUnresolvable),
    (
        "temporary-resolver-failure",
        ErrorCode::TemporaryResolverFailure,
    ),
    (
        "permanent-resolver-failure",
        ErrorCode::PermanentResolverFailure,
    ),
];

/// The WIT name of an error code, e.g. `would-block`.
pub(crate) fn error_code_name(code: ErrorCode) -> &'static str {
    ERROR_CODES
        .iter()
        .find(|(_, c)| *c == code)
        .map_or("unknown", |(name, _)| name)
}

/// The error code with this WIT name.
pub(crate) fn error_code_from_name(name: &str) -> Option<ErrorCode> {
    ERROR_CODES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, c)| *c)
}

/// The known names, comma-separated, for error messages.
pub(crate) fn error_code_names() -> String {
    ERROR_CODES
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}
