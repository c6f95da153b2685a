//! The `wouldblock` command: run a component under a fault plan, or run the demo.

mod cli;
mod demo_cases;

fn main() -> std::process::ExitCode {
    cli::main()
}
