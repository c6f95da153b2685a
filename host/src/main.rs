//! The `wouldblock` command: run a component under a fault plan, or run the demo.

mod demo;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use wouldblock::{Builder, EXIT_USAGE, Exit, NetPolicy, Output, PeerOptions, Plan, plan::PRESETS};

/// Deterministic socket-readiness faults for WASI 0.2 components.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a wasm32-wasip2 component (a wasi:cli command) under a fault plan.
    ///
    /// As a cargo runner: CARGO_TARGET_WASM32_WASIP2_RUNNER="wouldblock run --fault first-send --"
    Run(RunArgs),
    /// Run the bundled guests under every first-send form and every preset of the fault
    /// catalogue, against real UDP sockets on 127.0.0.1, and print both tables.
    Demo(demo::DemoArgs),
    /// List the fault presets.
    Presets,
}

#[derive(clap::Args)]
struct RunArgs {
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
    /// is `loss` (exit 7).
    #[arg(long, value_name = "N")]
    expect_datagrams: Option<u64>,
    /// Give the guest a harness-owned UDP peer (`{peer}`) that echoes every datagram back.
    #[arg(long)]
    echo: bool,
    /// Do not cache compiled components on disk.
    #[arg(long)]
    no_cache: bool,
    /// The component file.
    component: PathBuf,
    /// Arguments for the guest (after its argv[0]).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Demo(args) => demo::demo(args),
        Command::Presets => {
            for preset in PRESETS {
                println!("{:<22} {}", preset.name, preset.describe());
            }
            Ok(0)
        }
    };
    match result {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(error) => {
            eprintln!("wouldblock: error: {error:#}");
            ExitCode::from(EXIT_USAGE as u8)
        }
    }
}

/// `wouldblock run`: returns the guest's exit status, or a verdict's.
fn run(args: RunArgs) -> Result<i32> {
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
    let harness = Builder::new()
        .plan(plan)
        .net(net)
        .max_memory(max_memory)
        .time_limit(Duration::from_secs(args.time_limit))
        .busy_threshold(args.busy_threshold)
        .cache(!args.no_cache)
        .output(Output::Inherit)
        .inherit_env_and_stdin(true);
    let harness = if args.echo || args.expect_datagrams.is_some() {
        let peer = if args.echo {
            PeerOptions::echo()
        } else {
            PeerOptions::counting()
        };
        harness.peer(match args.expect_datagrams {
            Some(n) => peer.expect_datagrams(n),
            None => peer,
        })
    } else {
        harness
    }
    .build()?;
    let guest = harness.load(&args.component)?;
    let outcome = harness.run(&guest, &args.args)?;
    if let Some(path) = &args.trace {
        std::fs::write(path, outcome.trace.to_json_lines())
            .with_context(|| format!("writing the trace to {}", path.display()))?;
    }
    if let Exit::Stopped(stop) = &outcome.exit {
        eprintln!("wouldblock: {}: {}", stop.verdict, stop.reason);
        if !stop.evidence.is_empty() {
            eprintln!(
                "  evidence (last socket calls):\n{}",
                stop.evidence.trim_end()
            );
        }
    }
    eprintln!("{}", outcome.summary());
    Ok(outcome.exit_code())
}
