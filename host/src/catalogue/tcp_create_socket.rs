//! `wasi:sockets/tcp-create-socket`'s table: the operations plans name, the resources it hands out and
//! what explore tries at each call, with the real condition, the reference and the WIT
//! clause. Its decorator is `wasi/tcp_create_socket.rs`.

use super::Op;
use super::rows::*;
use crate::resources::Kind;

/// `wasi:sockets/tcp-create-socket`'s operation.
pub(crate) const OPS: &[OpRow] = &[call(
    Op::TcpCreateSocket,
    "tcp.create-socket",
    Kind::TcpSocket,
)];
