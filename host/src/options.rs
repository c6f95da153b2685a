//! The options every command that runs guests shares: the plan, the bounds, the peer and
//! the environment, turned into a [`Builder`].

use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use std::time::Duration;
use wouldblock::{Builder, NetPolicy, Output, PeerOptions, Plan};

#[derive(clap::Args)]
pub struct HarnessArgs {
    /// A TOML plan file with [[fault]] tables.
    #[arg(long, value_name = "FILE")]
    plan: Option<PathBuf>,
    /// A fault spec, e.g. `first-send`, `first-send:n=3,k=50,form=check-send`,
    /// `udp.send:first=2,action=would-block,ready=never`. Repeatable; added after --plan.
    #[arg(long = "fault", value_name = "SPEC")]
    faults: Vec<String>,
    /// Also allow the guest to use this network (CIDR). Loopback only by default.
    #[arg(long = "allow-net", value_name = "CIDR")]
    allow_net: Vec<ipnet::IpNet>,
    /// Bound on the guest's linear memory, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = (wouldblock::DEFAULT_MAX_MEMORY >> 20) as u64)]
    max_memory: u64,
    /// Wall-clock safety net, in seconds (busy loops and hangs are found by counting first).
    #[arg(long, value_name = "SECS", default_value_t = wouldblock::DEFAULT_TIME_LIMIT.as_secs())]
    time_limit: u64,
    /// Socket calls in a row without progress that make a busy loop.
    #[arg(long, value_name = "CALLS", default_value_t = wouldblock::DEFAULT_BUSY_THRESHOLD)]
    busy_threshold: u64,
    /// Give the guest a real UDP peer on 127.0.0.1 (its address replaces `{peer}` in the
    /// guest's arguments) and judge the run: if the guest exits 0, datagrams 0..N (payload:
    /// the decimal sequence number) must each have arrived exactly once, or the verdict
    /// is `loss` (exit 87).
    #[arg(long, value_name = "N")]
    expect_datagrams: Option<u64>,
    /// Give the guest a harness-owned UDP peer (`{peer}`) that echoes every datagram back.
    #[arg(long)]
    echo: bool,
    /// Set an environment variable for the guest; `NAME` alone passes the harness's own
    /// value. Repeatable. Nothing is passed by default, as in `wasmtime run`.
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    env: Vec<String>,
    /// Make a datagram refused with out-of-memory (ENOBUFS) and never offered again the
    /// `dropped` verdict too; one refused by a readiness answer always is.
    #[arg(long)]
    no_drops: bool,
    /// Pass every environment variable of the harness to the guest.
    #[arg(long)]
    inherit_env: bool,
    /// Bound on the component file's size, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = wouldblock::DEFAULT_MAX_COMPONENT_SIZE >> 20)]
    max_component_size: u64,
    /// Sockets the guest may have open at once; past it, creating one answers
    /// `new-socket-limit`.
    #[arg(long, value_name = "N", default_value_t = wouldblock::DEFAULT_MAX_SOCKETS)]
    max_sockets: u64,
    /// Do not cache compiled components on disk.
    #[arg(long)]
    no_cache: bool,
}

impl HarnessArgs {
    /// The builder these options describe, guest output inherited.
    pub fn builder(&self) -> Result<Builder> {
        let mut plan = match &self.plan {
            Some(path) => Plan::from_file(path)?,
            None => Plan::new(),
        };
        for spec in &self.faults {
            plan = plan.with_spec(spec)?;
        }
        let net = self
            .allow_net
            .iter()
            .fold(NetPolicy::loopback(), |net, cidr| net.allow(*cidr));
        let max_memory = usize::try_from(self.max_memory.saturating_mul(1 << 20))
            .context("--max-memory is too large for this machine")?;
        let mut builder = Builder::new()
            .plan(plan)
            .net(net)
            .max_memory(max_memory)
            .time_limit(Duration::from_secs(self.time_limit))
            .busy_threshold(self.busy_threshold)
            .cache(!self.no_cache)
            .output(Output::Inherit)
            .inherit_env(self.inherit_env)
            .inherit_stdin(true)
            .no_drops(self.no_drops)
            .max_component_size(self.max_component_size.saturating_mul(1 << 20))
            .max_sockets(self.max_sockets);
        for var in &self.env {
            let (name, value) = env_var(var)?;
            builder = builder.env(name, value);
        }
        if self.echo || self.expect_datagrams.is_some() {
            let peer = if self.echo {
                PeerOptions::echo()
            } else {
                PeerOptions::counting()
            };
            builder = builder.peer(match self.expect_datagrams {
                Some(n) => peer.expect_datagrams(n),
                None => peer,
            });
        }
        Ok(builder)
    }
}

/// `NAME=VALUE`, or `NAME` with the harness's own value.
fn env_var(spec: &str) -> Result<(String, String)> {
    if let Some((name, value)) = spec.split_once('=') {
        return Ok((name.to_string(), value.to_string()));
    }
    match std::env::var(spec) {
        Ok(value) => Ok((spec.to_string(), value)),
        Err(_) => bail!("--env {spec}: no such variable in the harness's environment to pass on"),
    }
}
