//! Probes what the harness gives a guest and how it holds against a hostile one: `env` prints its environment, `alloc MIB` tries to reserve memory and says whether it was refused, `alloc-abort MIB` allocates and aborts if refused, `exit CODE` exits with CODE, `partial-line` leaves stderr mid-line, `recurse` overflows its stack, `spin` loops forever without a socket call, `flood MIB` writes MIB of output, `sockets N` opens N UDP sockets, `send-to ADDR` sends one datagram with std from 127.0.0.1, `send-from-any ADDR` the same from a socket bound to 0.0.0.0:0, `std-tcp-echo ADDR` connects with std's `TcpStream` (an implicit bind to 0.0.0.0:0) and checks a 5-byte echo, `tcp-overwrite ADDR` writes one byte past its `check-write` permit, `bind tcp|udp ADDR` binds a socket to ADDR and says what the host answered, `read PATH` prints a file, `random-sockets` opens a random number (1 to 8) of sockets.

use std::io::Write;
use std::net::{SocketAddr, UdpSocket};

use wouldblock_guest::program;

const USAGE: &str = "usage: probe env | alloc MIB | alloc-abort MIB | exit CODE | partial-line \
                     | recurse | spin | flood MIB | sockets N | send-to ADDR | send-from-any ADDR | std-tcp-echo ADDR | tcp-overwrite ADDR | bind tcp|udp ADDR | read PATH \
                     | random-sockets";

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
        Some("read") => {
            let path = args.get(1).unwrap_or_else(|| usage());
            match std::fs::read_to_string(path) {
                Ok(text) => print!("{text}"),
                Err(err) => program::fail(format_args!("read {path}: {}", program::describe(&err))),
            }
        }
        Some("random-sockets") => {
            // Random, so two runs take two paths: what the determinism check must catch.
            let n = wasi::random::random::get_random_u64() % 8 + 1;
            sockets(n);
        }
        Some("recurse") => println!("depth {}", recurse(0)),
        Some("spin") => spin(),
        Some("flood") => flood(number(1)),
        Some("sockets") => sockets(number(1)),
        Some(how @ ("send-to" | "send-from-any")) => {
            let addr: SocketAddr = args
                .get(1)
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| usage());
            // The commonest idiom binds the unspecified address.
            let local = if how == "send-to" {
                "127.0.0.1:0"
            } else {
                "0.0.0.0:0"
            };
            let sent = UdpSocket::bind(local).and_then(|s| s.send_to(b"0", addr));
            match sent {
                Ok(_) => println!("sent to {addr}"),
                Err(err) => {
                    program::fail(format_args!("send to {addr}: {}", program::describe(&err)))
                }
            }
        }
        Some("std-tcp-echo") => {
            let addr: SocketAddr = args
                .get(1)
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| usage());
            match std_tcp_echo(addr) {
                Ok(()) => println!("echoed by {addr}"),
                Err(err) => program::fail(format_args!(
                    "tcp echo with {addr}: {}",
                    program::describe(&err)
                )),
            }
        }
        Some("bind") => {
            let addr: SocketAddr = args
                .get(2)
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| usage());
            let bound = match args.get(1).map(String::as_str) {
                Some("tcp") => wouldblock_guest::tcp::TcpListener::bind(addr).map(drop),
                Some("udp") => wouldblock_guest::udp::UdpSocket::bind(addr).map(drop),
                _ => usage(),
            };
            match bound {
                Ok(()) => println!("bound {addr}"),
                Err(err) => program::fail(format_args!("bind {addr}: {}", program::describe(&err))),
            }
        }
        Some("tcp-overwrite") => {
            let addr: SocketAddr = args
                .get(1)
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| usage());
            tcp_overwrite(addr);
        }
        _ => usage(),
    }
}

/// One byte past the permit: the host must trap it.
fn tcp_overwrite(addr: SocketAddr) {
    let stream = wouldblock_guest::tcp::TcpStream::connect(addr)
        .unwrap_or_else(|err| program::fail(format_args!("connect: {}", program::describe(&err))));
    let (_, output) = stream.as_wasi_streams();
    let permit = loop {
        match output.check_write() {
            Ok(0) => stream.write_pollable().block(),
            Ok(permit) => break permit,
            Err(err) => program::fail(format_args!("check-write: {err:?}")),
        }
    };
    let _ = output.write(&vec![0; permit as usize + 1]);
    println!("wrote {} bytes on a permit of {permit}", permit + 1);
}

/// std's blocking TCP client, as ported code uses it: connect, write, read the echo.
fn std_tcp_echo(addr: SocketAddr) -> std::io::Result<()> {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.write_all(b"hello")?;
    let mut echo = [0; 5];
    stream.read_exact(&mut echo)?;
    if &echo != b"hello" {
        return Err(std::io::Error::other("the echo differs"));
    }
    Ok(())
}

/// Deeper and deeper until the stack runs out: each frame keeps a buffer alive. The
/// bound is far past any stack, and keeps the compiler from calling it endless.
fn recurse(depth: u64) -> u64 {
    let frame = std::hint::black_box([depth as u8; 1024]);
    if depth == u64::MAX {
        return 0;
    }
    u64::from(frame[0]) + recurse(depth + 1)
}

/// Busy forever, no host call at all: only the time limit can stop it.
fn spin() -> ! {
    let mut n: u64 = 0;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
    }
}

/// `mib` MiB to stdout, in 64 KiB writes.
fn flood(mib: u64) {
    let chunk = vec![b'x'; 64 << 10];
    let mut out = std::io::stdout().lock();
    for _ in 0..mib * 16 {
        if out.write_all(&chunk).is_err() {
            program::fail("stdout refused a write");
        }
    }
}

/// Opens up to `n` UDP sockets and keeps them open; says how many and why it stopped.
fn sockets(n: u64) {
    let mut open = Vec::new();
    for _ in 0..n {
        match UdpSocket::bind("127.0.0.1:0") {
            Ok(socket) => open.push(socket),
            Err(err) => {
                println!("{} sockets, then {}", open.len(), program::describe(&err));
                return;
            }
        }
    }
    println!("{} sockets", open.len());
}

fn usage() -> ! {
    eprintln!("{USAGE}");
    program::exit(program::EXIT_USAGE)
}
