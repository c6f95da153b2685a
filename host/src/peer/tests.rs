//! The peer against real sockets on 127.0.0.1.
use super::*;
use nix::sys::socket::{setsockopt, sockopt};
use std::fmt::Write as _;
use std::time::Instant;

impl Peer {
    /// A counting peer whose thread waits, undrained, until the returned sender sends
    /// or is dropped and `finish` has stopped it: lets tests fill the buffer on purpose.
    fn paused(rcvbuf: usize) -> (Peer, mpsc::Sender<()>) {
        let (tx, rx) = mpsc::channel();
        let mut peer = Peer::spawn(false, rcvbuf, Some(rx)).unwrap();
        peer.gate = Some(tx.clone());
        (peer, tx)
    }
}

/// Sends `0..n` from a fresh socket as fast as it can.
fn send(to: SocketAddr, n: u64) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut text = String::new();
    for i in 0..n {
        text.clear();
        write!(text, "{i}").unwrap();
        socket.send_to(text.as_bytes(), to).unwrap();
    }
}

/// Every loss is one the kernel reported, and nothing arrived twice or garbled.
fn assert_accounted(got: &Received, n: u64) -> u64 {
    let drops = got.kernel_drops.expect("SO_MEMINFO works on Linux");
    assert_eq!(got.missing_count(n), drops, "{:?}", got.discrepancy(n));
    assert!(got.duplicated().is_empty() && got.invalid == 0);
    drops
}

#[test]
fn counts_each_number_once() {
    let peer = Peer::start().unwrap();
    send(peer.addr(), 1000);
    let got = peer.finish().unwrap();
    assert!(got.exactly_once(1000), "{:?}", got.discrepancy(1000));
    assert_eq!((got.total(), got.kernel_drops), (1000, Some(0)));
}

#[test]
fn echoes_each_datagram_back() {
    let peer = Peer::echo().unwrap();
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_read_timeout(Some(FINISH_LIMIT)).unwrap();
    let mut buf = [0; 64];
    for i in 0..1000u64 {
        let text = i.to_string();
        client.send_to(text.as_bytes(), peer.addr()).unwrap();
        let (len, from) = client.recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..len], from), (text.as_bytes(), peer.addr()));
    }
    assert!(peer.finish().unwrap().exactly_once(1000));
}

#[test]
fn blasts_are_counted_or_the_drops_accounted() {
    // Enough to fill the 208 KiB buffer many times over; more only costs time.
    const N: u64 = 30_000;
    const RUNS: u32 = 2;
    // The last is the old sink's kernel-default buffer, to make drops likely.
    for (name, rcvbuf) in [
        ("start", rcvbuf_for(0)),
        ("100k", rcvbuf_for(N)),
        ("208K", 212_992),
    ] {
        let (mut runs_with_drops, mut most) = (0, 0);
        for _ in 0..RUNS {
            let peer = Peer::spawn(false, rcvbuf, None).unwrap();
            send(peer.addr(), N);
            let drops = assert_accounted(&peer.finish().unwrap(), N);
            runs_with_drops += u32::from(drops > 0);
            most = most.max(drops);
        }
        println!("{name}: {runs_with_drops}/{RUNS} runs of {N} had kernel drops, at most {most}");
    }
}

#[test]
fn a_full_buffer_at_finish_returns_and_every_loss_is_a_kernel_drop() {
    // The old sink's stop datagram was dropped here and `finish` hung. The thread only
    // starts draining once `finish` has stopped it, so the buffer is full at the stop.
    let (peer, gate) = Peer::paused(0);
    send(peer.addr(), 10_000);
    drop(gate);
    let got = peer.finish().unwrap();
    let drops = assert_accounted(&got, 10_000);
    println!(
        "tiny buffer: {} of 10000 arrived, {drops} dropped",
        got.total()
    );
    assert!(drops > 0 && got.total() > 0);
}

#[test]
fn with_capacity_queues_that_many_undrained() {
    let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
    if setsockopt(&probe, sockopt::RcvBufForce, &rcvbuf_for(20_000)).is_err() {
        return println!("skipped: no CAP_NET_ADMIN, so net.core.rmem_max caps the buffer");
    }
    let (peer, gate) = Peer::paused(rcvbuf_for(20_000));
    send(peer.addr(), 20_000);
    gate.send(()).unwrap();
    assert_eq!(assert_accounted(&peer.finish().unwrap(), 20_000), 0);
}

#[test]
fn finish_with_nothing_sent_is_quick() {
    let mut settled: Vec<Duration> = (0..100)
        .map(|_| {
            let peer = Peer::start().unwrap();
            std::thread::sleep(Duration::from_millis(1)); // let the thread reach poll
            let start = Instant::now();
            peer.finish().unwrap();
            start.elapsed()
        })
        .collect();
    settled.sort();
    let start = Instant::now();
    for _ in 0..1000 {
        Peer::start().unwrap().finish().unwrap();
    }
    let cycle = start.elapsed() / 1000;
    let (median, max) = (settled[50], settled[99]);
    println!("finish, nothing queued: median {median:?}, max {max:?}; start+finish {cycle:?}");
}

#[test]
fn huge_expected_costs_nothing() {
    let mut got = Received::default();
    got.counts
        .extend([(0, 1), (2, 2), (5, 1), (u64::MAX - 1, 1)]);
    let start = Instant::now();
    assert_eq!(got.missing_count(u64::MAX), u64::MAX - 4);
    assert_eq!(got.first_missing(u64::MAX, 5), [1, 3, 4, 6, 7]);
    assert!(!got.exactly_once(u64::MAX));
    let text = got.discrepancy(u64::MAX).unwrap();
    println!("u64::MAX checks took {:?}: {text}", start.elapsed());
    assert!(text.starts_with("4 of 18446744073709551615 datagrams arrived; missing [1, 3, "));
    assert_eq!(got.first_missing(7, 10), [1, 3, 4, 6]);
    assert_eq!(got.missing_count(7), 4);
    assert_eq!(got.first_missing(0, 10), Vec::<u64>::new());
}

#[test]
fn discrepancy_wording() {
    let (invalid, kernel_drops) = (1, Some(3));
    let mut got = Received {
        invalid,
        kernel_drops,
        ..Received::default()
    };
    got.counts.extend([(0, 1), (1, 2), (9, 1)]);
    assert_eq!(
        got.discrepancy(5).unwrap(),
        "2 of 5 datagrams arrived; missing [2, 3, 4], duplicated [1], not numbered 1, \
         beyond range [9], dropped by the kernel at the peer 3"
    );
    got = Received::default();
    got.counts.extend((0..3).map(|i| (i, 1)));
    assert_eq!(got.discrepancy(3), None);
    assert_eq!(sequence_number(b"+1").or(sequence_number(b"01")), None);
    assert_eq!(
        sequence_number(b"10").zip(sequence_number(b"0")),
        Some((10, 0))
    );
}

#[test]
fn finish_within_gives_up_on_a_stuck_thread() {
    let (peer, gate) = Peer::paused(0);
    let start = Instant::now();
    let error = peer.finish_within(Duration::from_millis(50)).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::TimedOut, "{error}");
    println!("stuck peer: {error} (after {:?})", start.elapsed());
    drop(gate);
}

#[test]
fn echo_frames_follow_the_shared_formula() {
    // The guest computes `(j * 31 + i * 7 + S) % 251` directly; the harness steps it.
    for (index, size) in [(0, 3), (2, 1), (1, 1 << 20), (7, 1000)] {
        let frame = super::tcp::echo_frame(index, size);
        assert_eq!(frame[..4], (size as u32).to_be_bytes());
        for (j, byte) in frame[4..].iter().enumerate() {
            assert_eq!(usize::from(*byte), (j * 31 + index * 7 + size) % 251);
        }
    }
}
