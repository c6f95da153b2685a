//! `wouldblock run`: one component under a fault plan, as a user or a cargo runner calls it.

use anyhow::{Context, Result, bail};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;
use wouldblock::{Builder, Exit, NetPolicy, Outcome, Output, PeerOptions, Plan};

#[derive(clap::Args)]
pub struct RunArgs {
    /// A TOML plan file with [[fault]] tables.
    #[arg(long, value_name = "FILE")]
    plan: Option<PathBuf>,
    /// A fault spec, e.g. `first-send`, `first-send:n=3,k=50,form=check-send`,
    /// `udp.send:first=2,action=would-block,ready=never`. Repeatable; added after --plan.
    #[arg(long = "fault", value_name = "SPEC")]
    faults: Vec<String>,
    /// Write one JSON line per socket call to FILE.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
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
    /// Also write the outcome as JSON to FILE (verdict, exit status, the guest's own
    /// status, counters), for CI to read instead of parsing stderr.
    #[arg(long, value_name = "FILE")]
    summary_json: Option<PathBuf>,
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
    /// The component file.
    component: PathBuf,
    /// Arguments for the guest (after its argv[0]).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

/// `wouldblock run`: returns the guest's exit status, or a verdict's.
pub fn run(args: RunArgs) -> Result<i32> {
    let mut plan = match &args.plan {
        Some(path) => Plan::from_file(path)?,
        None => Plan::new(),
    };
    for spec in &args.faults {
        plan = plan.with_spec(spec)?;
    }
    let net = args
        .allow_net
        .iter()
        .fold(NetPolicy::loopback(), |net, cidr| net.allow(*cidr));
    let max_memory = usize::try_from(args.max_memory.saturating_mul(1 << 20))
        .context("--max-memory is too large for this machine")?;
    let mut harness = Builder::new()
        .plan(plan)
        .net(net)
        .max_memory(max_memory)
        .time_limit(Duration::from_secs(args.time_limit))
        .busy_threshold(args.busy_threshold)
        .cache(!args.no_cache)
        .output(Output::Inherit)
        .inherit_env(args.inherit_env)
        .no_drops(args.no_drops)
        .max_component_size(args.max_component_size.saturating_mul(1 << 20))
        .max_sockets(args.max_sockets)
        .inherit_stdin(true);
    for var in &args.env {
        let (name, value) = env_var(var)?;
        harness = harness.env(name, value);
    }
    if args.echo || args.expect_datagrams.is_some() {
        let peer = if args.echo {
            PeerOptions::echo()
        } else {
            PeerOptions::counting()
        };
        harness = harness.peer(match args.expect_datagrams {
            Some(n) => peer.expect_datagrams(n),
            None => peer,
        });
    }
    let harness = harness.build()?;
    // Output files are opened before the guest runs: a verdict is never lost to a path
    // that cannot be written.
    let guest = harness.load(&args.component)?;
    let trace = args.trace.as_deref().map(create).transpose()?;
    let summary_json = args.summary_json.as_deref().map(create).transpose()?;
    let outcome = harness.run(&guest, &args.args)?;
    if let Some((mut file, path)) = trace {
        outcome
            .trace
            .write_json_lines(&mut file)
            .and_then(|()| file.flush())
            .with_context(|| format!("writing the trace to {}", path.display()))?;
    }
    if let Some((mut file, path)) = summary_json {
        writeln!(file, "{}", outcome.to_json())
            .with_context(|| format!("writing the summary to {}", path.display()))?;
    }
    report(&outcome);
    Ok(outcome.exit_code())
}

/// The verdict with its evidence, then the summary line, each on a line of its own.
fn report(outcome: &Outcome) {
    let mut text = String::new();
    if outcome.stderr_mid_line {
        text.push('\n');
    }
    if let Exit::Stopped(stop) = &outcome.exit {
        text += &format!("wouldblock: {}: {}\n", stop.verdict, stop.reason);
        if !stop.evidence.is_empty() {
            let evidence = stop.evidence.trim_end();
            text += &format!("  evidence (last socket calls):\n{evidence}\n");
        }
    }
    text += &outcome.summary();
    eprintln!("{text}");
}

/// Creates an output file, or says which path cannot be written.
fn create(path: &Path) -> Result<(File, PathBuf)> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok((file, path.to_path_buf()))
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
