//! `wasi:sockets/ip-name-lookup`, decorated: the harness's resolver ([`Names`]) answers
//! every lookup, unless the policy reaches beyond loopback and the name is one it does
//! not know, which then goes to wasmtime-wasi's own lookup (the machine's resolver).
//! Every lookup is traced and open to the plan: it may fail (`dns.resolve` with an
//! error), come IPv6 first (`ipv6-first`) or still be in progress (`would-block` from
//! `dns.resolve-next-address`, its pollable late).
//!
//! The guest's `resolve-address-stream` is a [`Lookup`] in the resource table: the
//! harness's answer, or the rep of wasmtime-wasi's stream it drains once that is ready.

use super::SocketsView;
use super::decorate::{Decided, Decorate};
use crate::names::Answer;
use crate::plan::Op;
use crate::resources::Kind;
use crate::trace::{Event, Text};
use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use wasmtime::component::{Resource, ResourceTableError};
use wasmtime_wasi::p2::bindings::sockets::ip_name_lookup::{
    Host, HostResolveAddressStream, ResolveAddressStream,
};
use wasmtime_wasi::p2::bindings::sockets::network::{ErrorCode, IpAddress, Network};
use wasmtime_wasi::p2::{DynPollable, Pollable, SocketError, subscribe};

const LOOKUP: &str = "wasi:sockets/ip-name-lookup";

/// One name lookup, as the guest holds it.
pub(crate) struct Lookup {
    /// The addresses still to give, or the error every call answers; `None` while
    /// wasmtime-wasi's lookup (`system`) has not answered yet.
    answer: Option<Result<VecDeque<IpAddr>, ErrorCode>>,
    /// The rep of wasmtime-wasi's own stream, for a name the machine's resolver answers.
    system: Option<u32>,
    /// `ipv6-first`: the addresses are reordered once known.
    ipv6_first: bool,
}

#[async_trait::async_trait]
impl Pollable for Lookup {
    /// The harness's own answers are there at once; a system lookup's pollable is
    /// wasmtime-wasi's (see `subscribe`).
    async fn ready(&mut self) {}
}

impl Host for SocketsView<'_> {
    fn resolve_addresses(
        &mut self,
        network: Resource<Network>,
        name: String,
    ) -> Result<Resource<ResolveAddressStream>, SocketError> {
        let mut event =
            Event::new(LOOKUP, "resolve-addresses", "-".into()).on(Some(Op::DnsResolve), None);
        // A name is at most 253 bytes; a longer one is cut in the trace, not stored whole.
        event.args = Text::Owned(name.chars().take(256).collect());
        let decided = self.decided::<(), SocketError>(Op::DnsResolve, None, || (), &mut event);
        let ipv6_first = matches!(decided, Decided::Reorder);
        let result = self.start(network, name, decided, ipv6_first);
        let label = (result.as_ref().ok()).map(|l| self.run.register(l.rep(), Kind::Lookup, None));
        self.finish(event, &result, |_| {
            format!("ok({})", label.unwrap_or_default()).into()
        });
        result
    }
}

impl HostResolveAddressStream for SocketsView<'_> {
    fn resolve_next_address(
        &mut self,
        this: Resource<ResolveAddressStream>,
    ) -> Result<Option<IpAddress>, SocketError> {
        let rep = this.rep();
        let op = Op::DnsResolveNextAddress;
        let mut event = self
            .run
            .event(LOOKUP, "resolve-next-address", Some(op), rep);
        let result = match self.injected(op, Some(rep), || None::<IpAddr>, &mut event) {
            Some(Err::<_, SocketError>(err)) => {
                // A failed query stays failed: every later call answers the same.
                if let Some(&code) = err.downcast_ref()
                    && code != ErrorCode::WouldBlock
                {
                    self.lookup(rep)?.answer = Some(Err(code));
                }
                Err(err)
            }
            Some(Ok(_)) | None => self.next_address(rep),
        };
        self.finish(event, &result, |next| match next {
            Some(ip) => Text::Owned(format!("ok({ip})")),
            None => "ok(none)".into(),
        });
        self.account(op, rep, u64::from(matches!(result, Ok(Some(_)))), &result)?;
        Ok(result?.map(IpAddress::from))
    }

    fn subscribe(
        &mut self,
        this: Resource<ResolveAddressStream>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        let rep = this.rep();
        let system = self.lookup(rep)?.system;
        let pollable = match system {
            Some(inner) => {
                HostResolveAddressStream::subscribe(&mut self.inner, Resource::new_borrow(inner))
            }
            None => subscribe(self.inner.table, Resource::<Lookup>::new_borrow(rep)),
        };
        self.run.subscribed(rep, pollable)
    }

    fn drop(&mut self, this: Resource<ResolveAddressStream>) -> wasmtime::Result<()> {
        let rep = this.rep();
        if let Some(inner) = self.lookup(rep)?.system {
            HostResolveAddressStream::drop(&mut self.inner, Resource::new_own(inner))?;
        }
        self.inner.table.delete(Resource::<Lookup>::new_own(rep))?;
        self.run.forget(rep);
        Ok(())
    }
}

impl SocketsView<'_> {
    /// The guest's lookup at `rep`.
    fn lookup(&mut self, rep: u32) -> Result<&mut Lookup, ResourceTableError> {
        self.inner.table.get_mut(&Resource::new_borrow(rep))
    }

    /// Starts a lookup of `name` as the plan decided: an injected error is its outcome
    /// (`invalid-argument` at once, any other from `resolve-next-address`).
    fn start(
        &mut self,
        network: Resource<Network>,
        name: String,
        decided: Decided<(), SocketError>,
        ipv6_first: bool,
    ) -> Result<Resource<ResolveAddressStream>, SocketError> {
        // The network is the capability to look names up, as in wasmtime-wasi.
        self.inner.table.get(&network)?;
        let injected = match decided {
            Decided::Answer(Err(err)) => match err.downcast_ref() {
                Some(&code) => Some(code),
                None => return Err(err),
            },
            _ => None,
        };
        let (answer, system) = match (injected, self.names.answer(&name)) {
            (Some(ErrorCode::InvalidArgument), _) | (None, Answer::Invalid) => {
                return Err(ErrorCode::InvalidArgument.into());
            }
            (Some(code), _) => (Some(Err(code)), None),
            (None, Answer::Known(answer)) => (Some(answer.map(VecDeque::from)), None),
            (None, Answer::System) => {
                let inner = Host::resolve_addresses(&mut self.inner, network, name)?;
                (None, Some(inner.rep()))
            }
        };
        let mut lookup = Lookup {
            answer,
            system,
            ipv6_first,
        };
        if let Some(Ok(addresses)) = &mut lookup.answer {
            reorder(addresses, ipv6_first);
        }
        let lookup = self.inner.table.push(lookup)?;
        // The guest's handle names the harness's own entry; only this decorator reads it.
        Ok(Resource::new_own(lookup.rep()))
    }

    /// The next address of lookup `rep`: its own answer, or wasmtime-wasi's, drained the
    /// first time it is ready (so `ipv6-first` can reorder it).
    fn next_address(&mut self, rep: u32) -> Result<Option<IpAddr>, SocketError> {
        let lookup = self.lookup(rep)?;
        if let (None, Some(inner)) = (&lookup.answer, lookup.system) {
            let ipv6_first = lookup.ipv6_first;
            let answer = self.drain(inner, ipv6_first)?;
            self.lookup(rep)?.answer = Some(answer);
        }
        match &mut self.lookup(rep)?.answer {
            Some(Ok(addresses)) => Ok(addresses.pop_front()),
            Some(Err(code)) => Err((*code).into()),
            None => Err(ErrorCode::WouldBlock.into()),
        }
    }

    /// Every address wasmtime-wasi's lookup `inner` has, once it has answered;
    /// `would-block` until then.
    fn drain(
        &mut self,
        inner: u32,
        ipv6_first: bool,
    ) -> Result<Result<VecDeque<IpAddr>, ErrorCode>, SocketError> {
        let mut addresses = VecDeque::new();
        loop {
            let stream = Resource::new_borrow(inner);
            match HostResolveAddressStream::resolve_next_address(&mut self.inner, stream) {
                Ok(Some(ip)) => addresses.push_back(from_wasi(ip)),
                Ok(None) => break,
                Err(err) => match err.downcast_ref() {
                    Some(ErrorCode::WouldBlock) if addresses.is_empty() => return Err(err),
                    Some(&code) => return Ok(Err(code)),
                    None => return Err(err),
                },
            }
        }
        reorder(&mut addresses, ipv6_first);
        Ok(Ok(addresses))
    }
}

/// `ipv6-first`: the IPv6 addresses first, each family in its own order.
fn reorder(addresses: &mut VecDeque<IpAddr>, ipv6_first: bool) {
    if ipv6_first {
        addresses.make_contiguous().sort_by_key(IpAddr::is_ipv4);
    }
}

fn from_wasi(ip: IpAddress) -> IpAddr {
    match ip {
        IpAddress::Ipv4((a, b, c, d)) => Ipv4Addr::new(a, b, c, d).into(),
        IpAddress::Ipv6((a, b, c, d, e, f, g, h)) => Ipv6Addr::new(a, b, c, d, e, f, g, h).into(),
    }
}
