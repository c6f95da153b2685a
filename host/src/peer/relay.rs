//! The relay to a server the harness does not own (toxiproxy's idea, written here): the
//! guest's `connect` to a real server reaches a listener of the harness instead, and the
//! harness connects to the server itself. The guest's bytes go on to the server as they
//! come; the server's bytes are held, and handed to the guest only when the guest waits
//! and the server has gone quiet. So what a non-blocking read finds does not depend on
//! how fast the server answered: the server's answer is in the guest's socket at the same
//! step of every run. The guest's trace and `remote-address` show the real server.

use super::PeerIo;
use nix::sys::socket::{MsgFlags, send, setsockopt, sockopt};
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long the harness gives a server to accept its connection.
const CONNECT_LIMIT: Duration = Duration::from_secs(2);
/// How long the relay's listener waits for the guest's own connection to arrive.
const ACCEPT_LIMIT: Duration = Duration::from_secs(20);
/// The longest a server that has begun to answer may pause before its answer is taken as
/// whole: a local server writes an answer in one or a few calls, microseconds apart.
pub(crate) const SILENCE: Duration = Duration::from_millis(25);
/// The shortest such pause. Between the two, a pause of [`SILENCE_FACTOR`] times how
/// long the server took to begin: a server slowed down (a loaded machine) is given
/// longer, a fast one costs the guest's wait little.
pub(crate) const SILENCE_MIN: Duration = Duration::from_millis(5);
pub(crate) const SILENCE_FACTOR: u32 = 4;
/// How long a fresh connection gives the server to greet the guest (SMTP, MySQL do;
/// redis and HTTP wait for the client) before the guest's first wait goes on without it.
const GREETING: Duration = Duration::from_millis(10);
/// The most handed to the guest at one wait: well within a fresh connection's receive
/// window, so all of it is in the guest's socket when the wait ends, whatever the
/// kernel's buffer tuning made of the window (a whole held answer at once filled it to
/// 29 or 64 KiB, run by run).
const RELEASE_CHUNK: usize = 16 << 10;
/// How long a release waits for what it wrote to leave for the guest's socket.
const DELIVERY_LIMIT: Duration = Duration::from_millis(2);
/// The most the relay holds for the guest; past it the server is not read, and TCP's
/// own flow control slows it down, as a guest that does not read would.
const HELD_LIMIT: usize = 4 << 20;

/// How the server ended its side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// It closed (FIN): the guest sees the end after the last byte.
    Closed,
    /// It reset the connection: the guest's connection is reset too.
    Reset,
}

/// What the relay knows of one connection, under one lock.
struct State {
    /// The guest's end of the connection, once the guest has connected.
    guest: Option<Arc<TcpStream>>,
    /// The server's bytes not yet handed to the guest.
    held: VecDeque<u8>,
    /// How the server ended, once it has.
    end: Option<End>,
    /// Whether the end has been passed on to the guest.
    ended: bool,
    /// When the guest's bytes last reached the server (first: the connection).
    asked: Instant,
    /// Whether `asked` is the connection itself, not a request.
    greeting: bool,
    /// When the server's last byte came, if it has sent one since `asked`.
    answered: Option<Instant>,
    /// How long the server took to begin answering `asked`.
    latency: Duration,
}

/// One relayed connection: the guest's side, the server's side, and the threads between.
pub(crate) struct Relay {
    server: SocketAddr,
    listen: SocketAddr,
    state: Arc<(Mutex<State>, Condvar)>,
    /// Set while the guest waits: the server's bytes go straight through then.
    waiting: Arc<AtomicBool>,
    /// The server's side, shut down when the run ends.
    upstream: Arc<TcpStream>,
    io: Arc<PeerIo>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("server", &self.server)
            .field("listen", &self.listen)
            .finish_non_exhaustive()
    }
}

impl Relay {
    /// Connects to `server`, then listens on loopback for the guest; `Err` if the server
    /// cannot be reached (the guest then connects for real and meets the same answer).
    pub(crate) fn open(server: SocketAddr) -> io::Result<Relay> {
        let upstream = Arc::new(TcpStream::connect_timeout(&server, CONNECT_LIMIT)?);
        upstream.set_nodelay(true)?;
        let loopback = match server.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        };
        let listener = TcpListener::bind((loopback, 0))?;
        let listen = listener.local_addr()?;
        let state = Arc::new((
            Mutex::new(State {
                guest: None,
                held: VecDeque::new(),
                end: None,
                ended: false,
                asked: Instant::now(),
                greeting: true,
                answered: None,
                latency: Duration::ZERO,
            }),
            Condvar::new(),
        ));
        let relay = Relay {
            server,
            listen,
            state,
            waiting: Arc::new(AtomicBool::new(false)),
            upstream,
            io: Arc::new(PeerIo::default()),
        };
        let (state, io, upstream) = (
            relay.state.clone(),
            relay.io.clone(),
            relay.upstream.clone(),
        );
        std::thread::spawn(move || forward(listener, &state, &io, &upstream));
        let (state, waiting, upstream) = (
            relay.state.clone(),
            relay.waiting.clone(),
            relay.upstream.clone(),
        );
        let io = relay.io.clone();
        std::thread::spawn(move || hold(&upstream, &state, &waiting, &io));
        Ok(relay)
    }

    /// The real server.
    pub(crate) fn server(&self) -> SocketAddr {
        self.server
    }

    /// Where the guest connects instead.
    pub(crate) fn listen(&self) -> SocketAddr {
        self.listen
    }

    /// The relay's counters, settled with the harness's other TCP peers.
    pub(crate) fn io(&self) -> Arc<PeerIo> {
        self.io.clone()
    }

    /// The guest waits (`true`) or has stopped: while it waits, the server's bytes go
    /// straight through.
    pub(crate) fn set_waiting(&self, now: bool) {
        self.waiting.store(now, Ordering::Release);
    }

    /// Whether the server has nothing more coming for now: it ended, the relay holds all
    /// it may, it answered the guest's last bytes and then paused for [`SILENCE`], or it
    /// has not answered within `answer_wait` (a fresh connection: [`GREETING`]).
    pub(crate) fn quiet(&self, answer_wait: Duration) -> bool {
        let state = self.lock();
        if state.end.is_some() || state.held.len() >= HELD_LIMIT {
            return true;
        }
        match state.answered {
            Some(at) => {
                let pause = (state.latency * SILENCE_FACTOR).clamp(SILENCE_MIN, SILENCE);
                at.elapsed() >= pause
            }
            None if state.greeting => state.asked.elapsed() >= GREETING,
            None => state.asked.elapsed() >= answer_wait,
        }
    }

    /// Whether the guest's bytes have reached the server and it has not answered them.
    pub(crate) fn unanswered(&self) -> bool {
        let state = self.lock();
        !state.greeting && state.answered.is_none() && state.end.is_none()
    }

    /// Hands the guest what the relay holds, as much as its socket takes now.
    pub(crate) fn release(&self) {
        release(&mut self.lock(), &self.io);
        // The holding thread may wait for room.
        self.state.1.notify_all();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        // Both threads see their sockets end and stop.
        let _ = self.upstream.shutdown(Shutdown::Both);
        let mut state = self.lock();
        if let Some(guest) = state.guest.take() {
            let _ = guest.shutdown(Shutdown::Both);
        }
        state.end.get_or_insert(End::Closed);
        self.state.1.notify_all();
    }
}

/// Writes what is held to the guest's socket without blocking; once all is there, passes
/// the server's end on.
fn release(state: &mut State, io: &PeerIo) {
    let Some(guest) = state.guest.clone() else {
        return;
    };
    // What was handed over last time and has not left yet: the guest's window is closed,
    // and it gets nothing more until it reads.
    if unsent(&guest) > 0 {
        return;
    }
    let mut budget = RELEASE_CHUNK;
    while !state.held.is_empty() && budget > 0 {
        let (front, _) = state.held.as_slices();
        let front = &front[..front.len().min(budget)];
        let flags = MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL;
        let Ok(n) = send(guest.as_raw_fd(), front, flags) else {
            break;
        };
        io.offered.fetch_add(n as u64, Ordering::AcqRel);
        state.held.drain(..n);
        budget -= n;
    }
    let start = Instant::now();
    while unsent(&guest) > 0 && start.elapsed() < DELIVERY_LIMIT {
        std::thread::yield_now();
    }
    if !state.held.is_empty() {
        return;
    }
    match (state.end, state.ended) {
        (Some(End::Closed), false) => {
            let _ = guest.shutdown(Shutdown::Write);
            state.ended = true;
        }
        (Some(End::Reset), false) => {
            // A zero linger turns the close into a reset; the forwarding thread, woken by
            // the read shutdown, drops the last handle.
            let _ = setsockopt(
                &*guest,
                sockopt::Linger,
                &nix::libc::linger {
                    l_onoff: 1,
                    l_linger: 0,
                },
            );
            let _ = guest.shutdown(Shutdown::Read);
            state.guest = None;
            state.ended = true;
        }
        _ => {}
    }
}

/// Acknowledges what `socket` received at once, not after the kernel's delayed-ACK
/// timer (up to 40 ms on Linux): a sender under Nagle's algorithm (most servers, most
/// guests) holds its next small write until that ACK, so without it an answer written in
/// two parts would arrive 40 ms apart, long after the relay took it as whole. Linux
/// clears the flag as it goes, so it is set again after every read.
fn ack_now(socket: &TcpStream) {
    let on: nix::libc::c_int = 1;
    // SAFETY: setsockopt reads one int from a pointer to a live c_int of the size given,
    // on a descriptor `socket` keeps open.
    unsafe {
        nix::libc::setsockopt(
            socket.as_raw_fd(),
            nix::libc::IPPROTO_TCP,
            nix::libc::TCP_QUICKACK,
            (&on as *const nix::libc::c_int).cast(),
            std::mem::size_of::<nix::libc::c_int>() as nix::libc::socklen_t,
        );
    }
}

/// Bytes written to `socket` that have not left it yet (Linux's `SIOCOUTQNSD`; sent but
/// unacknowledged bytes are not counted: on loopback they are in the guest's socket).
fn unsent(socket: &TcpStream) -> i32 {
    let mut unsent: nix::libc::c_int = 0;
    // SAFETY: the ioctl writes one int through a pointer to a live, aligned c_int, on a
    // descriptor `socket` keeps open.
    let ok = unsafe { nix::libc::ioctl(socket.as_raw_fd(), nix::libc::SIOCOUTQNSD, &mut unsent) };
    if ok == 0 { unsent } else { 0 }
}

/// The guest's side: accepts the guest's connection, then forwards its bytes to the
/// server until the guest ends its side.
fn forward(
    listener: TcpListener,
    state: &Arc<(Mutex<State>, Condvar)>,
    io: &Arc<PeerIo>,
    upstream: &TcpStream,
) {
    let Some(guest) = accept(&listener) else {
        let _ = upstream.shutdown(Shutdown::Both);
        return;
    };
    let _ = guest.set_nodelay(true);
    let guest = Arc::new(guest);
    {
        let mut held = state.0.lock().unwrap_or_else(|p| p.into_inner());
        held.guest = Some(guest.clone());
    }
    let mut buf = vec![0; 64 << 10];
    loop {
        let n = (&*guest).read(&mut buf).unwrap_or(0);
        ack_now(&guest);
        let busy = io.busy();
        let reset = {
            let held = state.0.lock().unwrap_or_else(|p| p.into_inner());
            held.end == Some(End::Reset) && held.ended
        };
        if n == 0 || reset {
            if !reset {
                // The guest's end is a request too: the server's answer is often its own
                // end, and the guest's next wait is for it.
                let mut held = state.0.lock().unwrap_or_else(|p| p.into_inner());
                (held.asked, held.greeting, held.answered) = (Instant::now(), false, None);
                drop(held);
                let _ = upstream.shutdown(Shutdown::Write);
            }
            io.ends.fetch_add(1, Ordering::AcqRel);
            drop(busy);
            return;
        }
        {
            // Before the write: the answer may come before this thread runs again.
            let mut held = state.0.lock().unwrap_or_else(|p| p.into_inner());
            (held.asked, held.greeting, held.answered) = (Instant::now(), false, None);
        }
        let sent = (&*upstream).write_all(&buf[..n]);
        io.received.fetch_add(n as u64, Ordering::AcqRel);
        // A server gone mid-write has ended its side too: the holding thread sees it, and
        // the guest meets that end.
        drop((sent, busy));
    }
}

/// Waits for the guest's connection, a bounded time (a guest may drop its socket before
/// connecting).
fn accept(listener: &TcpListener) -> Option<TcpStream> {
    listener.set_nonblocking(true).ok()?;
    let start = Instant::now();
    while start.elapsed() < ACCEPT_LIMIT {
        match listener.accept() {
            Ok((conn, _)) => {
                conn.set_nonblocking(false).ok()?;
                return Some(conn);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_micros(200));
            }
            Err(_) => return None,
        }
    }
    None
}

/// The server's side: reads what the server sends and holds it for the guest (straight
/// through while the guest waits), until the server ends its side.
fn hold(
    upstream: &TcpStream,
    state: &Arc<(Mutex<State>, Condvar)>,
    waiting: &AtomicBool,
    io: &PeerIo,
) {
    let mut buf = vec![0; 64 << 10];
    loop {
        let read = (&*upstream).read(&mut buf);
        ack_now(upstream);
        let (lock, room) = &**state;
        let mut held = lock.lock().unwrap_or_else(|p| p.into_inner());
        match read {
            Ok(0) => held.end.get_or_insert(End::Closed),
            Ok(n) => {
                while held.held.len() >= HELD_LIMIT && held.end.is_none() {
                    held = room.wait(held).unwrap_or_else(|p| p.into_inner());
                }
                held.held.extend(&buf[..n]);
                let now = Instant::now();
                if held.answered.is_none() {
                    held.latency = now - held.asked;
                }
                held.answered = Some(now);
                if waiting.load(Ordering::Acquire) {
                    release(&mut held, io);
                }
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                held.end.get_or_insert(End::Reset)
            }
            Err(_) => held.end.get_or_insert(End::Closed),
        };
        if waiting.load(Ordering::Acquire) {
            release(&mut held, io);
        }
        return;
    }
}
