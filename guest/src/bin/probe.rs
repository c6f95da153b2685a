//! Probes what the harness gives a guest and how it holds against a hostile one: `env` prints its environment, `alloc MIB` tries to reserve memory and says whether it was refused, `alloc-abort MIB` allocates and aborts if refused, `exit CODE` exits with CODE, `partial-line` leaves stderr mid-line, `recurse` overflows its stack, `spin` loops forever without a socket call, `flood MIB` writes MIB of output, `sockets N` opens N UDP sockets, `send-to ADDR [TEXT]` sends one datagram ("0", or TEXT) with std from 127.0.0.1, `send-from-any ADDR` the same from a socket bound to 0.0.0.0:0, `std-tcp-echo ADDR` connects with std's `TcpStream` (an implicit bind to 0.0.0.0:0) and checks a 5-byte echo, `tcp-overwrite ADDR` writes one byte past its `check-write` permit, `bind tcp|udp ADDR` binds a socket to ADDR and says what the host answered, `bind-checks` checks what binds answer over both protocols and families (an ephemeral port on the address asked for, `address-in-use` for a held address, a freed port bound again at once, `address-not-bindable` for an address not on this machine, `invalid-argument` for the wrong family or a multicast address), `lookup-checks` checks what name lookups answer (`localhost` is 127.0.0.1 then ::1, an address is itself, a malformed name is `invalid-argument`, an unknown one `name-unresolvable`), `read PATH` prints a file, `random-sockets` opens a random number (1 to 8) of sockets, `busy-poll ADDR` sends a datagram to ADDR and polls a zero-duration timer beside its socket until the reply is there (at most 10,000 polls), `block-two ADDR [self]` sends a datagram to ADDR from a connected socket and waits, with no clock, on its incoming pollable and a second socket's (which `self` sends one to as well).

use std::io::Write;
use std::net::{SocketAddr, UdpSocket};

use wouldblock_guest::program;

const USAGE: &str = "usage: probe env | alloc MIB | alloc-abort MIB | exit CODE | partial-line \
                     | recurse | spin | flood MIB | sockets N | send-to ADDR [TEXT] | send-from-any ADDR | std-tcp-echo ADDR | tcp-overwrite ADDR | bind tcp|udp ADDR | bind-checks | lookup-checks | read PATH \
                     | random-sockets | busy-poll ADDR | block-two ADDR [self]";

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
        Some("busy-poll") => {
            let addr = args
                .get(1)
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| usage());
            busy_poll(addr);
        }
        Some("block-two") => {
            let addr = args
                .get(1)
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| usage());
            block_two(addr, args.get(2).is_some_and(|a| a == "self"));
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
            // The payload: "0" (datagram 0 of the numbered form), or the text given.
            let payload = args.get(2).map_or("0", String::as_str);
            let sent = UdpSocket::bind(local).and_then(|s| s.send_to(payload.as_bytes(), addr));
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
        Some("bind-checks") => bind_checks::run(),
        Some("lookup-checks") => lookup_checks(),
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

/// One socket connected to `peer`, one bound alone; a datagram to the peer (and, with
/// `to_self`, one to the second socket), then one wait on both incoming pollables.
fn block_two(peer: SocketAddr, to_self: bool) {
    use wouldblock_guest::udp::UdpSocket as WasiUdp;
    let fail = |what: &str, err: std::io::Error| -> ! {
        program::fail(format_args!("{what}: {}", program::describe(&err)))
    };
    let local = wouldblock_guest::udp::loopback_for(peer);
    let mut first = WasiUdp::bind(local).unwrap_or_else(|e| fail("bind", e));
    first.connect(peer).unwrap_or_else(|e| fail("connect", e));
    let second = WasiUdp::bind(local).unwrap_or_else(|e| fail("bind", e));
    first.send(b"0").unwrap_or_else(|e| fail("send", e));
    if to_self {
        let to = second
            .local_addr()
            .unwrap_or_else(|e| fail("local address", e));
        second
            .send_to(b"0", to)
            .unwrap_or_else(|e| fail("send to itself", e));
    }
    let first_ready = first
        .wait_incoming_with(&second)
        .unwrap_or_else(|e| fail("poll", e));
    println!("ready: {}", if first_ready { "first" } else { "second" });
}

/// wasmtime's regression case for zero-timeout polling (wasmtime#13040): a poll on a
/// zero-duration timer and a socket, again and again, must see the socket become ready.
fn busy_poll(peer: SocketAddr) {
    use wouldblock_guest::udp::UdpSocket as WasiUdp;
    let fail = |what: &str, err: std::io::Error| -> ! {
        program::fail(format_args!("{what}: {}", program::describe(&err)))
    };
    let mut socket = WasiUdp::bind(wouldblock_guest::udp::loopback_for(peer))
        .unwrap_or_else(|e| fail("bind", e));
    socket.connect(peer).unwrap_or_else(|e| fail("connect", e));
    socket.send(b"0").unwrap_or_else(|e| fail("send", e));
    for polls in 1..=10_000u32 {
        let timer = wasi::clocks::monotonic_clock::subscribe_duration(0);
        if socket
            .incoming_or(&timer)
            .unwrap_or_else(|e| fail("poll", e))
        {
            println!("ready after {polls} poll(s)");
            return;
        }
    }
    program::fail("socket still not ready after 10000 polls")
}

/// What name lookups must answer: each check prints `ok ...` or exits 1.
fn lookup_checks() {
    use std::time::Duration;
    use wouldblock_guest::lookup::resolve;
    let timeout = Some(Duration::from_secs(5));
    let answer = |name: &str| match resolve(name, timeout) {
        Ok(addresses) => {
            let text: Vec<String> = addresses.iter().map(ToString::to_string).collect();
            text.join(" ")
        }
        Err(err) => err.to_string(),
    };
    let cases = [
        ("localhost", "127.0.0.1 ::1"),
        ("LocalHost", "127.0.0.1 ::1"),
        ("0.0.0.0", "0.0.0.0"),
        ("192.0.2.0", "192.0.2.0"),
        ("::", "::"),
        ("[::]", "::"),
        ("::1", "::1"),
        ("2001:0db8:0:0:0:0:0:0", "2001:db8::"),
        ("DEAD:BEEF::0", "dead:beef::"),
        ("", "wasi error-code invalid-argument"),
        (" ", "wasi error-code invalid-argument"),
        ("a.b<&>", "wasi error-code invalid-argument"),
        ("127.0.0.1:80", "wasi error-code invalid-argument"),
        ("[::]:80", "wasi error-code invalid-argument"),
        ("http://example.com/", "wasi error-code invalid-argument"),
        ("no-such-host.invalid", "wasi error-code name-unresolvable"),
    ];
    for (name, want) in cases {
        let got = answer(name);
        if got != want {
            program::fail(format_args!(
                "lookup of {name:?}: got `{got}`, expected `{want}`"
            ));
        }
        println!("ok {name:?}: {got}");
    }
    println!("lookup checks passed");
}

/// What a host must answer to binds, as the kernel does: each check prints `ok ...` or
/// exits 1 naming what differed. IPv6 is checked where the machine has `::1`.
mod bind_checks {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

    use wasi::io::poll::Pollable;
    use wasi::sockets::instance_network::instance_network;
    use wasi::sockets::network::{ErrorCode, IpAddressFamily};
    use wasi::sockets::tcp::TcpSocket;
    use wasi::sockets::tcp_create_socket::create_tcp_socket;
    use wasi::sockets::udp::UdpSocket;
    use wasi::sockets::udp_create_socket::create_udp_socket;
    use wouldblock_guest::program;

    /// A socket of either protocol, as far as binding goes.
    enum Socket {
        Tcp(TcpSocket),
        Udp(UdpSocket),
    }

    impl Socket {
        fn new(tcp: bool, family: IpAddressFamily) -> Socket {
            let made = if tcp {
                create_tcp_socket(family).map(Socket::Tcp)
            } else {
                create_udp_socket(family).map(Socket::Udp)
            };
            made.unwrap_or_else(|code| program::fail(format_args!("create: {code:?}")))
        }

        fn subscribe(&self) -> Pollable {
            match self {
                Socket::Tcp(s) => s.subscribe(),
                Socket::Udp(s) => s.subscribe(),
            }
        }

        /// `start-bind`, then `finish-bind` until it is no longer pending.
        fn bind(&self, addr: SocketAddr) -> Result<SocketAddr, ErrorCode> {
            let (network, to) = (instance_network(), wouldblock_guest::udp::to_wasi(addr));
            match self {
                Socket::Tcp(s) => s.start_bind(&network, to)?,
                Socket::Udp(s) => s.start_bind(&network, to)?,
            }
            let ready = self.subscribe();
            loop {
                let finished = match self {
                    Socket::Tcp(s) => s.finish_bind(),
                    Socket::Udp(s) => s.finish_bind(),
                };
                match finished {
                    Err(ErrorCode::WouldBlock) => ready.block(),
                    Err(code) => return Err(code),
                    Ok(()) => break,
                }
            }
            drop(ready);
            let local = match self {
                Socket::Tcp(s) => s.local_address(),
                Socket::Udp(s) => s.local_address(),
            };
            local.map(wouldblock_guest::udp::from_wasi)
        }

        /// A TCP socket listens (a held address is one something listens on).
        fn listen(&self) {
            let Socket::Tcp(s) = self else { return };
            let done = s.start_listen().and_then(|()| {
                let ready = s.subscribe();
                loop {
                    match s.finish_listen() {
                        Err(ErrorCode::WouldBlock) => ready.block(),
                        other => break other,
                    }
                }
            });
            done.unwrap_or_else(|code| program::fail(format_args!("listen: {code:?}")));
        }
    }

    fn family(ip: IpAddr) -> IpAddressFamily {
        match ip {
            IpAddr::V4(_) => IpAddressFamily::Ipv4,
            IpAddr::V6(_) => IpAddressFamily::Ipv6,
        }
    }

    /// `what` answered `got`; it had to be `want`.
    fn expect(what: &str, got: Result<SocketAddr, ErrorCode>, want: Option<ErrorCode>) {
        match (got, want) {
            (Err(code), Some(want)) if code == want => println!("ok {what}: {}", code.name()),
            (Ok(addr), None) => println!("ok {what}: {addr}"),
            (got, want) => program::fail(format_args!(
                "{what}: got {got:?}, expected {}",
                want.map_or("success".to_string(), |c| c.name().to_string())
            )),
        }
    }

    fn check(tcp: bool, ip: IpAddr, not_here: IpAddr) {
        let proto = if tcp { "tcp" } else { "udp" };
        for any in [
            ip,
            if ip.is_ipv4() {
                Ipv4Addr::UNSPECIFIED.into()
            } else {
                Ipv6Addr::UNSPECIFIED.into()
            },
        ] {
            let socket = Socket::new(tcp, family(any));
            let bound = socket.bind(SocketAddr::new(any, 0));
            match bound {
                Ok(addr) if addr.ip() == any && addr.port() != 0 => {
                    println!("ok {proto} bind {any} port 0: {addr}")
                }
                other => program::fail(format_args!("{proto} bind {any} port 0: {other:?}")),
            }
        }
        let holder = Socket::new(tcp, family(ip));
        let held = holder
            .bind(SocketAddr::new(ip, 0))
            .unwrap_or_else(|code| program::fail(format_args!("{proto} bind {ip}: {code:?}")));
        holder.listen();
        let second = Socket::new(tcp, family(ip)).bind(held);
        expect(
            &format!("{proto} bind {held} while held"),
            second,
            Some(ErrorCode::AddressInUse),
        );
        drop(holder);
        let again = Socket::new(tcp, family(ip)).bind(held);
        expect(&format!("{proto} bind {held} once freed"), again, None);
        let elsewhere = Socket::new(tcp, family(not_here)).bind(SocketAddr::new(not_here, 0));
        expect(
            &format!("{proto} bind {not_here}"),
            elsewhere,
            Some(ErrorCode::AddressNotBindable),
        );
        let wrong: IpAddr = if ip.is_ipv4() {
            Ipv6Addr::LOCALHOST.into()
        } else {
            Ipv4Addr::LOCALHOST.into()
        };
        let mismatched = Socket::new(tcp, family(ip)).bind(SocketAddr::new(wrong, 0));
        let other = if ip.is_ipv4() { "IPv4" } else { "IPv6" };
        expect(
            &format!("{proto} bind {wrong} on an {other} socket"),
            mismatched,
            Some(ErrorCode::InvalidArgument),
        );
        if tcp {
            let multicast: IpAddr = if ip.is_ipv4() {
                Ipv4Addr::new(224, 254, 0, 0).into()
            } else {
                Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0).into()
            };
            let group = Socket::new(tcp, family(multicast)).bind(SocketAddr::new(multicast, 0));
            expect(
                &format!("tcp bind {multicast}"),
                group,
                Some(ErrorCode::InvalidArgument),
            );
        }
    }

    pub(super) fn run() {
        let v6 = Socket::new(true, IpAddressFamily::Ipv6)
            .bind(SocketAddr::new(Ipv6Addr::LOCALHOST.into(), 0))
            .is_ok();
        for tcp in [true, false] {
            check(
                tcp,
                Ipv4Addr::LOCALHOST.into(),
                Ipv4Addr::new(192, 0, 2, 0).into(),
            );
            if v6 {
                let doc = Ipv6Addr::new(0x2001, 0x0db8, 0, 0, 0, 0, 0, 0);
                check(tcp, Ipv6Addr::LOCALHOST.into(), doc.into());
            }
        }
        println!("bind checks passed (ipv6: {v6})");
    }
}
