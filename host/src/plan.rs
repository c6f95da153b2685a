//! Fault plans: which socket calls misbehave, how, and when readiness returns.
//!
//! A [`Plan`] is plain data: an ordered list of [`Rule`]s. Each rule names one operation
//! ([`Op`]), a count-based [`Select`]or over that operation's calls, an [`Action`] that
//! replaces the real answer, and the [`Readiness`] of the operation's pollable afterwards.
//! Nothing here looks at a clock: the same plan makes the same decisions on every run.
//!
//! Plans come from TOML files (`[[fault]]` tables) or from `--fault` specs on the command
//! line; both use the same keys, so `--fault udp.send:first=3,action=ok-zero` and
//!
//! ```toml
//! [[fault]]
//! op = "udp.send"
//! first = 3
//! action = "ok-zero"
//! ```
//!
//! are the same rule. A `preset` key expands to one or more rules (see [`PRESETS`]).

use serde::Deserialize;
use std::fmt;
use std::path::Path;
use wasmtime_wasi::p2::bindings::sockets::network::ErrorCode;

/// A socket operation that a rule can match.
///
/// Named `interface.function` after the WIT; TCP operations join this list without
/// changing the rest of the plan format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
pub enum Op {
    /// `wasi:sockets/udp-create-socket.create-udp-socket`.
    #[serde(rename = "udp.create-socket")]
    UdpCreateSocket,
    /// `udp-socket.start-bind`.
    #[serde(rename = "udp.bind")]
    UdpBind,
    /// `udp-socket.stream`.
    #[serde(rename = "udp.stream")]
    UdpStream,
    /// `outgoing-datagram-stream.check-send`.
    #[serde(rename = "udp.check-send")]
    UdpCheckSend,
    /// `outgoing-datagram-stream.send`.
    #[serde(rename = "udp.send")]
    UdpSend,
    /// `incoming-datagram-stream.receive`.
    #[serde(rename = "udp.receive")]
    UdpReceive,
    /// Waits (`poll`, `block`, `ready`) on a `udp-socket`'s pollable.
    #[serde(rename = "udp.socket-pollable")]
    UdpSocketPollable,
    /// Waits on an `incoming-datagram-stream`'s pollable.
    #[serde(rename = "udp.incoming-pollable")]
    UdpIncomingPollable,
    /// Waits on an `outgoing-datagram-stream`'s pollable.
    #[serde(rename = "udp.outgoing-pollable")]
    UdpOutgoingPollable,
}

impl Op {
    /// Every operation, in a stable order.
    pub const ALL: [Op; 9] = [
        Op::UdpCreateSocket,
        Op::UdpBind,
        Op::UdpStream,
        Op::UdpCheckSend,
        Op::UdpSend,
        Op::UdpReceive,
        Op::UdpSocketPollable,
        Op::UdpIncomingPollable,
        Op::UdpOutgoingPollable,
    ];

    /// The name used in plans and traces, e.g. `udp.send`.
    pub fn name(self) -> &'static str {
        match self {
            Op::UdpCreateSocket => "udp.create-socket",
            Op::UdpBind => "udp.bind",
            Op::UdpStream => "udp.stream",
            Op::UdpCheckSend => "udp.check-send",
            Op::UdpSend => "udp.send",
            Op::UdpReceive => "udp.receive",
            Op::UdpSocketPollable => "udp.socket-pollable",
            Op::UdpIncomingPollable => "udp.incoming-pollable",
            Op::UdpOutgoingPollable => "udp.outgoing-pollable",
        }
    }

    /// Whether this is a wait on a pollable rather than a call with an answer: its rules
    /// set only the readiness (`ready`), counted per wait.
    pub fn is_pollable(self) -> bool {
        matches!(
            self,
            Op::UdpSocketPollable | Op::UdpIncomingPollable | Op::UdpOutgoingPollable
        )
    }

    /// Whether `ok-zero` means something for this operation (a count or a list).
    fn has_zero_answer(self) -> bool {
        matches!(self, Op::UdpCheckSend | Op::UdpSend | Op::UdpReceive)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which calls of an operation a rule applies to, counted from 0 within its [`Scope`].
///
/// Call `n` matches when `n >= after`, `n - after < first` (if set),
/// `(n - after + 1)` is a multiple of `every` (if set) and, with `until_waits = W`, the
/// guest has not yet been woken by a timer W times since the rule's first match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Select {
    /// Calls to let through before the rule starts.
    pub after: u64,
    /// How many calls (after `after`) the rule may match; `None` is unbounded.
    pub first: Option<u64>,
    /// Match only every k-th call.
    pub every: Option<u64>,
    /// Keep matching until the guest has been woken by a timer (a clock pollable) this
    /// many times since the first match. Time passes in this harness only when the guest
    /// waits on a clock, so this is "until the guest has backed off W times": a guest
    /// that retries without a timer never gets out.
    pub until_waits: Option<u64>,
}

impl Select {
    /// Whether the `n`-th call (0-based) is selected, `waits` timer wake-ups after the
    /// rule's first match (0 before it).
    pub fn matches(&self, n: u64, waits: u64) -> bool {
        let Some(i) = n.checked_sub(self.after) else {
            return false;
        };
        self.first.is_none_or(|first| i < first)
            && self.every.is_none_or(|k| (i + 1) % k == 0)
            && self.until_waits.is_none_or(|w| waits < w)
    }
}

/// What the calls of a rule are counted over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Each resource (socket or stream) counts its own calls: "the first send of every
    /// fresh stream".
    #[default]
    Stream,
    /// One count for the whole guest.
    Global,
}

/// The answer a rule gives instead of the real one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `check-send` answers `ok(0)`, `send` answers `ok(0)`, `receive` answers an empty list.
    OkZero,
    /// The call answers `error(code)`.
    Error(ErrorCode),
    /// The real call happens; only the readiness changes.
    Pass,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::OkZero => f.write_str("ok-zero"),
            Action::Error(code) => write!(f, "error({})", error_code_name(*code)),
            Action::Pass => f.write_str("pass"),
        }
    }
}

/// What the operation's pollable does after an injected answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// The real pollable decides at once.
    Real,
    /// Not ready for this many readiness checks (each `pollable.ready()` call and each
    /// round of `poll`/`block`), then the real pollable decides.
    NotReady(u32),
    /// Never ready again until a real call on the resource makes progress: a missed
    /// wake-up.
    Never,
    /// Ready at once, even if the real pollable is not: a spurious wake-up.
    Spurious,
}

impl fmt::Display for Readiness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Readiness::Real => f.write_str("real"),
            Readiness::NotReady(k) => write!(f, "not-ready {k}"),
            Readiness::Never => f.write_str("never-ready"),
            Readiness::Spurious => f.write_str("spurious-ready"),
        }
    }
}

/// One fault: the calls it selects and what they answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// A short name for traces and verdicts (the preset name, or `op action`).
    pub name: String,
    /// The operation it applies to.
    pub op: Op,
    /// Which calls it applies to.
    pub select: Select,
    /// What the calls are counted over.
    pub scope: Scope,
    /// The injected answer.
    pub action: Action,
    /// The pollable's readiness after each injected answer.
    pub ready: Readiness,
    /// Only calls on the streams of a connected socket (`stream(some(addr))`) count.
    pub connected: bool,
    /// After each injected answer, the next call of the same operation on the same
    /// resource gets it again, selected or not: an error the kernel reports twice.
    pub sticky: bool,
}

/// How the first-send fault tells the guest that the stream is not writable yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Form {
    /// `send` answers `ok(0)`: what the WIT allows, and what wasmtime#12612 saw.
    #[default]
    OkZero,
    /// `send` answers `error(would-block)`: outside the WASI 0.2 text, but what older hosts did.
    WouldBlock,
    /// `check-send` answers `ok(0)`: the documented "wait on subscribe" path.
    CheckSend,
}

impl Form {
    /// Every form, in the order the demo shows them.
    pub const ALL: [Form; 3] = [Form::OkZero, Form::WouldBlock, Form::CheckSend];

    /// The name used in specs.
    pub fn name(self) -> &'static str {
        match self {
            Form::OkZero => "ok-zero",
            Form::WouldBlock => "would-block",
            Form::CheckSend => "check-send",
        }
    }
}

/// A named recipe that expands to rules.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    /// The name used in `--fault NAME` and `preset = "NAME"`.
    pub name: &'static str,
    /// What it reproduces, for `wouldblock presets` and the README.
    pub summary: &'static str,
}

/// Every preset this version knows, each reproducing one real case.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "first-send",
        summary: "the first n send attempts on each fresh outgoing stream are not writable, told \
                  as form = ok-zero | would-block | check-send; the pollable is ready after k \
                  checks (wasmtime#12612). Keys: n (1), k (1), form (ok-zero)",
    },
    Preset {
        name: "enobufs-backpressure",
        summary: "after `after` accepted sends the next `first` sends answer out-of-memory \
                  (wasmtime's ENOBUFS) or, with action = ok-zero, ok(0); the pollable is ready \
                  after `ready` checks (macOS sendmsg, firezone#9798). Keys: after (8), first \
                  (3), ready (1), action (out-of-memory)",
    },
    Preset {
        name: "enobufs-no-wakeup",
        summary: "as enobufs-backpressure, but the pollable never becomes ready again: the \
                  kqueue missed wake-up that hung firezone's send task (firezone#10965). Keys: \
                  after (8), first (3), action (out-of-memory)",
    },
    Preset {
        name: "enobufs-writable",
        summary: "after `after` sends, sends answer out-of-memory while the pollable keeps saying \
                  ready, until the guest has backed off on a timer `until-waits` times: FreeBSD, \
                  where libuv's wait for POLLOUT busy-loops (libuv#5194). Keys: after (8), \
                  until-waits (3)",
    },
    Preset {
        name: "icmp-refused",
        summary: "on a connected socket, receive call `after`+1 answers connection-refused once \
                  (an ICMP port-unreachable, bun#29473, libuv#4447, curl#9209); sticky = true \
                  answers it twice, as Linux can via sk_err (bun#35923). Keys: after (0), sticky \
                  (false)",
    },
    Preset {
        name: "errqueue-stuck",
        summary: "the incoming pollable stays ready while receive returns an empty list, until \
                  the guest has backed off on a timer `until-waits` times: EPOLLERR left \
                  asserted by an undrained error queue (bun#29473). Keys: after (0), until-waits \
                  (3)",
    },
];

/// A complete fault plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The rules, in order: the first rule that selects a call decides it.
    pub rules: Vec<Rule>,
}

/// Why a plan could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The plan file could not be read.
    #[error("cannot read plan file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML does not parse or has an unknown or mistyped key.
    #[error("{origin}: {message}")]
    Syntax {
        /// The file (or `--fault` spec) it came from.
        origin: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A fault is well-formed TOML but says something impossible.
    #[error("{origin}: {message}")]
    Invalid {
        /// Where: `FILE line L, column C` or `--fault SPEC`.
        origin: String,
        /// What is wrong, naming the field.
        message: String,
    },
}

/// The keys a `[[fault]]` table or a `--fault` spec may use.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FaultSpec {
    preset: Option<String>,
    op: Option<Op>,
    #[serde(alias = "n")]
    first: Option<u64>,
    after: Option<u64>,
    every: Option<u64>,
    nth: Option<u64>,
    until_waits: Option<u64>,
    per: Option<Scope>,
    connected: Option<bool>,
    sticky: Option<bool>,
    action: Option<String>,
    #[serde(alias = "k")]
    ready: Option<ReadyValue>,
    form: Option<Form>,
}

/// `ready = 3`, `ready = "never"`, `ready = "spurious"` or `ready = "real"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ReadyValue {
    Ticks(u32),
    Word(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    #[serde(default)]
    fault: Vec<toml::Spanned<FaultSpec>>,
}

impl Plan {
    /// An empty plan: the harness is transparent.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a TOML plan file.
    pub fn from_file(path: &Path) -> Result<Self, PlanError> {
        let text = std::fs::read_to_string(path).map_err(|source| PlanError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Parses a TOML plan; `origin` names it in errors (a file name).
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, PlanError> {
        let file: PlanFile = toml::from_str(text).map_err(|e| PlanError::Syntax {
            origin: origin.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let mut plan = Plan::new();
        for spanned in file.fault {
            let (line, column) = line_column(text, spanned.span().start);
            let origin = format!("{origin} line {line}, column {column} ([[fault]])");
            plan.rules.extend(spanned.into_inner().into_rules(&origin)?);
        }
        Ok(plan)
    }

    /// Parses one `--fault` spec: `NAME` or `NAME:key=value,key=value`, where NAME is a
    /// preset or an operation, e.g. `first-send:n=3,form=check-send` or
    /// `udp.send:first=2,action=ok-zero,ready=never`.
    pub fn parse_spec(spec: &str) -> Result<Vec<Rule>, PlanError> {
        let origin = format!("--fault {spec}");
        let (head, rest) = spec.split_once(':').unwrap_or((spec, ""));
        let mut table = toml::Table::new();
        let head_key = if head.contains('.') { "op" } else { "preset" };
        table.insert(head_key.into(), toml::Value::String(head.trim().into()));
        for pair in rest.split(',').filter(|p| !p.trim().is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| invalid(&origin, format!("`{pair}` is not key=value")))?;
            let value = value.trim();
            let value = match (value.parse::<i64>(), value.parse::<bool>()) {
                (Ok(int), _) => toml::Value::Integer(int),
                (_, Ok(flag)) => toml::Value::Boolean(flag),
                _ => toml::Value::String(value.into()),
            };
            table.insert(key.trim().into(), value);
        }
        let spec: FaultSpec =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| PlanError::Syntax {
                    origin: origin.clone(),
                    message: e.message().to_string(),
                })?;
        spec.into_rules(&origin)
    }

    /// Adds the rules of a `--fault` spec.
    pub fn with_spec(mut self, spec: &str) -> Result<Self, PlanError> {
        self.rules.extend(Self::parse_spec(spec)?);
        Ok(self)
    }

    /// Adds one rule.
    pub fn with_rule(mut self, rule: Rule) -> Self {
        self.rules.push(rule);
        self
    }

    /// The first-send family: for each fresh outgoing stream the first `n` send attempts
    /// are not writable, told in `form`, and the pollable is ready after `k` ticks.
    pub fn first_send(form: Form, n: u64, k: Readiness) -> Self {
        Plan::new().with_rule(first_send_rule(form, n, k))
    }
}

fn first_send_rule(form: Form, n: u64, ready: Readiness) -> Rule {
    let (op, action) = match form {
        Form::OkZero => (Op::UdpSend, Action::OkZero),
        Form::WouldBlock => (Op::UdpSend, Action::Error(ErrorCode::WouldBlock)),
        Form::CheckSend => (Op::UdpCheckSend, Action::OkZero),
    };
    Rule {
        name: format!("first-send/{}", form.name()),
        op,
        select: Select {
            first: Some(n),
            ..Select::default()
        },
        scope: Scope::Stream,
        action,
        ready,
        connected: false,
        sticky: false,
    }
}

impl FaultSpec {
    fn into_rules(self, origin: &str) -> Result<Vec<Rule>, PlanError> {
        let invalid = |message: String| invalid(origin, message);
        let ready = self
            .ready
            .as_ref()
            .map(|r| parse_ready(r).map_err(invalid))
            .transpose()?;
        match (&self.preset, self.op) {
            (Some(_), Some(_)) => Err(invalid(
                "a fault has either `preset` or `op`, not both".into(),
            )),
            (None, None) => Err(invalid(
                "a fault needs `preset` (e.g. \"first-send\") or `op` (e.g. \"udp.send\")".into(),
            )),
            (Some(preset), None) => self.preset_rules(preset, ready, origin),
            (None, Some(op)) => {
                if self.form.is_some() {
                    return Err(invalid(
                        "field `form` belongs to the first-send preset, not to an `op` rule".into(),
                    ));
                }
                if op.is_pollable() {
                    return self.pollable_rule(op, ready, origin);
                }
                let action = match self.action.as_deref() {
                    None => {
                        return Err(invalid(format!(
                            "field `action` is missing for op `{op}` (ok-zero, pass, or an error-code such as would-block)"
                        )));
                    }
                    Some(a) => parse_action(a).map_err(invalid)?,
                };
                if action == Action::OkZero && !op.has_zero_answer() {
                    return Err(invalid(format!(
                        "field `action`: ok-zero has no meaning for `{op}`; use an error-code"
                    )));
                }
                let ready = ready.unwrap_or(match action {
                    // WIT: "When this function returns ok(0), the `subscribe` pollable will
                    // become ready when this function will report at least ok(1)": one tick.
                    Action::OkZero => Readiness::NotReady(1),
                    Action::Error(_) | Action::Pass => Readiness::Real,
                });
                Ok(vec![Rule {
                    name: format!("{op} {action}"),
                    op,
                    select: self.select(origin)?,
                    scope: self.per.unwrap_or_default(),
                    action,
                    ready,
                    connected: self.connected.unwrap_or(false),
                    sticky: self.sticky.unwrap_or(false),
                }])
            }
        }
    }

    /// A rule on waits: `ready` is what the selected waits see, nothing is answered.
    fn pollable_rule(
        &self,
        op: Op,
        ready: Option<Readiness>,
        origin: &str,
    ) -> Result<Vec<Rule>, PlanError> {
        let invalid = |message: String| invalid(origin, message);
        if self.action.as_deref().is_some_and(|a| a != "pass") {
            return Err(invalid(format!(
                "field `action`: `{op}` is a wait, not a call with an answer; give only `ready`"
            )));
        }
        let ready = ready.ok_or_else(|| {
            invalid(format!(
                "field `ready` is missing for `{op}` (a tick count, never, spurious or real)"
            ))
        })?;
        Ok(vec![Rule {
            name: format!("{op} {ready}"),
            op,
            select: self.select(origin)?,
            scope: self.per.unwrap_or_default(),
            action: Action::Pass,
            ready,
            connected: self.connected.unwrap_or(false),
            sticky: self.sticky.unwrap_or(false),
        }])
    }

    fn select(&self, origin: &str) -> Result<Select, PlanError> {
        let invalid = |message: &str| invalid(origin, message.to_string());
        if self.every == Some(0) {
            return Err(invalid("field `every` must be at least 1"));
        }
        match self.nth {
            Some(0) => Err(invalid("field `nth` counts from 1")),
            Some(_)
                if self.first.is_some()
                    || self.after.is_some()
                    || self.every.is_some()
                    || self.until_waits.is_some() =>
            {
                Err(invalid(
                    "field `nth` cannot be combined with `first`, `after`, `every` or `until-waits`",
                ))
            }
            Some(nth) => Ok(Select {
                after: nth - 1,
                first: Some(1),
                ..Select::default()
            }),
            None => Ok(Select {
                after: self.after.unwrap_or(0),
                first: self.first,
                every: self.every,
                until_waits: self.until_waits,
            }),
        }
    }

    fn preset_rules(
        &self,
        preset: &str,
        ready: Option<Readiness>,
        origin: &str,
    ) -> Result<Vec<Rule>, PlanError> {
        let invalid = |message: String| invalid(origin, message);
        let allowed: &[&str] = match preset {
            "first-send" => &["n", "k", "form"],
            "enobufs-backpressure" => &["after", "first", "ready", "action"],
            "enobufs-no-wakeup" => &["after", "first", "action"],
            "enobufs-writable" | "errqueue-stuck" => &["after", "until-waits"],
            "icmp-refused" => &["after", "sticky"],
            other => {
                return Err(invalid(format!(
                    "unknown preset `{other}` (known: {})",
                    PRESETS
                        .iter()
                        .map(|p| p.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        };
        // `n` and `k` are first-send's names for `first` and `ready`.
        let given = [
            ("n", "first", self.first.is_some()),
            ("k", "ready", self.ready.is_some()),
            ("after", "after", self.after.is_some()),
            ("every", "every", self.every.is_some()),
            ("nth", "nth", self.nth.is_some()),
            ("until-waits", "until-waits", self.until_waits.is_some()),
            ("per", "per", self.per.is_some()),
            ("connected", "connected", self.connected.is_some()),
            ("sticky", "sticky", self.sticky.is_some()),
            ("action", "action", self.action.is_some()),
            ("form", "form", self.form.is_some()),
        ];
        if let Some((_, key, _)) = given
            .iter()
            .find(|(short, long, set)| *set && !allowed.contains(short) && !allowed.contains(long))
        {
            return Err(invalid(format!(
                "field `{key}` is not a key of preset {preset} (keys: {})",
                allowed.join(", ")
            )));
        }
        let action = self
            .action
            .as_deref()
            .map(parse_action)
            .transpose()
            .map_err(invalid)?;
        let rule = |op, select, action, ready, connected| Rule {
            name: preset.to_string(),
            op,
            select,
            scope: Scope::Stream,
            action,
            ready,
            connected,
            sticky: self.sticky.unwrap_or(false),
        };
        let after = |default| self.after.unwrap_or(default);
        let enobufs = Action::Error(ErrorCode::OutOfMemory);
        Ok(vec![match preset {
            "first-send" => first_send_rule(
                self.form.unwrap_or_default(),
                self.first.unwrap_or(1),
                ready.unwrap_or(Readiness::NotReady(1)),
            ),
            "enobufs-backpressure" | "enobufs-no-wakeup" => rule(
                Op::UdpSend,
                Select {
                    after: after(8),
                    first: Some(self.first.unwrap_or(3)),
                    ..Select::default()
                },
                action.unwrap_or(enobufs),
                match preset {
                    "enobufs-no-wakeup" => Readiness::Never,
                    _ => ready.unwrap_or(Readiness::NotReady(1)),
                },
                false,
            ),
            "enobufs-writable" => rule(
                Op::UdpSend,
                Select {
                    after: after(8),
                    until_waits: Some(self.until_waits.unwrap_or(3)),
                    ..Select::default()
                },
                enobufs,
                Readiness::Spurious,
                false,
            ),
            "icmp-refused" => rule(
                Op::UdpReceive,
                Select {
                    after: after(0),
                    first: Some(1),
                    ..Select::default()
                },
                Action::Error(ErrorCode::ConnectionRefused),
                Readiness::Real,
                true,
            ),
            _ => rule(
                Op::UdpReceive,
                Select {
                    after: after(0),
                    until_waits: Some(self.until_waits.unwrap_or(3)),
                    ..Select::default()
                },
                Action::OkZero,
                Readiness::Spurious,
                false,
            ),
        }])
    }
}

/// A semantic error in the fault that came from `origin`.
fn invalid(origin: &str, message: String) -> PlanError {
    PlanError::Invalid {
        origin: origin.to_string(),
        message,
    }
}

fn parse_ready(value: &ReadyValue) -> Result<Readiness, String> {
    match value {
        ReadyValue::Ticks(0) => Ok(Readiness::Real),
        ReadyValue::Ticks(k) => Ok(Readiness::NotReady(*k)),
        ReadyValue::Word(w) => match w.as_str() {
            "never" => Ok(Readiness::Never),
            "spurious" => Ok(Readiness::Spurious),
            "real" => Ok(Readiness::Real),
            other => Err(format!(
                "field `ready`: `{other}` is not a tick count, `never`, `spurious` or `real`"
            )),
        },
    }
}

fn parse_action(text: &str) -> Result<Action, String> {
    match text {
        "ok-zero" => Ok(Action::OkZero),
        "pass" => Ok(Action::Pass),
        code => error_code_from_name(code)
            .map(Action::Error)
            .ok_or_else(|| {
                format!(
                    "field `action`: `{code}` is not ok-zero, pass or a wasi error-code ({})",
                    ERROR_CODES
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }),
    }
}

/// Every WASI 0.2 `error-code`, with its WIT name.
pub const ERROR_CODES: [(&str, ErrorCode); 21] = [
    ("unknown", ErrorCode::Unknown),
    ("access-denied", ErrorCode::AccessDenied),
    ("not-supported", ErrorCode::NotSupported),
    ("invalid-argument", ErrorCode::InvalidArgument),
    ("out-of-memory", ErrorCode::OutOfMemory),
    ("timeout", ErrorCode::Timeout),
    ("concurrency-conflict", ErrorCode::ConcurrencyConflict),
    ("not-in-progress", ErrorCode::NotInProgress),
    ("would-block", ErrorCode::WouldBlock),
    ("invalid-state", ErrorCode::InvalidState),
    ("new-socket-limit", ErrorCode::NewSocketLimit),
    ("address-not-bindable", ErrorCode::AddressNotBindable),
    ("address-in-use", ErrorCode::AddressInUse),
    ("remote-unreachable", ErrorCode::RemoteUnreachable),
    ("connection-refused", ErrorCode::ConnectionRefused),
    ("connection-reset", ErrorCode::ConnectionReset),
    ("connection-aborted", ErrorCode::ConnectionAborted),
    ("datagram-too-large", ErrorCode::DatagramTooLarge),
    ("name-unresolvable", ErrorCode::NameUnresolvable),
    (
        "temporary-resolver-failure",
        ErrorCode::TemporaryResolverFailure,
    ),
    (
        "permanent-resolver-failure",
        ErrorCode::PermanentResolverFailure,
    ),
];

/// The WIT name of an error code, e.g. `would-block`.
pub fn error_code_name(code: ErrorCode) -> &'static str {
    ERROR_CODES
        .iter()
        .find(|(_, c)| *c == code)
        .map_or("unknown", |(name, _)| name)
}

fn error_code_from_name(name: &str) -> Option<ErrorCode> {
    ERROR_CODES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, c)| *c)
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_send_spec_defaults_to_one_ok_zero_attempt_and_one_tick() {
        let rules = Plan::parse_spec("first-send").unwrap();
        assert_eq!(
            rules,
            vec![first_send_rule(Form::OkZero, 1, Readiness::NotReady(1))]
        );
    }

    #[test]
    fn spec_and_toml_give_the_same_rule() {
        let spec = Plan::parse_spec("udp.send:first=3,action=would-block,ready=never").unwrap();
        let toml = Plan::from_toml(
            "[[fault]]\nop = \"udp.send\"\nfirst = 3\naction = \"would-block\"\nready = \"never\"\n",
            "p.toml",
        )
        .unwrap();
        assert_eq!(spec, toml.rules);
        assert_eq!(spec[0].action, Action::Error(ErrorCode::WouldBlock));
    }

    #[test]
    fn selectors_count_from_zero() {
        let nth = Select {
            after: 2,
            first: Some(1),
            ..Select::default()
        };
        assert_eq!(
            (0..5).map(|n| nth.matches(n, 0)).collect::<Vec<_>>(),
            [false, false, true, false, false]
        );
        let every = Select {
            after: 1,
            every: Some(2),
            ..Select::default()
        };
        assert_eq!(
            (0..6).map(|n| every.matches(n, 0)).collect::<Vec<_>>(),
            [false, false, true, false, true, false]
        );
    }

    #[test]
    fn until_waits_closes_the_window_after_w_timer_wakes() {
        let window = Select {
            after: 1,
            until_waits: Some(2),
            ..Select::default()
        };
        assert!(!window.matches(0, 0));
        assert!(window.matches(5, 1));
        assert!(!window.matches(6, 2));
    }

    #[test]
    fn presets_expand_and_reject_foreign_keys() {
        let icmp = Plan::parse_spec("icmp-refused:sticky=true").unwrap();
        assert_eq!(icmp[0].op, Op::UdpReceive);
        assert_eq!(icmp[0].select.first, Some(1));
        assert!(icmp[0].sticky);
        assert!(icmp[0].connected);
        let nowake = Plan::parse_spec("enobufs-no-wakeup:first=5,action=ok-zero").unwrap();
        assert_eq!(
            (nowake[0].action, nowake[0].ready),
            (Action::OkZero, Readiness::Never)
        );
        for preset in PRESETS {
            assert_eq!(
                Plan::parse_spec(preset.name).unwrap().len(),
                1,
                "{}",
                preset.name
            );
        }
        let err = Plan::parse_spec("enobufs-writable:first=3")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("field `first` is not a key of preset enobufs-writable"),
            "{err}"
        );
    }

    #[test]
    fn pollable_ops_take_only_a_readiness() {
        let rule = &Plan::parse_spec("udp.outgoing-pollable:every=2,ready=spurious").unwrap()[0];
        assert_eq!(
            (rule.action, rule.ready),
            (Action::Pass, Readiness::Spurious)
        );
        let err = Plan::parse_spec("udp.incoming-pollable:first=1")
            .unwrap_err()
            .to_string();
        assert!(err.contains("field `ready` is missing"), "{err}");
        let err = Plan::parse_spec("udp.incoming-pollable:action=timeout,ready=1")
            .unwrap_err()
            .to_string();
        assert!(err.contains("is a wait"), "{err}");
    }

    #[test]
    fn errors_name_the_line_column_and_field() {
        let err = Plan::from_toml(
            "\n[[fault]]\nop = \"udp.send\"\naction = \"bogus\"\n",
            "plan.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("plan.toml line 2, column 1"), "{err}");
        assert!(err.contains("field `action`"), "{err}");
        let err = Plan::from_toml("[[fault]]\nop = \"udp.sned\"\n", "plan.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2") && err.contains("udp.sned"), "{err}");
        let err = Plan::parse_spec("first-send:colour=red")
            .unwrap_err()
            .to_string();
        assert!(err.contains("colour"), "{err}");
    }
}
