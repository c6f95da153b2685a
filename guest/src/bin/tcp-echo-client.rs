//! Asserts that every framed message sent gets its echo back byte-exactly over one connection, reading with blocking reads that take an empty read for "nothing yet" and only a closed stream for the end, then half-closes and sees the server close.

use wouldblock_guest::echo::{self, EchoSpec, message_frame};
use wouldblock_guest::program::{self, describe};

const SPEC: EchoSpec = EchoSpec {
    program: "tcp-echo-client",
    server: false,
};

fn main() {
    let options = SPEC.parse_env();
    let stream = echo::connect(&options);
    let count = options.sizes.len();
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
        let mut echo = vec![0u8; frame.len()];
        let mut filled = 0;
        while filled < echo.len() {
            match stream.read(&mut echo[filled..]) {
                // Only a closed stream is the end; an empty read waited.
                Ok(0) => fail(format!(
                    "connection closed after {filled} of {} bytes",
                    echo.len()
                )),
                Ok(len) => filled += len,
                Err(err) => fail(format!(
                    "read after {filled} of {} bytes: {}",
                    echo.len(),
                    describe(&err)
                )),
            }
        }
        if let Some(mismatch) = echo::echo_mismatch(&frame, &echo) {
            fail(mismatch);
        }
    }
    echo::finish(&stream);
    echo::report_echoed("tcp-echo-client", &options.sizes);
}
