//! Run-time benchmark: compile cost, cached load cost and time per run of the bundled
//! guests under the first-send fault. `cargo bench -p wouldblock`; results are written
//! down in BENCHMARKS.md.

use anyhow::Result;
use std::time::{Duration, Instant};
use wouldblock::guests::{UDP_SEND, UDP_SEND_NAIVE};
use wouldblock::{Builder, Form, PEER_PLACEHOLDER, PeerOptions, Plan, Readiness};

const RUNS: u32 = 200;

fn time<T>(f: impl FnOnce() -> Result<T>) -> Result<(T, Duration)> {
    let start = Instant::now();
    let value = f()?;
    Ok((value, start.elapsed()))
}

fn main() -> Result<()> {
    let plan = Plan::first_send(Form::OkZero, 1, Readiness::NotReady(1));
    let uncached = Builder::new().plan(plan.clone()).build()?;
    let (_, compile) = time(|| Ok(uncached.compile(UDP_SEND.name, UDP_SEND.wasm)?))?;
    println!(
        "compile udp-send, no cache:          {:>8.2} ms",
        ms(compile)
    );

    let cached = Builder::new().plan(plan).cache(true).build()?;
    cached.compile(UDP_SEND.name, UDP_SEND.wasm)?; // warm the on-disk cache
    let fresh = Builder::new().cache(true).build()?;
    let (_, load) = time(|| Ok(fresh.compile(UDP_SEND.name, UDP_SEND.wasm)?))?;
    println!("load udp-send from the disk cache:   {:>8.2} ms", ms(load));

    for (guest, extra) in [
        (&UDP_SEND, vec!["--count", "16"]),
        (&UDP_SEND_NAIVE, vec![]),
    ] {
        let compiled = cached.compile(guest.name, guest.wasm)?;
        let with_peer = cached.with_peer(PeerOptions::counting());
        let args: Vec<&str> = std::iter::once(PEER_PLACEHOLDER).chain(extra).collect();
        let mut total = Duration::ZERO;
        for _ in 0..RUNS {
            let (_, took) = time(|| Ok(with_peer.run(&compiled, &args)?))?;
            total += took;
        }
        println!(
            "run {:<15} under first-send:  {:>8.3} ms/run ({RUNS} runs)",
            guest.name,
            ms(total) / f64::from(RUNS)
        );
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
