//! Hand-rolled argument parsing for the scenario programs:
//! `PROGRAM ADDR [--count N] [--timeout-ms T]`.
//!
//! Usage errors name the offending argument and exit with code 64, keeping
//! them apart from scenario failures (exit code 1).

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use crate::exit;

/// Whether a program takes an option, and its default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    /// The option is rejected.
    Absent,
    /// The option may be given; this is its value otherwise.
    Default(u64),
    /// The option must be given.
    Required,
}

/// What one program accepts.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Program name, for the usage line.
    pub program: &'static str,
    /// `--count N`: how many datagrams or requests.
    pub count: Flag,
    /// `--timeout-ms T`: the socket timeout in milliseconds (at least 1).
    pub timeout_ms: Flag,
}

/// Parsed arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// The peer, `IP:PORT` (`[IPv6]:PORT` for IPv6).
    pub addr: SocketAddr,
    /// `--count`, or its default; 1 when the program takes no `--count`.
    pub count: u64,
    /// `--timeout-ms`, or its default; `None` when the program takes none.
    pub timeout: Option<Duration>,
}

/// A usage error, naming the bad argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

impl Spec {
    /// The usage line, e.g. `usage: udp-send ADDR [--count N] [--timeout-ms T]`.
    pub fn usage(&self) -> String {
        let mut usage = format!("usage: {} ADDR", self.program);
        for (flag, text) in [
            (self.count, "--count N"),
            (self.timeout_ms, "--timeout-ms T"),
        ] {
            match flag {
                Flag::Absent => {}
                Flag::Default(_) => usage += &format!(" [{text}]"),
                Flag::Required => usage += &format!(" {text}"),
            }
        }
        usage
    }

    /// Parses `args` (without the program name).
    pub fn parse<I>(&self, args: I) -> Result<Options, UsageError>
    where
        I: IntoIterator<Item = String>,
    {
        let mut addr = None;
        let mut count = None;
        let mut timeout_ms = None;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            // Accept both `--count N` and `--count=N`.
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) if name.starts_with("--") => (name, Some(value.to_owned())),
                _ => (arg.as_str(), None),
            };
            let (slot, flag) = match name {
                "--count" => (&mut count, self.count),
                "--timeout-ms" => (&mut timeout_ms, self.timeout_ms),
                _ if arg.starts_with('-') => {
                    return Err(UsageError(format!("unknown option `{arg}`")));
                }
                _ if addr.is_some() => {
                    return Err(UsageError(format!("unexpected extra argument `{arg}`")));
                }
                _ => {
                    addr = Some(parse_addr(&arg)?);
                    continue;
                }
            };
            if flag == Flag::Absent {
                return Err(UsageError(format!("{name} is not accepted here")));
            }
            let value = inline
                .or_else(|| args.next())
                .ok_or_else(|| UsageError(format!("{name} needs a value")))?;
            *slot = Some(parse_number(name, &value)?);
        }

        let addr = addr.ok_or_else(|| UsageError("missing ADDR (IP:PORT)".into()))?;
        let count = resolve("--count", self.count, count)?.unwrap_or(1);
        let timeout_ms = resolve("--timeout-ms", self.timeout_ms, timeout_ms)?;
        if timeout_ms == Some(0) {
            return Err(UsageError("--timeout-ms must be at least 1".into()));
        }
        Ok(Options {
            addr,
            count,
            timeout: timeout_ms.map(Duration::from_millis),
        })
    }

    /// Parses the process arguments; on a usage error prints
    /// `error: ...` and the usage line to stderr and exits with
    /// [`exit::EXIT_USAGE`] (64, sysexits' EX_USAGE: the harness itself
    /// says 2 for its own bad input).
    /// `-h` / `--help` prints the usage line and exits 0.
    pub fn parse_env(&self) -> Options {
        let args: Vec<String> = std::env::args().skip(1).collect();
        if args.iter().any(|a| a == "-h" || a == "--help") {
            println!("{}", self.usage());
            exit::exit(0);
        }
        self.parse(args).unwrap_or_else(|err| {
            eprintln!("error: {err}\n{}", self.usage());
            exit::exit(exit::EXIT_USAGE)
        })
    }
}

fn parse_addr(text: &str) -> Result<SocketAddr, UsageError> {
    text.parse().map_err(|_| {
        UsageError(format!(
            "invalid ADDR `{text}`: expected IP:PORT, e.g. 127.0.0.1:9000 or [::1]:9000"
        ))
    })
}

fn parse_number(name: &str, text: &str) -> Result<u64, UsageError> {
    text.parse().map_err(|_| {
        UsageError(format!(
            "invalid {name} `{text}`: expected a non-negative integer"
        ))
    })
}

/// Applies the program's default, or insists on a required option.
fn resolve(name: &str, flag: Flag, given: Option<u64>) -> Result<Option<u64>, UsageError> {
    match (flag, given) {
        (_, Some(value)) => Ok(Some(value)),
        (Flag::Default(value), None) => Ok(Some(value)),
        (Flag::Required, None) => Err(UsageError(format!("missing {name}"))),
        (Flag::Absent, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEND: Spec = Spec {
        program: "udp-send",
        count: Flag::Default(1),
        timeout_ms: Flag::Default(5000),
    };
    const BURST: Spec = Spec {
        program: "udp-burst",
        count: Flag::Required,
        timeout_ms: Flag::Default(5000),
    };
    const NAIVE: Spec = Spec {
        program: "udp-send-naive",
        count: Flag::Absent,
        timeout_ms: Flag::Absent,
    };

    fn parse(spec: &Spec, args: &[&str]) -> Result<Options, UsageError> {
        spec.parse(args.iter().map(|a| a.to_string()))
    }

    fn error(spec: &Spec, args: &[&str]) -> String {
        parse(spec, args).unwrap_err().0
    }

    #[test]
    fn defaults_apply() {
        let options = parse(&SEND, &["127.0.0.1:9000"]).unwrap();
        assert_eq!(options.addr, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(options.count, 1);
        assert_eq!(options.timeout, Some(Duration::from_millis(5000)));
    }

    #[test]
    fn options_in_any_order_and_both_spellings() {
        let options = parse(&SEND, &["--count=7", "[::1]:53", "--timeout-ms", "250"]).unwrap();
        assert_eq!(options.addr, "[::1]:53".parse().unwrap());
        assert_eq!(options.count, 7);
        assert_eq!(options.timeout, Some(Duration::from_millis(250)));
    }

    #[test]
    fn absent_options_default_to_one_and_none() {
        let options = parse(&NAIVE, &["127.0.0.1:1"]).unwrap();
        assert_eq!((options.count, options.timeout), (1, None));
    }

    #[test]
    fn errors_name_the_bad_argument() {
        assert!(error(&SEND, &[]).contains("missing ADDR"));
        assert!(error(&SEND, &["localhost:9000"]).contains("`localhost:9000`"));
        assert!(error(&SEND, &["127.0.0.1:9", "--count", "x"]).contains("--count `x`"));
        assert!(error(&SEND, &["127.0.0.1:9", "--count"]).contains("--count needs a value"));
        assert!(error(&SEND, &["127.0.0.1:9", "--verbose"]).contains("`--verbose`"));
        assert!(error(&SEND, &["127.0.0.1:9", "127.0.0.1:10"]).contains("`127.0.0.1:10`"));
        assert!(error(&SEND, &["127.0.0.1:9", "--timeout-ms=0"]).contains("--timeout-ms"));
        assert!(error(&BURST, &["127.0.0.1:9"]).contains("missing --count"));
        assert!(error(&NAIVE, &["127.0.0.1:9", "--count", "2"]).contains("--count"));
    }

    #[test]
    fn usage_lists_what_the_program_takes() {
        assert_eq!(
            SEND.usage(),
            "usage: udp-send ADDR [--count N] [--timeout-ms T]"
        );
        assert_eq!(
            BURST.usage(),
            "usage: udp-burst ADDR --count N [--timeout-ms T]"
        );
        assert_eq!(NAIVE.usage(), "usage: udp-send-naive ADDR");
    }
}
