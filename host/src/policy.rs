//! Which addresses a guest may bind, send to and connect to.

use ipnet::IpNet;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use wasmtime_wasi::sockets::SocketAddrUse;

/// The networks a guest may use. Loopback only unless widened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetPolicy {
    allowed: Vec<IpNet>,
}

impl NetPolicy {
    /// `127.0.0.0/8` and `::1/128`: the guest reaches this machine only.
    pub fn loopback() -> Self {
        Self {
            allowed: vec![
                "127.0.0.0/8".parse().expect("valid CIDR"),
                "::1/128".parse().expect("valid CIDR"),
            ],
        }
    }

    /// Also allows `net` (e.g. `0.0.0.0/0` for everything).
    pub fn allow(mut self, net: IpNet) -> Self {
        self.allowed.push(net);
        self
    }

    /// Whether the guest may use `ip`.
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.allowed.iter().any(|net| net.contains(&ip))
    }

    /// The check wasmtime-wasi runs before every bind, connect and send.
    pub(crate) fn into_check(
        self,
    ) -> impl Fn(SocketAddr, SocketAddrUse) -> Pin<Box<dyn Future<Output = bool> + Send + Sync>>
    + Send
    + Sync
    + 'static {
        move |addr, _use| {
            let allowed = self.allows(addr.ip());
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
}
