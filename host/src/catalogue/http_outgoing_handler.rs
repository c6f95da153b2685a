//! `wasi:http/outgoing-handler`'s table: the operations plans name, the resources it hands out and
//! what explore tries at each call, with the real condition, the reference and the WIT
//! clause. Its decorator is `wasi/http_outgoing_handler.rs`.

use super::Op;
use super::rows::*;
use crate::resources::Kind;

/// `wasi:http/outgoing-handler`'s operation. Explore tries nothing here: `handle` fails
/// only for a request the guest got wrong; a connection's errors come with the response.
pub(crate) const OPS: &[OpRow] = &[call(Op::HttpHandle, "http.handle", Kind::HttpResponse)];
