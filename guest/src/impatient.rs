//! The naive echo servers' one loop (a C server that only worked under Valgrind, and the
//! seed's patience-counter "fix" of it): the first bytes of a connection are waited for
//! properly, then the server reads until `patience + 1` reads in a row return nothing,
//! takes that for the end of the stream, echoes what it has and closes. A request that
//! arrives in pieces further apart than that is cut short.

use std::io::{self, ErrorKind};
use std::time::Duration;

use crate::echo::{self, EchoSpec};
use crate::program::{self, describe};
use crate::tcp::TcpStream;

/// Serves `spec`'s connections, tolerating `patience` empty reads in a row (0: the first
/// one is taken for the end), and prints how many bytes it echoed.
pub fn main(spec: &EchoSpec, patience: u32) {
    let options = spec.parse_env();
    let listener = echo::listen(spec.program, &options);
    if let Err(err) = listener.set_accept_timeout(Some(options.timeout)) {
        program::fail(format_args!("set timeout: {}", describe(&err)));
    }
    let mut bytes = 0;
    for number in 1..=options.connections {
        let (stream, peer) = listener
            .accept()
            .unwrap_or_else(|err| program::fail(format_args!("accept: {}", describe(&err))));
        match serve(&stream, options.timeout, patience) {
            Ok(len) => bytes += len,
            Err(err) => program::fail(format_args!(
                "connection {number} from {peer}: {}",
                describe(&err)
            )),
        }
        // Closed here: streams first, then the socket.
        drop(stream);
    }
    println!(
        "{}: echoed {bytes} bytes on {} connection(s)",
        spec.program, options.connections
    );
}

/// Reads "everything", echoes it raw and flushes: the bytes echoed.
fn serve(stream: &TcpStream, timeout: Duration, patience: u32) -> io::Result<usize> {
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut chunk = vec![0u8; 65_536];
    let mut received = Vec::new();
    // The first bytes are waited for properly.
    let len = stream.read(&mut chunk)?;
    received.extend_from_slice(&chunk[..len]);
    if len > 0 {
        let mut empty = 0;
        loop {
            match stream.try_read(&mut chunk) {
                Ok(0) => break,
                Ok(len) => {
                    received.extend_from_slice(&chunk[..len]);
                    empty = 0;
                }
                // The bug under test: "nothing yet" taken for the end of the stream, as a
                // C loop that stops when recv() answers EAGAIN (after `patience` retries
                // at once, in the "fixed" version: still a guess about timing).
                Err(err) if err.kind() == ErrorKind::WouldBlock => {
                    empty += 1;
                    if empty > patience {
                        break;
                    }
                }
                Err(err) => return Err(err),
            }
        }
    }
    stream.write_all(&received)?;
    stream.flush()?;
    Ok(received.len())
}
