//! `wasi:sockets/udp-create-socket`'s table: the operations plans name, the resources it hands out and
//! what explore tries at each call, with the real condition, the reference and the WIT
//! clause. Its decorator is `wasi/udp_create_socket.rs`.

use super::Op;
use super::rows::*;
use crate::resources::Kind;

/// `wasi:sockets/udp-create-socket`'s operation.
pub(crate) const OPS: &[OpRow] = &[call(
    Op::UdpCreateSocket,
    "udp.create-socket",
    Kind::UdpSocket,
)];
