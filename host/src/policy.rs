//! Which remote addresses a guest may connect to, send to and accept from (a local
//! address, a bind, is the kernel's to answer).

use ipnet::IpNet;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use wasmtime_wasi::sockets::SocketAddrUse;

/// The networks a guest may use. Loopback only unless widened.
///
/// ```
/// use wouldblock::NetPolicy;
/// assert_eq!(NetPolicy::default(), NetPolicy::loopback());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetPolicy {
    allowed: Vec<IpNet>,
    /// Whether TCP connections to real servers go through the harness's relay.
    direct: bool,
}

impl NetPolicy {
    /// `127.0.0.0/8` and `::1/128`: the guest reaches this machine only.
    ///
    /// ```
    /// use wouldblock::NetPolicy;
    /// let policy = NetPolicy::loopback();
    /// assert!(policy.allows("127.0.0.1".parse().unwrap()));
    /// assert!(policy.allows("::1".parse().unwrap()));
    /// assert!(!policy.allows("10.0.0.1".parse().unwrap()));
    /// ```
    pub fn loopback() -> Self {
        Self {
            allowed: vec![
                "127.0.0.0/8".parse().expect("valid CIDR"),
                "::1/128".parse().expect("valid CIDR"),
            ],
            direct: false,
        }
    }

    /// Nothing at all: build a narrower policy from here with [`NetPolicy::allow`].
    ///
    /// ```
    /// use wouldblock::NetPolicy;
    /// let policy = NetPolicy::none().allow("127.0.0.2/32".parse().unwrap());
    /// assert!(!policy.allows("127.0.0.1".parse().unwrap()));
    /// ```
    pub fn none() -> Self {
        Self {
            allowed: Vec::new(),
            direct: false,
        }
    }

    /// Also allows `net` (e.g. `0.0.0.0/0` for everything).
    ///
    /// ```
    /// use wouldblock::NetPolicy;
    /// let policy = NetPolicy::loopback().allow("10.0.0.0/8".parse().unwrap());
    /// assert!(policy.allows("10.1.2.3".parse().unwrap()));
    /// ```
    pub fn allow(mut self, net: IpNet) -> Self {
        self.allowed.push(net);
        self
    }

    /// The guest's TCP connections and UDP datagrams go straight to real servers, not
    /// through the harness's relays. By default a connection to a server the harness does not own reaches a
    /// listener of the harness, which connects to the server and hands its answers to the
    /// guest once the server has gone quiet, at the guest's next wait (a UDP socket's
    /// datagrams likewise): so what a read finds is the same on every run. Direct, it depends on how fast the server was.
    ///
    /// ```
    /// use wouldblock::NetPolicy;
    /// assert!(NetPolicy::loopback().relays() && !NetPolicy::loopback().direct().relays());
    /// ```
    pub fn direct(mut self) -> Self {
        self.direct = true;
        self
    }

    /// Whether the guest's TCP connections and UDP datagrams to real servers go through
    /// the harness's relays.
    ///
    /// ```
    /// assert!(wouldblock::NetPolicy::default().relays());
    /// ```
    pub fn relays(&self) -> bool {
        !self.direct
    }

    /// Whether the guest may use `ip`.
    ///
    /// ```
    /// assert!(!wouldblock::NetPolicy::none().allows("127.0.0.1".parse().unwrap()));
    /// ```
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.allowed.iter().any(|net| net.contains(&ip))
    }

    /// Whether the guest may use `addr` as `what`. Every remote address (connect, send,
    /// accept) must be within the policy. A local address (a bind, a listen) is not the
    /// policy's business: binding sends nothing, so the kernel answers it as it would
    /// natively (`address-not-bindable` for an address not on this machine,
    /// `address-in-use`, ...), and wasmtime-wasi's implicit binds to `0.0.0.0:0` (or
    /// `[::]:0`) before a connect or a first send go through.
    pub(crate) fn permits(&self, addr: SocketAddr, what: SocketAddrUse) -> bool {
        let local = matches!(
            what,
            SocketAddrUse::TcpBind | SocketAddrUse::TcpListen | SocketAddrUse::UdpBind
        );
        local || self.allows(addr.ip())
    }

    /// Whether the guest may reach beyond this machine: then the names the harness does
    /// not know (not `localhost`, not in the hosts file) go to the machine's resolver,
    /// which may send a query; otherwise they are `name-unresolvable`.
    pub(crate) fn reaches_beyond_loopback(&self) -> bool {
        let loopback = Self::loopback().allowed;
        let inside = |net: &IpNet| loopback.iter().any(|lo| lo.contains(net));
        !self.allowed.iter().all(inside)
    }

    /// Whether the names the harness does not know go to the machine's resolver: only when
    /// the guest may reach beyond loopback and may reach every nameserver of `resolv_conf`
    /// (the text of `/etc/resolv.conf`), so a lookup never sends a query where the guest
    /// could not (`--allow-net 0.0.0.0/32` or `::ffff:127.0.0.1/128` reach no resolver).
    pub(crate) fn uses_resolver(&self, resolv_conf: &str) -> bool {
        let servers: Vec<IpAddr> = resolv_conf
            .lines()
            .filter_map(|line| line.trim().strip_prefix("nameserver"))
            .filter_map(|rest| {
                rest.split_whitespace()
                    .next()?
                    .split('%')
                    .next()?
                    .parse()
                    .ok()
            })
            .collect();
        self.reaches_beyond_loopback()
            && !servers.is_empty()
            && servers.iter().all(|ip| self.allows(*ip))
    }

    /// The check wasmtime-wasi runs before every bind, listen, connect, accept and send.
    pub(crate) fn into_check(
        self,
    ) -> impl Fn(SocketAddr, SocketAddrUse) -> Pin<Box<dyn Future<Output = bool> + Send + Sync>>
    + Send
    + Sync
    + 'static {
        move |addr, what| {
            let allowed = self.permits(addr, what);
            Box::pin(async move { allowed })
        }
    }
}

impl Default for NetPolicy {
    fn default() -> Self {
        Self::loopback()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_only_until_widened() {
        let policy = NetPolicy::loopback();
        assert!(policy.allows("127.0.0.1".parse().unwrap()));
        assert!(policy.allows("::1".parse().unwrap()));
        assert!(!policy.allows("10.0.0.1".parse().unwrap()));
        assert!(!policy.allows("0.0.0.0".parse().unwrap()));
        let wider = policy.allow("10.0.0.0/8".parse().unwrap());
        assert!(wider.allows("10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn binds_are_the_kernels_to_answer_and_remote_addresses_the_policys() {
        let policy = NetPolicy::loopback();
        let addr = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert!(policy.permits(addr("0.0.0.0:0"), SocketAddrUse::UdpBind));
        assert!(policy.permits(addr("192.0.2.0:0"), SocketAddrUse::TcpBind));
        assert!(!policy.permits(addr("0.0.0.0:9"), SocketAddrUse::UdpSend));
        assert!(!policy.permits(addr("10.0.0.1:9"), SocketAddrUse::TcpConnect));
    }

    #[test]
    fn only_a_network_past_loopback_reaches_beyond_it() {
        let net = |s: &str| s.parse::<IpNet>().unwrap();
        assert!(!NetPolicy::loopback().reaches_beyond_loopback());
        let narrower = NetPolicy::none().allow(net("127.0.0.2/32"));
        assert!(!narrower.reaches_beyond_loopback());
        let wider = NetPolicy::loopback().allow(net("10.0.0.0/8"));
        assert!(wider.reaches_beyond_loopback());
    }

    #[test]
    fn names_go_to_the_resolver_only_where_the_guest_may_reach_it() {
        let net = |s: &str| s.parse::<IpNet>().unwrap();
        let conf = "# generated\nsearch example.com\nnameserver 10.0.0.2\n";
        let wider = NetPolicy::loopback().allow(net("10.0.0.0/8"));
        assert!(wider.uses_resolver(conf));
        assert!(
            !wider.uses_resolver("search example.com\n"),
            "no nameserver"
        );
        for odd in ["::ffff:127.0.0.1/128", "0.0.0.0/32"] {
            let policy = NetPolicy::loopback().allow(net(odd));
            assert!(policy.reaches_beyond_loopback(), "{odd}");
            assert!(!policy.uses_resolver(conf), "{odd}");
        }
        assert!(!NetPolicy::loopback().uses_resolver("nameserver 127.0.0.53\n"));
    }
}
