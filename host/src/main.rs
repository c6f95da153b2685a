//! The `wouldblock` command: run a component under a fault plan, or run the demo.

mod catalogue;
mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
