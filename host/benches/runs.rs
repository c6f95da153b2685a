//! Run-time benchmarks, side by side in one run: `cargo bench -p wouldblock`. Results are
//! written down in BENCHMARKS.md; nothing here is a pass/fail test.

use anyhow::{Context, Result};
use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::p2::bindings::CommandPre;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wouldblock::{Builder, Clock, Form, PEER_PLACEHOLDER, PeerOptions, Plan, Readiness, Repeat};
use wouldblock_guests::{UDP_BURST, UDP_SEND};

fn time<T>(f: impl FnOnce() -> Result<T>) -> Result<(T, Duration)> {
    let start = Instant::now();
    let value = f()?;
    Ok((value, start.elapsed()))
}

/// wasmtime's own error, as anyhow's.
fn w<T>(result: wasmtime::Result<T>) -> Result<T> {
    result.map_err(|e| anyhow::anyhow!("{e:#}"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// One part of the benchmark: its name and what it measures.
type Part = (&'static str, fn() -> Result<()>);

/// The parts, in the order a full run prints them.
const PARTS: &[Part] = &[
    ("loading", loading),
    ("per-run", || per_run_costs(&first_send())),
    ("runs-per-second", || runs_per_second(&first_send())),
    ("virtual-time", virtual_against_real),
    ("throughput", throughput),
    ("memory", peak_memory),
];

/// `cargo bench -p wouldblock` runs every part; `cargo bench -p wouldblock -- throughput`
/// the parts whose names contain an argument.
fn main() -> Result<()> {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    for (name, part) in PARTS {
        if only.is_empty() || only.iter().any(|o| name.contains(o.as_str())) {
            part()?;
        }
    }
    Ok(())
}

fn first_send() -> Plan {
    Plan::first_send(Form::OkZero, 1, Readiness::NotReady(1))
}

/// Compiling a guest against loading it from wasmtime's disk cache.
fn loading() -> Result<()> {
    let uncached = Builder::new().plan(first_send()).build()?;
    let (_, compile) = time(|| Ok(uncached.compile(UDP_SEND.name, UDP_SEND.wasm)?))?;
    println!(
        "compile udp-send, no cache:                     {:>9.2} ms",
        ms(compile)
    );
    let cached = Builder::new().plan(first_send()).cache(true).build()?;
    cached.compile(UDP_SEND.name, UDP_SEND.wasm)?;
    let fresh = Builder::new().cache(true).build()?;
    let (_, load) = time(|| Ok(fresh.compile(UDP_SEND.name, UDP_SEND.wasm)?))?;
    println!(
        "load udp-send from the disk cache:              {:>9.2} ms",
        ms(load)
    );
    Ok(())
}

/// udp-send --count 16 under first-send: in process, --repeat, one process per run.
fn per_run_costs(plan: &Plan) -> Result<()> {
    const RUNS: u32 = 500;
    let harness = Builder::new()
        .plan(plan.clone())
        .peer(PeerOptions::counting())
        .build()?;
    let guest = harness.compile(UDP_SEND.name, UDP_SEND.wasm)?;
    let args = [PEER_PLACEHOLDER, "--count", "16"];
    let (_, took) = time(|| {
        for _ in 0..RUNS {
            harness.run(&guest, &args)?;
        }
        Ok(())
    })?;
    let in_process = ms(took) / f64::from(RUNS);
    let runs = RUNS.into();
    let (_, took) = time(|| Ok(Repeat::run(&harness, &guest, &args, runs, cores(), |_| {})?))?;
    let repeat = ms(took) / f64::from(RUNS);
    let cli = env!("CARGO_BIN_EXE_wouldblock");
    let cache = std::env::temp_dir().join("wouldblock-bench-cache");
    let process = |_: u32| -> Result<()> {
        let status = Command::new(cli)
            .args([
                "run",
                "--fault",
                "first-send",
                "--expect-datagrams",
                "16",
                UDP_SEND.path,
            ])
            .args(["--", PEER_PLACEHOLDER, "--count", "16"])
            .env("XDG_CACHE_HOME", &cache)
            .stderr(Stdio::null())
            .stdout(Stdio::null())
            .status()?;
        anyhow::ensure!(status.success(), "{status}");
        Ok(())
    };
    process(0)?; // warm the compile cache
    const PROCESSES: u32 = 100;
    let (_, took) = time(|| (0..PROCESSES).try_for_each(process))?;
    let per_process = ms(took) / f64::from(PROCESSES);
    println!("udp-send --count 16 under first-send, per run:");
    println!("  in process (Harness::run)                      {in_process:>9.3} ms   1.00x");
    println!(
        "  --repeat on {} threads                          {repeat:>9.3} ms   {:.2}x",
        cores(),
        repeat / in_process
    );
    println!(
        "  one `wouldblock run` process per run           {per_process:>9.3} ms   {:.2}x",
        per_process / in_process
    );
    let wasmtime = Command::new("wasmtime").arg("--version").output();
    match wasmtime {
        Ok(out) if out.status.success() => println!("  (wasmtime CLI found but not measured here)"),
        _ => println!(
            "  wasmtime run -S inherit-network: not measured, the wasmtime CLI is not installed"
        ),
    }
    Ok(())
}

/// udp-send --count 1 under first-send, --repeat 10000 on every core.
fn runs_per_second(plan: &Plan) -> Result<()> {
    let harness = Builder::new().plan(plan.clone()).build()?;
    let guest = harness.compile(UDP_SEND.name, UDP_SEND.wasm)?;
    let sink = UdpSocket::bind("127.0.0.1:0")?;
    let addr = sink.local_addr()?.to_string();
    let (args, runs) = ([addr.as_str()], 10_000);
    let (repeat, took) = time(|| Ok(Repeat::run(&harness, &guest, &args, runs, cores(), |_| {})?))?;
    anyhow::ensure!(
        repeat.endings.get("pass") == Some(&10_000),
        "{:?}",
        repeat.endings
    );
    println!(
        "udp-send --count 1 under first-send, --repeat 10000 on {} threads: {:.0} runs/s",
        cores(),
        10_000.0 / took.as_secs_f64()
    );
    Ok(())
}

/// A correct guest under each back-pressure preset: virtual time against real.
fn virtual_against_real() -> Result<()> {
    const RUNS: u32 = 50;
    println!("udp-burst --count 16 under back-pressure, per run:   virtual      real");
    for preset in [
        "enobufs-backpressure",
        "enobufs-no-wakeup",
        "enobufs-writable",
    ] {
        let mut cost = Vec::new();
        for clock in [Clock::Virtual, Clock::Real] {
            let harness = Builder::new()
                .plan(Plan::new().with_spec(preset)?)
                .peer(PeerOptions::counting().expect_datagrams(16))
                .clock(clock)
                .build()?;
            let guest = harness.compile(UDP_BURST.name, UDP_BURST.wasm)?;
            let (_, took) = time(|| {
                for _ in 0..RUNS {
                    let outcome = harness.run(&guest, &[PEER_PLACEHOLDER, "--count", "16"])?;
                    anyhow::ensure!(outcome.passed(), "{}", outcome.summary());
                }
                Ok(())
            })?;
            cost.push(ms(took) / f64::from(RUNS));
        }
        println!(
            "  {preset:<22}                        {:>8.3} ms {:>8.3} ms  ({:.0}x)",
            cost[0],
            cost[1],
            cost[1] / cost[0]
        );
    }
    Ok(())
}

/// wasmtime-wasi alone, for the decorated host to be measured against.
struct Plain {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Plain {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// 100,000 datagrams: decorated (empty plan) against undecorated against native std.
fn throughput() -> Result<()> {
    const N: u64 = 100_000;
    let count = N.to_string();
    let sink = UdpSocket::bind("127.0.0.1:0")?;
    let addr = sink.local_addr()?.to_string();
    let decorated = Builder::new().build()?;
    let guest = decorated.compile(UDP_SEND.name, UDP_SEND.wasm)?;
    let (_, with) = time(|| Ok(decorated.run(&guest, &[addr.as_str(), "--count", &count])?))?;

    // The same engine settings as the harness (fuel for the time limit's yields), so the
    // ratio is what the decorators cost, not what fuel costs.
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.consume_fuel(true);
    let engine = w(Engine::new(&config))?;
    let mut linker = Linker::new(&engine);
    w(wasmtime_wasi::p2::add_to_linker_async(&mut linker))?;
    let component = w(wasmtime::component::Component::from_binary(
        &engine,
        UDP_SEND.wasm,
    ))?;
    let pre = w(CommandPre::new(w(linker.instantiate_pre(&component))?))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (_, without) = time(|| {
        runtime.block_on(async {
            let ctx = WasiCtxBuilder::new()
                .args(&["udp-send", &addr, "--count", &count])
                .allow_udp(true)
                .socket_addr_check(|_, _| Box::pin(async { true }))
                .build();
            let mut store = Store::new(
                &engine,
                Plain {
                    ctx,
                    table: ResourceTable::new(),
                },
            );
            w(store.set_fuel(u64::MAX))?;
            w(store.fuel_async_yield_interval(Some(1_000_000)))?;
            let command = w(pre.instantiate_async(&mut store).await)?;
            let run = w(command.wasi_cli_run().call_run(&mut store).await)?;
            run.ok().context("udp-send failed")
        })
    })?;

    let native = UdpSocket::bind("127.0.0.1:0")?;
    let (_, std_loop) = time(|| {
        for seq in 0..N {
            native.send_to(seq.to_string().as_bytes(), &addr)?;
        }
        Ok(())
    })?;
    let rate = |d: Duration| N as f64 / d.as_secs_f64();
    println!("udp-send --count 100000, datagrams/s:");
    println!(
        "  decorated host, empty plan            {:>10.0}   {:.2}x undecorated",
        rate(with),
        rate(with) / rate(without)
    );
    println!(
        "  wasmtime-wasi alone                   {:>10.0}   1.00x",
        rate(without)
    );
    println!(
        "  native std::net::UdpSocket loop       {:>10.0}   {:.2}x",
        rate(std_loop),
        rate(std_loop) / rate(without)
    );
    Ok(())
}

/// Peak RSS of one `wouldblock run` and of `--repeat 2000` on every core.
fn peak_memory() -> Result<()> {
    let cli = env!("CARGO_BIN_EXE_wouldblock");
    let cache = std::env::temp_dir().join("wouldblock-bench-cache");
    let measure = |extra: &[&str]| -> Result<u64> {
        let out = Command::new("/usr/bin/time")
            .args(["-f", "%M", cli, "run", "--fault", "first-send"])
            .args(extra)
            .args([UDP_SEND.path, "--", "127.0.0.1:9"])
            .env("XDG_CACHE_HOME", &cache)
            .stdout(Stdio::null())
            .output()?;
        let text = String::from_utf8_lossy(&out.stderr);
        let kib = text.lines().last().and_then(|l| l.trim().parse().ok());
        kib.context("GNU time printed no peak RSS (apt-get install time)")
    };
    match (measure(&[]), measure(&["--repeat", "2000"])) {
        (Ok(one), Ok(many)) => println!(
            "peak RSS: one run {:.1} MB, --repeat 2000 on {} threads {:.1} MB",
            one as f64 / 1024.0,
            cores(),
            many as f64 / 1024.0
        ),
        (Err(e), _) | (_, Err(e)) => println!("peak RSS: not measured ({e})"),
    }
    Ok(())
}
