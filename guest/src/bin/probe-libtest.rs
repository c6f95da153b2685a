//! Probes `wouldblock test` as a fake libtest binary with hostile listings, by the `TESTS` variable of its environment: `many N [WIDTH]` lists N tests (`t000000` and on, WIDTH digits) of which all but the first are ignored; `hostile` lists tests whose names are long, hold control characters (CR, \x01, NUL, a terminal escape) or HTML (`<!--<script>`, `</script>`, `<img onerror>`), each sending one datagram to 127.0.0.1:9 and panicking on any error. It answers `--list --format terse` (with `--ignored`) and `NAME --exact` as libtest does.

use std::net::UdpSocket;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let tests = std::env::var("TESTS").unwrap_or_default();
    let mut words = tests.split_whitespace();
    let (names, ignored): (Vec<String>, fn(usize) -> bool) = match words.next() {
        Some("many") => {
            let n: usize = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
            let width: usize = words.next().and_then(|w| w.parse().ok()).unwrap_or(6);
            ((0..n).map(|i| format!("t{i:0width$}")).collect(), |i| i > 0)
        }
        Some("hostile") => (hostile(), |_| false),
        _ => (vec!["adds".to_string()], |_| false),
    };
    let has = |flag: &str| args.iter().any(|a| a == flag);
    if has("--list") {
        let only_ignored = has("--ignored");
        let mut out = String::new();
        for (i, name) in names.iter().enumerate() {
            if !only_ignored || ignored(i) {
                out.push_str(name);
                out.push_str(": test\n");
            }
        }
        print!("{out}");
        return;
    }
    let Some(i) = args.first().and_then(|a| names.iter().position(|n| n == a)) else {
        println!("\nrunning 0 tests\n\ntest result: ok. 0 passed; 0 failed; 0 ignored");
        return;
    };
    println!("\nrunning 1 test");
    // Its name on stderr too: what a report shows of a test's output.
    eprintln!("running {}", names[i]);
    if tests.starts_with("hostile") {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
        socket.send_to(b"0", "127.0.0.1:9").expect("send");
    }
    println!("test {} ... ok\n", names[i]);
    println!("test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out");
}

/// Names a careless or hostile suite gives its tests.
fn hostile() -> Vec<String> {
    [
        format!("long_{}", "x".repeat(300)),
        "carriage\rreturn".to_string(),
        "control\u{1}char".to_string(),
        "nul\0char".to_string(),
        "escape\u{1b}[31mred\u{1b}[0m".to_string(),
        "<!--<script>".to_string(),
        "</script><img src=x onerror=alert(1)>".to_string(),
    ]
    .into()
}
