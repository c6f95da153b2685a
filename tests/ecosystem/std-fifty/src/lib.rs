//! A 50-test socket suite for the speed goal of exploring a whole suite (BENCHMARKS.md): 25
//! UDP round trips and 25 TCP echoes with std's blocking sockets, each test its own sizes,
//! the two ends taking turns on one thread as in `std-udp` and `std-tcp`.

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream, UdpSocket};

    /// Byte `j` of a message of `size` bytes.
    fn message(size: usize) -> Vec<u8> {
        (0..size).map(|j| ((j * 31 + size) % 251) as u8).collect()
    }

    /// `count` datagrams of `size` bytes from one socket to another, each read back whole.
    fn udp(count: usize, size: usize) {
        let receiver = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let sender = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let to = receiver.local_addr().unwrap();
        let mut buf = vec![0; size + 1];
        for _ in 0..count {
            sender.send_to(&message(size), to).expect("send");
            let (len, from) = receiver.recv_from(&mut buf).expect("receive");
            assert_eq!((len, from), (size, sender.local_addr().unwrap()));
            assert_eq!(buf[..len], message(size)[..]);
        }
    }

    /// One connection, `count` messages of `size` bytes echoed.
    fn tcp(count: usize, size: usize) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).expect("connect");
        let (mut server, _) = listener.accept().expect("accept");
        let mut buf = vec![0; size];
        for _ in 0..count {
            client.write_all(&message(size)).expect("client write");
            server.read_exact(&mut buf).expect("server read");
            server.write_all(&buf).expect("server write");
            client.read_exact(&mut buf).expect("client read");
            assert_eq!(buf, message(size));
        }
    }

    macro_rules! tests {
        ($($name:ident: $kind:ident($count:expr, $size:expr);)*) => {
            $(#[test] fn $name() { $kind($count, $size) })*
        };
    }

    tests! {
        udp_01: udp(1, 1); udp_02: udp(1, 64); udp_03: udp(1, 512); udp_04: udp(1, 1400);
        udp_05: udp(2, 1); udp_06: udp(2, 64); udp_07: udp(2, 512); udp_08: udp(2, 1400);
        udp_09: udp(3, 1); udp_10: udp(3, 64); udp_11: udp(3, 512); udp_12: udp(3, 1400);
        udp_13: udp(4, 8); udp_14: udp(4, 128); udp_15: udp(4, 1024); udp_16: udp(5, 8);
        udp_17: udp(5, 128); udp_18: udp(5, 1024); udp_19: udp(6, 16); udp_20: udp(6, 256);
        udp_21: udp(7, 16); udp_22: udp(7, 256); udp_23: udp(8, 32); udp_24: udp(8, 300);
        udp_25: udp(8, 1200);
        tcp_01: tcp(1, 1); tcp_02: tcp(1, 64); tcp_03: tcp(1, 512); tcp_04: tcp(1, 4096);
        tcp_05: tcp(2, 1); tcp_06: tcp(2, 64); tcp_07: tcp(2, 512); tcp_08: tcp(2, 4096);
        tcp_09: tcp(3, 1); tcp_10: tcp(3, 64); tcp_11: tcp(3, 512); tcp_12: tcp(3, 4096);
        tcp_13: tcp(4, 8); tcp_14: tcp(4, 128); tcp_15: tcp(4, 1024); tcp_16: tcp(5, 8);
        tcp_17: tcp(5, 128); tcp_18: tcp(5, 1024); tcp_19: tcp(6, 16); tcp_20: tcp(6, 256);
        tcp_21: tcp(7, 16); tcp_22: tcp(7, 256); tcp_23: tcp(8, 32); tcp_24: tcp(8, 300);
        tcp_25: tcp(8, 1200);
    }
}
