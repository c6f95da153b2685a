//! Small words for the page: escaping for the SVG the program draws, numbers people read,
//! the command lines people paste (cut to what replays one run; `cli/shell.rs` quotes them
//! as it quotes every command line the command writes), and links for the references in
//! the fault tables.

/// Text made safe inside an element or an attribute.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Nanoseconds in the unit people read them in: `0`, `250 µs`, `5 ms`, `1.5 s`.
pub fn nanos(ns: u64) -> String {
    let (value, unit) = match ns {
        0 => return "0".into(),
        n if n < 1_000 => return format!("{n} ns"),
        n if n < 1_000_000 => (n as f64 / 1e3, "µs"),
        n if n < 1_000_000_000 => (n as f64 / 1e6, "ms"),
        n => (n as f64 / 1e9, "s"),
    };
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} {unit}")
}

/// Bytes as people read them: `812 B`, `14.2 KiB`, `3.1 MiB`.
pub fn bytes(n: u64) -> String {
    match n {
        n if n < 1024 => format!("{n} B"),
        n if n < 1 << 20 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{:.1} MiB", n as f64 / (1 << 20) as f64),
    }
}

/// `argv` without the given options and their values, up to `stop` (the component: what
/// follows it is the guest's, whatever it looks like). `flags` take no value.
pub fn without(argv: &[String], options: &[&str], flags: &[&str], stop: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut words = argv.iter();
    while let Some(word) = words.next() {
        if word == stop || word == "--" {
            out.push(word.clone());
            out.extend(words.cloned());
            break;
        }
        if options.contains(&word.as_str()) {
            words.next();
            continue;
        }
        let with_value = options.iter().any(|o| word.starts_with(&format!("{o}=")));
        if with_value || flags.contains(&word.as_str()) {
            continue;
        }
        out.push(word.clone());
    }
    out
}

/// Where a fault table's reference points: `wasmtime#12612` is that project's issue on
/// GitHub; a WIT clause or a note is text only.
pub fn reference_url(reference: &str) -> Option<String> {
    const PROJECTS: &[(&str, &str)] = &[
        ("wasmtime", "bytecodealliance/wasmtime"),
        ("firezone", "firezone/firezone"),
        ("libuv", "libuv/libuv"),
        ("bun", "oven-sh/bun"),
        ("curl", "curl/curl"),
        ("tokio", "tokio-rs/tokio"),
        ("mio", "tokio-rs/mio"),
    ];
    let (project, number) = reference.split_once('#')?;
    let repo = PROJECTS.iter().find(|(name, _)| *name == project)?.1;
    number
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| format!("https://github.com/{repo}/issues/{number}"))
}
