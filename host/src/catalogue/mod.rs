//! The fault catalogue, at the bottom of the crate: the vocabulary every layer above shares
//! and the tables that give it meaning. Nothing here imports the plan, the decorators or
//! explore; they all read it.
//!
//! - the vocabulary: the operations ([`Op`], `op.rs`), the answers a rule gives and the
//!   readiness after them ([`Action`], [`Readiness`], `answer.rs`), the WASI error codes by
//!   name (`error_codes.rs`), and the faults explore tries ([`Fault`], [`Tier`], [`Tried`],
//!   `fault.rs`);
//! - the tables: one file per WIT interface (`udp.rs`, `udp_create_socket.rs`, `tcp.rs`,
//!   `tcp_create_socket.rs`, `streams.rs`, `ip_name_lookup.rs`, `http_outgoing_handler.rs`,
//!   `http_types.rs`), each with its operations, its resource kinds and what explore tries
//!   at each call, in the row shapes of `rows.rs`;
//! - the lookups (`lookup.rs`): `Op::name`, `Op::kind`, `Kind::label`, ... answered from
//!   the tables, never from a list of their own.
//!
//! A new interface (WASI 0.3's sockets, say) is a table file here and its decorator; the
//! plan's parser, the registry, explore and the guide's tables (docs/) pick its rows up.

mod answer;
mod error_codes;
mod fault;
mod lookup;
mod op;
mod rows;

mod http_outgoing_handler;
mod http_types;
mod ip_name_lookup;
mod streams;
mod tcp;
mod tcp_create_socket;
mod udp;
mod udp_create_socket;

pub(crate) use answer::transient;
pub use answer::{Action, Readiness};
#[cfg(test)]
pub(crate) use error_codes::ERROR_CODES;
pub(crate) use error_codes::{error_code_from_name, error_code_name, error_code_names};
pub use fault::{Fault, Tier, Tried};
pub(crate) use op::NotReady;
pub use op::Op;
