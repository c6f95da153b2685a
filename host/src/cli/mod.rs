//! The command line: one file per command, the options they share (`options.rs`), and the
//! one reporter that every command running guests under a plan prints through
//! (`reporter/`); the demo and `presets` print tables of their own.

mod demo;
mod explore;
mod explore_suite;
mod files;
mod options;
mod output;
mod presets;
mod repeat;
mod replay;
mod reporter;
mod run;
mod shell;
mod signal;
mod test;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit status for bad usage or bad input (missing file, not a component, bad plan).
const EXIT_USAGE: u8 = 2;

/// What `--version` says: the tool's version and the runtime inside it, which decides what
/// a real host answers (the versions are pinned exactly in `host/Cargo.toml`; a test checks
/// this line against `Cargo.lock`).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (wasmtime 48.0.8, wasmtime-wasi 48.0.8, wasmtime-wasi-http 48.0.8)"
);

/// Deterministic socket-readiness faults for WASI 0.2 components.
#[derive(Parser)]
#[command(version = VERSION, about, long_about = None)]
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
    Test(Box<test::TestArgs>),
    /// Run the bundled guests under every first-send form and every preset of the fault
    /// catalogue, against real UDP and TCP sockets on 127.0.0.1, and print both tables.
    Demo(demo::DemoArgs),
    /// Find readiness bugs with no plan given: a fault-free run names every socket call
    /// and wait, then every answer the WIT allows is tried at each, one fault a run; each
    /// finding is shrunk and written as a plan that `wouldblock run --plan` replays.
    ///
    /// wouldblock explore --expect-datagrams 16 udp-burst-drop.wasm -- {peer} --count 16
    Explore(Box<explore::ExploreArgs>),
    /// List the fault presets.
    Presets,
    /// Print a shell completion script: `wouldblock completions bash > /etc/bash_completion.d/wouldblock`.
    Completions {
        /// The shell: bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

/// Parses the command line and runs the command; its status, or 2 for bad input.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // A panic of the harness is its own failure: exit 2 like any harness error, never 101,
    // which is a guest's panic status.
    let result = std::panic::catch_unwind(|| match cli.command {
        Command::Run(args) => run::run(*args),
        Command::Test(args) => test::test(*args),
        Command::Demo(args) => demo::demo(args),
        Command::Explore(args) => explore::explore(*args),
        Command::Presets => presets::presets(),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "wouldblock", &mut std::io::stdout());
            Ok(0)
        }
    });
    match result {
        Ok(Ok(code)) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Ok(Err(error)) => {
            eprintln!("wouldblock: error: {error:#}");
            ExitCode::from(EXIT_USAGE)
        }
        Err(_) => {
            eprintln!(
                "wouldblock: error: the harness itself failed (the panic above is a bug in \
                 wouldblock, not the guest's doing; no verdict was reached)"
            );
            ExitCode::from(EXIT_USAGE)
        }
    }
}
