//! The `wouldblock` command: run a component under a fault plan, or run the demo.

mod catalogue;
mod cmd_explore;
mod cmd_repeat;
mod cmd_test;
mod demo;
mod options;
mod run;

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use wouldblock::{EXIT_USAGE, plan::PRESETS};

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
    Run(Box<run::RunArgs>),
    /// Run a libtest component's tests, each in its own fresh instance under the plan,
    /// in parallel, and print one line per test (nextest's shape); `--junit FILE` too.
    ///
    /// wouldblock test --fault first-send target/wasm32-wasip2/debug/deps/my_tests-HASH.wasm
    Test(Box<cmd_test::TestArgs>),
    /// Run the bundled guests under every first-send form and every preset of the fault
    /// catalogue, against real UDP and TCP sockets on 127.0.0.1, and print both tables.
    Demo(demo::DemoArgs),
    /// Find readiness bugs with no plan given: a fault-free run names every socket call
    /// and wait, then every answer the WIT allows is tried at each, one fault a run; each
    /// finding is shrunk and written as a plan that `wouldblock run --plan` replays.
    ///
    /// wouldblock explore --expect-datagrams 16 udp-burst-drop.wasm -- {peer} --count 16
    Explore(Box<cmd_explore::ExploreArgs>),
    /// List the fault presets.
    Presets,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(*args),
        Command::Test(args) => cmd_test::test(*args),
        Command::Demo(args) => demo::demo(args),
        Command::Explore(args) => cmd_explore::explore(*args),
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
