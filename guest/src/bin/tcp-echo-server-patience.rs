//! Reproduces the seed's "fix" of the naive echo server: a patience counter that tolerates up to 8 empty reads in a row before it takes the next one for the end of the stream, still a guess about timing, so a request whose next part takes longer than 8 reads to arrive is cut short.

use std::io::{self, ErrorKind};

use wouldblock_guest::echo::{self, EchoSpec};
use wouldblock_guest::program::{self, describe};
use wouldblock_guest::tcp::TcpStream;

/// Empty reads in a row tolerated before the next is taken for the end.
const PATIENCE: u32 = 8;

const SPEC: EchoSpec = EchoSpec {
    program: "tcp-echo-server-patience",
    server: true,
};

fn main() {
    let options = SPEC.parse_env();
    let listener = echo::listen("tcp-echo-server-patience", &options);
    if let Err(err) = listener.set_accept_timeout(Some(options.timeout)) {
        program::fail(format_args!("set timeout: {}", describe(&err)));
    }
    let mut bytes = 0;
    for number in 1..=options.connections {
        let (stream, peer) = listener
            .accept()
            .unwrap_or_else(|err| program::fail(format_args!("accept: {}", describe(&err))));
        match serve(&stream, &options.timeout) {
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
        "tcp-echo-server-patience: echoed {bytes} bytes on {} connection(s)",
        options.connections
    );
}

/// Reads "everything", echoes it raw and flushes: the bytes echoed.
fn serve(stream: &TcpStream, timeout: &std::time::Duration) -> io::Result<usize> {
    stream.set_read_timeout(Some(*timeout))?;
    stream.set_write_timeout(Some(*timeout))?;
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
                // The bug under test, "fixed": a few empty reads in a row are
                // tolerated (retried at once), then "nothing yet" is still taken
                // for the end of the stream.
                Err(err) if err.kind() == ErrorKind::WouldBlock => {
                    empty += 1;
                    if empty > PATIENCE {
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
