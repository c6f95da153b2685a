//! Pieces shared by the HTTP echo programs: their arguments, the request bodies and the
//! check of every echoed byte. Body `i` of `S` bytes is [`echo::message_payload`]`(i, S)`,
//! the TCP echo programs' payload, so the host's checks are the same.

use crate::args::UsageError;
use crate::echo;
use crate::program::{EXIT_USAGE, exit, fail};

/// Parsed arguments of an HTTP echo client: `URL --sizes S[,S...]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpOptions {
    /// Where every request goes (`{http-echo}` in the harness: `http://127.0.0.1:PORT`).
    pub url: String,
    /// The request bodies' sizes, one request each, in order.
    pub sizes: Vec<usize>,
}

/// Parses `args` (without the program name).
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<HttpOptions, UsageError> {
    let (mut url, mut sizes) = (None, None);
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--sizes" => {
                let value = args
                    .next()
                    .ok_or_else(|| UsageError("--sizes needs a value".into()))?;
                let parsed: Result<Vec<usize>, _> = value.split(',').map(str::parse).collect();
                sizes = Some(parsed.map_err(|_| UsageError(format!("invalid --sizes `{value}`")))?);
            }
            _ if arg.starts_with('-') => return Err(UsageError(format!("unknown flag `{arg}`"))),
            _ if url.is_some() => return Err(UsageError(format!("unexpected `{arg}`"))),
            _ => url = Some(arg),
        }
    }
    Ok(HttpOptions {
        url: url.ok_or_else(|| UsageError("missing URL".into()))?,
        sizes: sizes.ok_or_else(|| UsageError("missing --sizes".into()))?,
    })
}

/// The process's arguments, parsed; a usage error exits 64 with the usage line.
pub fn parse_env(program: &str) -> HttpOptions {
    parse(std::env::args().skip(1)).unwrap_or_else(|UsageError(why)| {
        eprintln!("{program}: {why}\nusage: {program} URL --sizes S[,S...]");
        exit(EXIT_USAGE)
    })
}

/// The body of request `index` of `size` bytes.
pub fn body(index: usize, size: usize) -> Vec<u8> {
    echo::message_payload(index, size)
}

/// Checks the echo of request `index`; a short or wrong echo exits 1 saying so.
pub fn check_echo(index: usize, sent: &[u8], got: &[u8]) {
    if got.len() < sent.len() {
        fail(format_args!(
            "echo short: request {index} got {} of {} bytes back",
            got.len(),
            sent.len()
        ));
    }
    if let Some(at) =
        echo::first_difference(sent, got).or((got.len() > sent.len()).then_some(sent.len()))
    {
        fail(format_args!("echo of request {index} differs at byte {at}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn parses_a_url_and_sizes() {
        let options = parse(args(&["http://127.0.0.1:9", "--sizes", "1,1024"])).unwrap();
        assert_eq!(options.url, "http://127.0.0.1:9");
        assert_eq!(options.sizes, [1, 1024]);
        assert!(parse(args(&["--sizes", "1"])).is_err());
        assert!(parse(args(&["u", "--sizes", "x"])).is_err());
    }
}
