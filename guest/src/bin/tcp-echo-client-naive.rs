//! Reproduces the naive echo client: after one proper wait for the first bytes of an echo it reads until a read returns nothing, takes that empty read for the end of the echo, and so reports the echo short whenever it arrives in pieces.

use std::io::ErrorKind;

use wouldblock_guest::echo::{self, EchoSpec, message_frame};
use wouldblock_guest::program::{self, describe};

const SPEC: EchoSpec = EchoSpec {
    program: "tcp-echo-client-naive",
    server: false,
};

fn main() {
    let options = SPEC.parse_env();
    let stream = echo::connect(&options);
    let count = options.sizes.len();
    let mut chunk = vec![0u8; 65_536];
    for (index, &size) in options.sizes.iter().enumerate() {
        let fail = |what: String| -> ! {
            program::fail(format_args!(
                "message {index} of {count} ({size} bytes): {what}"
            ))
        };
        let frame = message_frame(index, size);
        if let Err(err) = stream.write_all(&frame).and_then(|()| stream.flush()) {
            fail(format!("write: {}", describe(&err)));
        }
        let mut echo = Vec::with_capacity(frame.len());
        // One proper wait, for the first bytes only.
        match stream.read(&mut chunk) {
            Ok(len) => echo.extend_from_slice(&chunk[..len]),
            Err(err) => fail(format!("read: {}", describe(&err))),
        }
        while echo.len() < frame.len() {
            match stream.try_read(&mut chunk) {
                Ok(0) => break,
                Ok(len) => echo.extend_from_slice(&chunk[..len]),
                // The bug under test: an empty read means "nothing yet", but
                // is taken for the end of the echo.
                Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                Err(err) => fail(format!(
                    "read after {} of {} bytes: {}",
                    echo.len(),
                    frame.len(),
                    describe(&err)
                )),
            }
        }
        if echo.len() < frame.len() {
            fail(format!(
                "echo short: got {} of {} bytes before an empty read",
                echo.len(),
                frame.len()
            ));
        }
        if let Some(mismatch) = echo::echo_mismatch(&frame, &echo) {
            fail(mismatch);
        }
    }
    echo::finish(&stream);
    echo::report_echoed("tcp-echo-client-naive", &options.sizes);
}
