//! The options every command that runs guests shares: the plan, the bounds, the peer and
//! the environment, turned into a [`Builder`].

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::time::Duration;
use wouldblock::explore::{Allow, ExploreOptions};
use wouldblock::{
    Builder, Clock, MAX_PARALLELISM, NetPolicy, Output, PeerOptions, Plan, TcpClientOptions,
};

#[derive(clap::Args)]
pub struct HarnessArgs {
    /// A TOML plan file with [[fault]] tables. Example: --plan plan.toml
    #[arg(long, value_name = "FILE")]
    plan: Option<PathBuf>,
    /// A fault spec, repeatable, added after --plan. Examples: --fault first-send,
    /// --fault first-send:n=3,k=50,form=check-send,
    /// --fault udp.send:first=2,action=would-block,ready=never,
    /// --fault op=udp.send,first=2,action=ok-zero (the TOML spelling).
    #[arg(long = "fault", value_name = "SPEC")]
    faults: Vec<String>,
    /// Also allow the guest to use this network; loopback only by default.
    /// Example: --allow-net 10.0.0.0/8
    #[arg(long = "allow-net", value_name = "CIDR")]
    allow_net: Vec<ipnet::IpNet>,
    /// Connect the guest straight to real servers (TCP and UDP), not through the
    /// harness's relay (which hands a server's answer over at the guest's next wait, once the server has
    /// gone quiet, so every run reads it at the same step). Example: --no-relay
    #[arg(long)]
    no_relay: bool,
    /// Bound on the guest's linear memory, in MiB. Example: --max-memory 64
    #[arg(long, value_name = "MIB", default_value_t = (wouldblock::DEFAULT_MAX_MEMORY >> 20) as u64)]
    max_memory: u64,
    /// Wall-clock safety net (busy loops and hangs are found by counting first); a bare
    /// number is seconds. Examples: --time-limit 20s, --time-limit 500ms, --time-limit 2
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = duration)]
    time_limit: Duration,
    /// How long a wait that only the real world can end (a missed wake-up beside real
    /// sockets, no timer) gets before it is a hang, when the guest talks to something the
    /// harness cannot see settle. Example: --quiet-window 200ms
    #[arg(long, value_name = "DURATION", default_value = "50ms", value_parser = duration)]
    quiet_window: Duration,
    /// Socket calls in a row without progress that make a busy loop.
    /// Example: --busy-threshold 10000
    #[arg(long, value_name = "CALLS", default_value_t = wouldblock::DEFAULT_BUSY_THRESHOLD)]
    busy_threshold: u64,
    /// Give the guest a real UDP peer on 127.0.0.1 (its address replaces `{peer}` in the
    /// guest's arguments) and judge the run: if the guest exits 0, datagrams 0..N (payload:
    /// the decimal sequence number) must each have arrived exactly once, or the verdict
    /// is `loss` (exit 87). Example: --expect-datagrams 32 udp-burst.wasm -- {peer} --count 32
    #[arg(long, value_name = "N")]
    expect_datagrams: Option<u64>,
    /// Drive a guest TCP server: once it listens, the harness connects and sends one framed
    /// message of each size (comma-separated bytes), checking every echoed byte; a short or
    /// wrong echo is `loss` (exit 87). Example: --tcp-client 1,1024 tcp-echo-server.wasm -- 127.0.0.1:0
    #[arg(long, value_name = "SIZES", value_delimiter = ',')]
    tcp_client: Option<Vec<usize>>,
    /// Serve a guest's wasi:http/incoming-handler (the wasi:http/proxy world) as `wasmtime
    /// serve` does: the harness sends one POST of each size (comma-separated bytes) and
    /// checks every byte of each response body; a short or wrong body is `loss` (exit 87).
    /// Example: --http-client 1,1024 http-echo-server.wasm
    #[arg(long, value_name = "SIZES", value_delimiter = ',')]
    http_client: Option<Vec<usize>>,
    /// Connections the TCP client opens at once (with --tcp-client).
    #[arg(long, value_name = "N", default_value_t = 1, requires = "tcp_client")]
    tcp_connections: usize,
    /// Give the guest a harness-owned UDP peer (`{peer}`) that echoes every datagram back.
    /// Example: --echo udp-request.wasm -- {peer}
    #[arg(long)]
    echo: bool,
    /// Set an environment variable for the guest; `NAME` alone passes the harness's own
    /// value. Repeatable. Nothing is passed by default, as in `wasmtime run`.
    /// Examples: --env RUST_BACKTRACE=1, --env HOME
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    env: Vec<String>,
    /// Pass every environment variable of the harness to the guest (CI secrets
    /// included: prefer --env NAME). Example: --inherit-env
    #[arg(long)]
    inherit_env: bool,
    /// Preopen a host directory for the guest, at GUEST (default: the same path), as
    /// `wasmtime run --dir` does. Examples: --dir fixtures, --dir /tmp/data::/data
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    dirs: Vec<String>,
    /// wasmtime's `-S` options: `inherit-network` is accepted and changes nothing (the
    /// network is already there, loopback only; widen it with --allow-net).
    /// Example: -S inherit-network
    #[arg(short = 'S', value_name = "OPTION")]
    wasi_options: Vec<String>,
    /// Make a datagram refused with out-of-memory (ENOBUFS) and never offered again the
    /// `dropped` verdict too; one refused by a readiness answer always is.
    /// Example: --no-drops
    #[arg(long)]
    no_drops: bool,
    /// Bound on the component file's size, in MiB. Example: --max-component-size 1024
    #[arg(long, value_name = "MIB", default_value_t = wouldblock::DEFAULT_MAX_COMPONENT_SIZE >> 20)]
    max_component_size: u64,
    /// Sockets the guest may have open at once; past it, creating one answers
    /// `new-socket-limit`. Example: --max-sockets 64
    #[arg(long, value_name = "N", default_value_t = wouldblock::DEFAULT_MAX_SOCKETS)]
    max_sockets: u64,
    /// The guest's time: `virtual` (it moves only when the guest waits on a timer and
    /// nothing else can wake it; no run sleeps) or `real`. Example: --clock real
    #[arg(long, value_name = "CLOCK", default_value = "virtual", value_parser = ["virtual", "real"])]
    clock: String,
    /// Do not cache compiled components on disk. Example: --no-cache
    #[arg(long)]
    no_cache: bool,
}

impl HarnessArgs {
    /// The trace's first line: which clock the guest saw, and where the virtual wall
    /// clock starts.
    pub fn clock_header(&self) -> String {
        let start = match self.clock.as_str() {
            "real" => "the machine's".to_string(),
            _ => "2026-01-01T00:00:00Z".to_string(),
        };
        // In the trace's own key order, like every other line.
        let text = |v: &str| serde_json::Value::from(v).to_string();
        format!(
            r#"{{"seq":0,"interface":"wouldblock","op":"clock","resource":"","args":{},"result":{}}}"#,
            text(&self.clock),
            text(&format!("wall clock starts at {start}"))
        )
    }

    /// The plan: `--plan`'s file, then each `--fault`.
    pub fn plan(&self) -> Result<Plan> {
        let mut plan = match &self.plan {
            Some(path) => Plan::from_file(path)?,
            None => Plan::new(),
        };
        for spec in &self.faults {
            plan = plan.with_spec(spec)?;
        }
        Ok(plan)
    }

    /// The files these options read, named as the user gave them: outputs must not
    /// replace them.
    pub fn inputs(&self) -> Vec<(&'static str, &Path)> {
        self.plan.iter().map(|p| ("--plan", p.as_path())).collect()
    }

    /// `virtual` or `real`.
    pub fn clock(&self) -> &str {
        &self.clock
    }

    /// The builder these options describe, guest output inherited.
    pub fn builder(&self) -> Result<Builder> {
        let plan = self.plan()?;
        let net = self
            .allow_net
            .iter()
            .fold(NetPolicy::loopback(), |net, cidr| net.allow(*cidr));
        let net = if self.no_relay { net.direct() } else { net };
        let max_memory = usize::try_from(self.max_memory.saturating_mul(1 << 20))
            .context("--max-memory is too large for this machine")?;
        let mut builder = Builder::new()
            .plan(plan)
            .net(net)
            .max_memory(max_memory)
            .time_limit(self.time_limit)
            .quiet_window(self.quiet_window)
            .busy_threshold(self.busy_threshold)
            .cache(!self.no_cache)
            .output(Output::Inherit)
            .inherit_env(self.inherit_env)
            .inherit_stdin(true)
            .no_drops(self.no_drops)
            .max_component_size(self.max_component_size.saturating_mul(1 << 20))
            .max_sockets(self.max_sockets)
            .clock(match self.clock.as_str() {
                "real" => Clock::Real,
                _ => Clock::Virtual,
            });
        for option in &self.wasi_options {
            match option.as_str() {
                "inherit-network" | "inherit-network=y" | "inherit-network=yes" => eprintln!(
                    "wouldblock: note: -S inherit-network changes nothing: the guest already \
                     has the network, loopback only (widen it with --allow-net CIDR)"
                ),
                other => bail!(
                    "-S {other}: wouldblock accepts `-S inherit-network` only (it runs every \
                     guest with WASI 0.2 sockets on)"
                ),
            }
        }
        for dir in &self.dirs {
            let (host, guest) = dir.split_once("::").unwrap_or((dir, dir));
            if !std::path::Path::new(host).is_dir() {
                bail!("--dir {dir}: {host} is not a directory");
            }
            builder = builder.preopen(host, guest);
        }
        for var in &self.env {
            let (name, value) = env_var(var)?;
            builder = builder.env(name, value);
        }
        if let Some(sizes) = &self.tcp_client {
            let client = TcpClientOptions::new(sizes.clone()).connections(self.tcp_connections);
            builder = builder.tcp_client(client);
        }
        if let Some(sizes) = &self.http_client {
            builder = builder.http_client(sizes.clone());
        }
        if self.echo || self.expect_datagrams.is_some() {
            let peer = if self.echo {
                PeerOptions::echo()
            } else {
                PeerOptions::counting()
            };
            builder = builder.peer(match self.expect_datagrams {
                Some(n) => peer.expect_datagrams(n),
                None => peer,
            });
        }
        Ok(builder)
    }
}

/// The threads of `--jobs` (clap refuses 0): the machine's cores by default, and never more
/// than a harness holds at once ([`MAX_PARALLELISM`]), said in a note when asked for more.
/// The pool uses no more than there is work for.
pub fn jobs(requested: Option<u64>) -> usize {
    let cores = || std::thread::available_parallelism().map_or(1, |n| n.get());
    let Some(requested) = requested else {
        return cores().min(MAX_PARALLELISM);
    };
    match usize::try_from(requested) {
        Ok(jobs) if jobs <= MAX_PARALLELISM => jobs,
        _ => {
            eprintln!(
                "wouldblock: note: --jobs {requested} is more than the {MAX_PARALLELISM} runs at \
                 once a harness holds; running {MAX_PARALLELISM}"
            );
            MAX_PARALLELISM
        }
    }
}

/// `NAME=VALUE`, or `NAME` with the harness's own value.
fn env_var(spec: &str) -> Result<(String, String)> {
    if let Some((name, value)) = spec.split_once('=') {
        return Ok((name.to_string(), value.to_string()));
    }
    match std::env::var(spec) {
        Ok(value) => Ok((spec.to_string(), value)),
        Err(_) => bail!("--env {spec}: no such variable in the harness's environment to pass on"),
    }
}

/// The longest duration any flag takes: a year. Past it, deadlines overflow the clock.
const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// A duration: a bare number of seconds, or a number with a unit (`500ms`, `20s`, `2m`),
/// of at most a year.
pub fn duration(text: &str) -> Result<Duration, String> {
    let parsed = match text.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => humantime::parse_duration(text)
            .map_err(|e| format!("`{text}` is not a duration (e.g. 20s, 500ms, 2m): {e}"))?,
    };
    if parsed > MAX_DURATION {
        return Err(format!(
            "`{text}` is more than a year (365 days, {} seconds), the longest duration \
             wouldblock takes",
            MAX_DURATION.as_secs()
        ));
    }
    Ok(parsed)
}

/// The exploration's own options that take a value: a replay command leaves them out.
pub const EXPLORE_OPTIONS: &[&str] = &[
    "--jobs",
    "--depth",
    "--budget",
    "--seed",
    "--shard",
    "--out",
    "--json",
    "--html",
    "--budget-time",
    "--junit",
];

/// The exploration's own switches, likewise.
pub const EXPLORE_SWITCHES: &[&str] = &["--force", "--host-bugs"];

/// What decides an exploration, for one program or a whole suite (`explore`, and `test
/// --explore`).
#[derive(clap::Args)]
pub struct Knobs {
    /// 1: one fault a run; 2: pairs of faults too (within --budget).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub depth: u8,
    /// At depth 2, the most runs in all. Example: --budget 2000
    #[arg(long, value_name = "RUNS", default_value_t = 2000)]
    pub budget: u64,
    /// Which pairs the budget keeps (the same seed, the same pairs). Example: --seed 7
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// Also try what only a buggy host does (a pollable that never fires with no error
    /// before it, readiness stuck with nothing pending), reported apart as "robust against
    /// host bugs?", never as findings.
    #[arg(long)]
    pub host_bugs: bool,
    /// Run only the I-th of N disjoint slices (a CI matrix); merge the shards' --json
    /// reports with --merge. Example: --shard 2/4
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<(u64, u64)>,
    /// Start no trial after this long (the fault-free runs always run); what did not run
    /// is reported as not explored. It never decides a verdict. Example: --budget-time 5m
    #[arg(long, value_name = "DURATION", value_parser = super::options::duration)]
    pub budget_time: Option<std::time::Duration>,
    /// Where each finding's plan file goes. The folder is this exploration's: plan files
    /// of an earlier run of it are replaced, another exploration's are refused (--force),
    /// and two explorations cannot write into it at once.
    #[arg(long, value_name = "DIR", default_value = "wouldblock-findings")]
    pub out: PathBuf,
    /// Replace the plan files of another exploration in --out.
    #[arg(long)]
    pub force: bool,
    /// Also write the report as JSON (what --merge reads).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Acknowledge a root cause for this run, named as the report names it: its findings
    /// are listed as acknowledged and do not fail the run. Repeatable.
    /// Example: --allow 'udp.send: error(out-of-memory) -> unusable-after-error'
    #[arg(long, value_name = "CAUSE")]
    pub allow: Vec<String>,
    /// Acknowledge the root causes in FILE's `[[allow]]` entries, each with its reason
    /// (`cargo wouldblock` passes its `.config/wouldblock.toml`).
    /// Example: --allow-file .config/wouldblock.toml
    #[arg(long, value_name = "FILE")]
    pub allow_file: Option<PathBuf>,
}

impl Knobs {
    /// The library's options for these, on `jobs` threads.
    pub fn options(&self, jobs: usize) -> ExploreOptions {
        let mut options = ExploreOptions::new()
            .depth(self.depth)
            .budget(self.budget)
            .seed(self.seed)
            .host_bugs(self.host_bugs)
            .jobs(jobs);
        if let Some((i, n)) = self.shard {
            options = options.shard(i, n);
        }
        if let Some(limit) = self.budget_time {
            options = options.budget_time(limit);
        }
        options
    }

    /// The acknowledged root causes: `--allow-file`'s entries, then each `--allow`.
    pub fn allows(&self) -> Result<Vec<Allow>> {
        let mut allows = match &self.allow_file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("--allow-file {}: cannot read it: {e}", path.display())
                })?;
                Allow::from_toml(&text, &path.display().to_string())?
            }
            None => Vec::new(),
        };
        for spec in &self.allow {
            allows.push(Allow::parse(spec)?);
        }
        Ok(allows)
    }

    /// The first of these options given with a value other than its default (for `test`,
    /// where they need `--explore`).
    pub fn first_given(&self) -> Option<&'static str> {
        let given = [
            ("--depth", self.depth != 1),
            ("--budget", self.budget != 2000),
            ("--seed", self.seed != 0),
            ("--host-bugs", self.host_bugs),
            ("--shard", self.shard.is_some()),
            ("--budget-time", self.budget_time.is_some()),
            ("--out", self.out != Path::new("wouldblock-findings")),
            ("--force", self.force),
            ("--json", self.json.is_some()),
            ("--allow", !self.allow.is_empty()),
            ("--allow-file", self.allow_file.is_some()),
        ];
        given.into_iter().find(|(_, g)| *g).map(|(flag, _)| flag)
    }
}

pub fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    let parse = || -> Option<(u64, u64)> {
        let (i, n) = text.split_once('/')?;
        Some((i.parse().ok()?, n.parse().ok()?))
    };
    match parse() {
        Some((i, n)) if n >= 1 && (1..=n).contains(&i) => Ok((i, n)),
        _ => Err(format!("`{text}` is not I/N with 1 <= I <= N, e.g. 2/4")),
    }
}

/// The name of a file cargo built, without its extension and `-HASH`
/// (`deps/suite-0123456789abcdef.wasm` is `suite`); `None` for a name with no such hash.
pub fn cargo_name(component: &Path) -> Option<&str> {
    let stem = component.file_stem()?.to_str()?;
    let (name, hash) = stem.rsplit_once('-')?;
    (hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then_some(name)
}

/// Whether a cargo runner was handed a test binary (`target/.../deps/NAME-HASH.wasm`) to
/// run whole: then each test gets its own instance, unless libtest's own `--list` or
/// `--exact` shows another runner (nextest) already runs one test at a time.
pub fn looks_like_libtest(component: &Path, args: &[String]) -> bool {
    let in_deps = component
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|dir| dir == "deps");
    let hashed = cargo_name(component).is_some();
    let one_at_a_time = args.iter().any(|a| a == "--list" || a == "--exact");
    in_deps && hashed && !one_at_a_time
}

/// Says so on stderr when libtest's filters select no test of the suite (libtest itself
/// passes with 0 tests; under `cargo wouldblock -- FILTER` most binaries match none, so it
/// is said, not an error).
pub fn no_match(cases: &[wouldblock::suite::TestCase], selection: &wouldblock::suite::Selection) {
    if cases.is_empty() && !selection.filters.is_empty() {
        eprintln!(
            "wouldblock: no test matches the filter(s) {}",
            super::shell::shell_words(selection.filters.iter().map(String::as_str))
        );
    }
}
