//! Why the harness could not load or run a component.

use crate::plan::PlanError;
use std::path::PathBuf;

/// Why the harness could not load or run a component. Guest failures are not errors:
/// they are [`Outcome`](crate::Outcome)s.
///
/// ```
/// use wouldblock::{Builder, Error};
/// let harness = Builder::new().build().unwrap();
/// let missing = harness.load("no-such.wasm".as_ref()).unwrap_err();
/// assert!(matches!(missing, Error::Missing { .. }));
/// let expected = "no-such.wasm: no such file (expected a wasm32-wasip2 component)";
/// assert_eq!(missing.to_string(), expected);
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The component file does not exist.
    #[error("{path}: no such file (expected a wasm32-wasip2 component)")]
    Missing {
        /// The path given.
        path: PathBuf,
    },
    /// The component path is not a regular file.
    #[error("{path}: is {what}, not a component file")]
    NotAFile {
        /// The path given.
        path: PathBuf,
        /// What it is instead, e.g. `a FIFO (named pipe)`.
        what: &'static str,
    },
    /// The component file is larger than the bound.
    #[error(
        "{path}: {size} bytes is more than the {max}-byte bound on a component \
         (raise it with --max-component-size MIB)"
    )]
    TooLarge {
        /// The path given.
        path: PathBuf,
        /// Its size, or how much of it was read.
        size: u64,
        /// The bound.
        max: u64,
    },
    /// The component file exists but cannot be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The path given.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The bytes are not WebAssembly at all.
    #[error("{name}: not a WebAssembly file (no `\\0asm` header)")]
    NotWasm {
        /// The component's name.
        name: String,
    },
    /// A core module where a component was expected.
    #[error(
        "{name}: is a core WebAssembly module, not a component; build it with \
         `cargo build --target wasm32-wasip2` (or wrap it with `wasm-tools component new`)"
    )]
    CoreModule {
        /// The component's name.
        name: String,
    },
    /// wasmtime rejected the component.
    #[error("{name}: cannot compile the component: {message}")]
    Compile {
        /// The component's name.
        name: String,
        /// wasmtime's message.
        message: String,
    },
    /// The component does not fit the `wasi:cli/command` world this harness provides.
    #[error("{name}: cannot instantiate as a wasi:cli command: {message}")]
    Instantiate {
        /// The component's name.
        name: String,
        /// wasmtime's message.
        message: String,
    },
    /// The plan is malformed.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A setting that cannot work, e.g. a memory bound of 0.
    #[error("--{setting}: {message}")]
    Invalid {
        /// The setting, as the command line spells it.
        setting: &'static str,
        /// Why.
        message: String,
    },
    /// More runs at once than the harness was built for: the harness's own limit, never
    /// the guest's verdict.
    #[error(
        "the harness's instance pool is full ({limit} runs at once): more runs were started \
         than it was built for (Builder::parallelism, --jobs, and one for the calling thread)"
    )]
    PoolFull {
        /// Runs at once the pool holds.
        limit: usize,
    },
    /// The engine or runtime could not be set up.
    #[error("cannot set up the harness: {0}")]
    Setup(String),
    /// One of the harness's own bounds or parts (its peers and clients) gave out during
    /// a run: its failure, never the guest's verdict.
    #[error("the harness's own limit, not the guest's verdict: {0}")]
    Harness(String),
}
