//! Probes what the harness gives a guest: `env` prints its environment, `alloc MIB` tries to reserve memory and says whether it was refused, `alloc-abort MIB` allocates and aborts if refused, `exit CODE` exits with CODE, and `partial-line` leaves stderr mid-line.

use std::io::Write;

use wouldblock_guest::program;

const USAGE: &str = "usage: probe env | alloc MIB | alloc-abort MIB | exit CODE | partial-line";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize| -> u64 {
        args.get(i)
            .and_then(|text| text.parse().ok())
            .unwrap_or_else(|| usage())
    };
    match args.first().map(String::as_str) {
        Some("env") => {
            for (name, value) in std::env::vars() {
                println!("{name}={value}");
            }
        }
        Some("alloc") => {
            let mut memory: Vec<u8> = Vec::new();
            // try_reserve sees memory.grow's -1 as an error it can handle.
            match memory.try_reserve_exact((number(1) as usize) << 20) {
                Ok(()) => println!("reserved"),
                Err(_) => println!("refused"),
            }
        }
        Some("alloc-abort") => {
            let memory = vec![1u8; (number(1) as usize) << 20];
            println!("allocated {}", memory.len());
        }
        Some("exit") => program::exit(u8::try_from(number(1)).unwrap_or_else(|_| usage())),
        Some("partial-line") => {
            eprint!("no newline here");
            let _ = std::io::stderr().flush();
        }
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!("{USAGE}");
    program::exit(program::EXIT_USAGE)
}
