//! Name lookups over `wasi:sockets/ip-name-lookup@0.2.12`, readiness-driven.
//!
//! [`resolve`] waits on the lookup's pollable while the resolver has no
//! answer yet (`would-block`), backs off on a clock and asks again after a
//! `temporary-resolver-failure` (EAI_AGAIN), and returns every address in
//! the resolver's order. [`connect`] tries each address in turn until one
//! answers, as `std::net::TcpStream::connect` does with a host name: a
//! resolver that answers `::1` first must not fail a client whose server
//! listens on 127.0.0.1.
//!
//! ```no_run
//! use std::time::Duration;
//! use wouldblock_guest::lookup;
//!
//! # fn main() -> std::io::Result<()> {
//! let addresses = lookup::resolve("localhost", Some(Duration::from_secs(5)))?;
//! println!("localhost is {addresses:?}");
//! let stream = lookup::connect("localhost", 8080, Duration::from_secs(5))?;
//! # drop(stream);
//! # Ok(())
//! # }
//! ```

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use crate::error::error_code_to_io;
use crate::tcp::{Poller, TcpStream};
use wasi::sockets::instance_network::instance_network;
use wasi::sockets::ip_name_lookup::resolve_addresses;
use wasi::sockets::network::{ErrorCode, IpAddress};

/// Every address of `name`, in the resolver's order, within `timeout`
/// (`None`: no deadline). An IP address is itself. A name that does not
/// resolve is the host's error (`wasi error-code name-unresolvable`); one
/// still failing temporarily at the deadline is [`io::ErrorKind::TimedOut`].
pub fn resolve(name: &str, timeout: Option<Duration>) -> io::Result<Vec<IpAddr>> {
    let mut poller = Poller::new(timeout)?;
    loop {
        match resolve_once(name, &mut poller) {
            // EAI_AGAIN: the query failed this time; a later one may not.
            Err(ErrorCode::TemporaryResolverFailure) => {
                if let Err(err) = poller.wait(&[]) {
                    return Err(io::Error::new(
                        err.kind(),
                        format!("lookup of {name}: temporary-resolver-failure until the deadline"),
                    ));
                }
            }
            Err(code) => return Err(error_code_to_io(code)),
            Ok(addresses) => return Ok(addresses),
        }
    }
}

/// One lookup: every address, waiting on the pollable while it answers
/// `would-block`. A timeout is reported as `timeout`.
fn resolve_once(name: &str, poller: &mut Poller) -> Result<Vec<IpAddr>, ErrorCode> {
    // WIT: "This function never blocks. It either immediately fails or
    // immediately returns successfully with a `resolve-address-stream`".
    let stream = resolve_addresses(&instance_network(), name)?;
    let ready = stream.subscribe();
    let mut addresses = Vec::new();
    loop {
        match stream.resolve_next_address() {
            Ok(Some(ip)) => {
                addresses.push(from_wasi(ip));
                poller.progressed();
            }
            // WIT: "If all addresses have been exhausted, this function
            // returns `none`."
            Ok(None) => break,
            // WIT: "`would-block`: A result is not available yet."
            Err(ErrorCode::WouldBlock) => {
                if poller.wait(&[&ready]).is_err() {
                    return Err(ErrorCode::Timeout);
                }
            }
            Err(code) => return Err(code),
        }
    }
    // The pollable is a child of the stream: it goes first.
    drop(ready);
    Ok(addresses)
}

/// Connects to `port` on the first address of `name` that answers, trying
/// them in the resolver's order; the last address's error if none does.
pub fn connect(name: &str, port: u16, timeout: Duration) -> io::Result<TcpStream> {
    let addresses = resolve(name, Some(timeout))?;
    let mut last = io::Error::new(io::ErrorKind::NotFound, format!("{name} has no addresses"));
    for ip in addresses {
        match TcpStream::connect_timeout(SocketAddr::new(ip, port), timeout) {
            Ok(stream) => return Ok(stream),
            Err(err) => last = err,
        }
    }
    Err(last)
}

/// A WASI address as std's.
pub fn from_wasi(ip: IpAddress) -> IpAddr {
    match ip {
        IpAddress::Ipv4((a, b, c, d)) => Ipv4Addr::new(a, b, c, d).into(),
        IpAddress::Ipv6((a, b, c, d, e, f, g, h)) => Ipv6Addr::new(a, b, c, d, e, f, g, h).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIVE_SECONDS: Option<Duration> = Some(Duration::from_secs(5));

    #[test]
    fn localhost_and_literals_resolve_and_garbage_is_refused() {
        let localhost = resolve("localhost", FIVE_SECONDS).unwrap();
        assert!(
            localhost.contains(&IpAddr::V4(Ipv4Addr::LOCALHOST)),
            "{localhost:?}"
        );
        let literal = resolve("192.0.2.0", FIVE_SECONDS).unwrap();
        assert_eq!(literal, [IpAddr::V4(Ipv4Addr::new(192, 0, 2, 0))]);
        let err = resolve("a.b<&>", FIVE_SECONDS).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    }
}
