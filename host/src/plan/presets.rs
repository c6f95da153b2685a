//! The presets, in one table: each row is a preset's name, what it reproduces, its keys
//! with their defaults and its expansion. `wouldblock presets`, the parser's key check and
//! the expansion all read this table, so a preset cannot be half added.

use super::keys::{Fault, Field};
use super::{Action, Form, Op, Readiness, Rule, Scope, Select};
use wasmtime_wasi::p2::bindings::sockets::network::ErrorCode;

/// A key a preset takes, with the name it goes by and its default.
///
/// ```
/// use wouldblock::plan::PRESETS;
/// let first_send = PRESETS.iter().find(|p| p.name == "first-send").unwrap();
/// let n = &first_send.keys[0];
/// assert_eq!((n.name, n.default), ("n", "1"));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Key {
    field: Field,
    /// The name in specs and TOML (`n` is first-send's name for `first`).
    pub name: &'static str,
    /// The value when the key is not given.
    pub default: &'static str,
}

const fn key(field: Field, name: &'static str, default: &'static str) -> Key {
    Key {
        field,
        name,
        default,
    }
}

/// A named recipe that expands to rules.
///
/// ```
/// use wouldblock::plan::PRESETS;
/// let preset = PRESETS.iter().find(|p| p.name == "first-send").unwrap();
/// assert_eq!(preset.references, ["wasmtime#12612"]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    /// The name used in `--fault NAME` and `preset = "NAME"`.
    pub name: &'static str,
    /// What it reproduces, with its references, for `wouldblock presets` and docs/fault-catalogue.md.
    pub summary: &'static str,
    /// The real-world reports it reproduces, e.g. `wasmtime#12612`.
    pub references: &'static [&'static str],
    /// The keys it takes.
    pub keys: &'static [Key],
    expand: fn(&Fault, &Preset) -> Result<Vec<Rule>, String>,
}

impl Preset {
    pub(super) fn takes(&self, field: Field) -> bool {
        self.keys.iter().any(|k| k.field == field)
    }

    pub(super) fn key_names(&self) -> String {
        let names: Vec<&str> = self.keys.iter().map(|k| k.name).collect();
        names.join(", ")
    }

    pub(super) fn expand(&self, spec: &Fault) -> Result<Vec<Rule>, String> {
        (self.expand)(spec, self)
    }

    /// Every other call of `op` answers not-ready (`ok-zero`, the pollable ready after `k`
    /// checks), the others the real answer cut to `cut` (a slice of a read, a short
    /// permit): data or room that comes in parts, with nothing between them.
    fn not_ready_between_cuts(&self, spec: &Fault, op: Op, cut: Action) -> Vec<Rule> {
        let ready = spec.ready.unwrap_or(Readiness::NotReady(1));
        let cut = spec.action.unwrap_or(cut);
        vec![
            self.rule(spec, op, every_other(), Action::OkZero, ready),
            self.rule(spec, op, Select::default(), cut, Readiness::Real),
        ]
    }

    /// The first read of each stream cut to `slice` bytes (4 by default), the next one a
    /// reset: a peer that resets the connection mid-stream.
    fn slice_then_reset(&self, spec: &Fault, op: Op) -> Vec<Rule> {
        let slice = spec.action.unwrap_or(Action::Slice(4));
        let first = Select {
            first: Some(1),
            ..Select::default()
        };
        let then = Select {
            after: 1,
            first: Some(1),
            ..Select::default()
        };
        vec![
            self.rule(spec, op, first, slice, Readiness::Real),
            self.rule(spec, op, then, Action::Reset, Readiness::Real),
        ]
    }

    /// A rule named after the preset, counted per stream.
    fn rule(&self, spec: &Fault, op: Op, select: Select, action: Action, ready: Readiness) -> Rule {
        Rule {
            name: self.name.to_string(),
            op,
            select,
            scope: Scope::Stream,
            action,
            ready,
            connected: false,
            eager: spec.eager.unwrap_or(false),
            sticky: spec.sticky.unwrap_or(false),
        }
    }
}

/// The preset called `name`, or an error listing the known ones.
pub(super) fn find(name: &str) -> Result<&'static Preset, String> {
    PRESETS.iter().find(|p| p.name == name).ok_or_else(|| {
        let known: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
        format!("unknown preset `{name}` (known: {})", known.join(", "))
    })
}

const ENOBUFS: Action = Action::Error(ErrorCode::OutOfMemory);

/// Every preset this version knows, each reproducing one real case.
///
/// ```
/// use wouldblock::{Plan, plan::PRESETS};
/// for preset in PRESETS {
///     assert!(Plan::parse_spec(preset.name).is_ok(), "{}", preset.name);
/// }
/// ```
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "first-send",
        summary: "the first n send attempts on each fresh outgoing stream are not writable, told \
                  as form = ok-zero | would-block | check-send; the pollable is ready after k \
                  checks (wasmtime#12612)",
        references: &["wasmtime#12612"],
        keys: &[
            key(Field::First, "n", "1"),
            key(Field::Ready, "k", "1"),
            key(Field::Form, "form", "ok-zero"),
        ],
        expand: |spec, _| {
            let ready = spec.ready.unwrap_or(Readiness::NotReady(1));
            Ok(vec![first_send_rule(
                spec.form.unwrap_or_default(),
                spec.first.unwrap_or(1),
                ready,
            )])
        },
    },
    Preset {
        name: "enobufs-backpressure",
        summary: "after `after` accepted sends the next `first` sends answer out-of-memory \
                  (wasmtime's ENOBUFS) or, with action = ok-zero, ok(0); the pollable is ready \
                  after `ready` checks (macOS sendmsg, firezone#9798)",
        references: &["firezone#9798"],
        keys: &[
            key(Field::After, "after", "8"),
            key(Field::First, "first", "3"),
            key(Field::Ready, "ready", "1"),
            key(Field::Action, "action", "out-of-memory"),
        ],
        expand: |spec, preset| {
            let ready = spec.ready.unwrap_or(Readiness::NotReady(1));
            Ok(vec![enobufs_rule(spec, preset, ready)])
        },
    },
    Preset {
        name: "enobufs-no-wakeup",
        summary: "as enobufs-backpressure, but the pollable never becomes ready again: the \
                  kqueue missed wake-up that hung firezone's send task (firezone#10965)",
        references: &["firezone#10965"],
        keys: &[
            key(Field::After, "after", "8"),
            key(Field::First, "first", "3"),
            key(Field::Action, "action", "out-of-memory"),
        ],
        expand: |spec, preset| Ok(vec![enobufs_rule(spec, preset, Readiness::Never)]),
    },
    Preset {
        name: "enobufs-writable",
        summary: "after `after` sends, sends answer out-of-memory while the pollable keeps saying \
                  ready, until the guest has backed off on a timer `until-waits` times: FreeBSD, \
                  where libuv's wait for POLLOUT busy-loops (libuv#5194)",
        references: &["libuv#5194"],
        keys: &[
            key(Field::After, "after", "8"),
            key(Field::UntilWaits, "until-waits", "3"),
        ],
        expand: |spec, preset| {
            let select = until_waits(spec, 8);
            Ok(vec![preset.rule(
                spec,
                Op::UdpSend,
                select,
                ENOBUFS,
                Readiness::Spurious,
            )])
        },
    },
    Preset {
        name: "icmp-refused",
        summary: "on a connected socket, receive call `after`+1 answers connection-refused once \
                  (an ICMP port-unreachable, bun#29473, libuv#4447, curl#9209); sticky = true \
                  answers it twice, as Linux can via sk_err (bun#35923)",
        references: &["bun#29473", "libuv#4447", "curl#9209", "bun#35923"],
        keys: &[
            key(Field::After, "after", "0"),
            key(Field::Sticky, "sticky", "false"),
        ],
        expand: |spec, preset| {
            let select = Select {
                after: spec.after.unwrap_or(0),
                first: Some(1),
                ..Select::default()
            };
            let refused = Action::Error(ErrorCode::ConnectionRefused);
            let mut rule = preset.rule(spec, Op::UdpReceive, select, refused, Readiness::Real);
            rule.connected = true;
            Ok(vec![rule])
        },
    },
    Preset {
        name: "errqueue-stuck",
        summary: "the incoming pollable stays ready while receive returns an empty list, until \
                  the guest has backed off on a timer `until-waits` times: EPOLLERR left \
                  asserted by an undrained error queue (bun#29473)",
        references: &["bun#29473"],
        keys: &[
            key(Field::After, "after", "0"),
            key(Field::UntilWaits, "until-waits", "3"),
        ],
        expand: |spec, preset| {
            let select = until_waits(spec, 0);
            Ok(vec![preset.rule(
                spec,
                Op::UdpReceive,
                select,
                Action::OkZero,
                Readiness::Spurious,
            )])
        },
    },
    Preset {
        name: "tcp-slow-peer",
        summary: "each read of a TCP connection returns at most `slice` bytes, with an empty read \
                  between chunks and the input pollable ready after `k` checks: a slow peer, the \
                  Valgrind-only C echo server that took an empty non-blocking read for end of \
                  stream (echo-valgrind)",
        references: &["echo-valgrind"],
        keys: &[key(Field::Slice, "slice", "1"), key(Field::Ready, "k", "1")],
        expand: |spec, preset| {
            Ok(preset.not_ready_between_cuts(spec, Op::TcpRead, Action::Slice(1)))
        },
    },
    Preset {
        name: "tcp-backpressure",
        summary: "check-write on a TCP connection answers 0 and short permits of at most \
                  `short-permit` bytes in turn, the output pollable ready after `k` checks: a \
                  full send buffer (WIT: check-write 0 means wait on subscribe)",
        references: &["wasi:io/streams check-write"],
        keys: &[
            key(Field::ShortPermit, "short-permit", "1024"),
            key(Field::Ready, "k", "1"),
        ],
        expand: |spec, preset| {
            Ok(preset.not_ready_between_cuts(spec, Op::TcpCheckWrite, Action::ShortPermit(1024)))
        },
    },
    Preset {
        name: "tcp-connect-pending",
        summary: "finish-connect answers would-block to the first `n` calls made before the \
                  socket's pollable woke the guest, the pollable ready after `k` checks each \
                  time; a call right after a wake-up gets the real answer, as from \
                  wasmtime-wasi, which resolves the pollable once the connect is done: the \
                  non-blocking connect race (WIT: finish-connect would-block while pending)",
        references: &["wasi:sockets/tcp finish-connect"],
        keys: &[key(Field::First, "n", "3"), key(Field::Ready, "k", "1")],
        expand: |spec, preset| {
            let ready = spec.ready.unwrap_or(Readiness::NotReady(1));
            let select = Select {
                first: Some(spec.first.unwrap_or(3)),
                ..Select::default()
            };
            let pending = Action::Error(ErrorCode::WouldBlock);
            let mut rule = preset.rule(spec, Op::TcpConnect, select, pending, ready);
            rule.eager = true;
            Ok(vec![rule])
        },
    },
    Preset {
        name: "tcp-reset",
        summary: "the first read of each TCP connection returns at most `slice` bytes, the next \
                  answers last-operation-failed(connection-reset): the peer reset the connection \
                  mid-stream (ECONNRESET)",
        references: &["ECONNRESET"],
        keys: &[key(Field::Slice, "slice", "4")],
        expand: |spec, preset| Ok(preset.slice_then_reset(spec, Op::TcpRead)),
    },
    Preset {
        name: "dns-slow",
        summary: "the first `n` resolve-next-address calls of each name lookup answer \
                  would-block, the lookup's pollable ready after `k` checks: a slow resolver \
                  (WIT: resolve-next-address would-block, EAI_INPROGRESS)",
        references: &["wasi:sockets/ip-name-lookup resolve-next-address"],
        keys: &[key(Field::First, "n", "1"), key(Field::Ready, "k", "3")],
        expand: |spec, preset| {
            let ready = spec.ready.unwrap_or(Readiness::NotReady(3));
            let select = Select {
                first: Some(spec.first.unwrap_or(1)),
                ..Select::default()
            };
            let pending = Action::Error(ErrorCode::WouldBlock);
            Ok(vec![preset.rule(
                spec,
                Op::DnsResolveNextAddress,
                select,
                pending,
                ready,
            )])
        },
    },
    Preset {
        name: "http-slow-response",
        summary: "the first `n` waits on each HTTP response's pollable find it not ready for `k` \
                  checks, and future-incoming-response.get answers none meanwhile: a server slow \
                  to send the response head (spin#765: outbound requests hang)",
        references: &["spin#765"],
        keys: &[key(Field::First, "n", "1"), key(Field::Ready, "k", "3")],
        expand: |spec, preset| {
            let ready = spec.ready.unwrap_or(Readiness::NotReady(3));
            let select = Select {
                first: Some(spec.first.unwrap_or(1)),
                ..Select::default()
            };
            Ok(vec![preset.rule(
                spec,
                Op::HttpResponsePollable,
                select,
                Action::Pass,
                ready,
            )])
        },
    },
    Preset {
        name: "http-slow-body",
        summary: "each read of an incoming HTTP body returns at most `slice` bytes, with an empty \
                  read between chunks and the body's pollable ready after `k` checks: a body \
                  whose next frame has not arrived, which wstd took for its end (wasmtime#9667, \
                  wstd#25)",
        references: &["wasmtime#9667", "wstd#25"],
        keys: &[key(Field::Slice, "slice", "1"), key(Field::Ready, "k", "1")],
        expand: |spec, preset| {
            Ok(preset.not_ready_between_cuts(spec, Op::HttpBodyRead, Action::Slice(1)))
        },
    },
    Preset {
        name: "http-body-backpressure",
        summary: "check-write on an outgoing HTTP body answers 0 and short permits of at most \
                  `short-permit` bytes in turn, the body's pollable ready after `k` checks: a \
                  body the connection has not sent yet (StarlingMonkey#171 body back-pressure, \
                  waki#36 large bodies hang on send)",
        references: &["StarlingMonkey#171", "waki#36"],
        keys: &[
            key(Field::ShortPermit, "short-permit", "1024"),
            key(Field::Ready, "k", "1"),
        ],
        expand: |spec, preset| {
            Ok(preset.not_ready_between_cuts(
                spec,
                Op::HttpBodyCheckWrite,
                Action::ShortPermit(1024),
            ))
        },
    },
    Preset {
        name: "http-reset-mid-body",
        summary: "the first read of each incoming HTTP body returns at most `slice` bytes, the \
                  next answers last-operation-failed(connection-reset): the server reset the \
                  connection mid-body, where a client that keeps reading loops forever \
                  (carina#3107)",
        references: &["carina#3107"],
        keys: &[key(Field::Slice, "slice", "4")],
        expand: |spec, preset| Ok(preset.slice_then_reset(spec, Op::HttpBodyRead)),
    },
];

/// Every second call: the empty answers between a slow peer's chunks.
fn every_other() -> Select {
    Select {
        every: Some(2),
        ..Select::default()
    }
}

/// `first` sends after `after` answer `action` (out-of-memory by default).
fn enobufs_rule(spec: &Fault, preset: &Preset, ready: Readiness) -> Rule {
    let select = Select {
        after: spec.after.unwrap_or(8),
        first: Some(spec.first.unwrap_or(3)),
        ..Select::default()
    };
    let action = spec.action.unwrap_or(ENOBUFS);
    preset.rule(spec, Op::UdpSend, select, action, ready)
}

/// Every call after `after` until the guest has backed off `until-waits` (3) times.
fn until_waits(spec: &Fault, after: u64) -> Select {
    Select {
        after: spec.after.unwrap_or(after),
        until_waits: Some(spec.until_waits.unwrap_or(3)),
        ..Select::default()
    }
}

/// The first-send rule: for each fresh outgoing stream the first `n` send attempts are
/// not writable, told in `form`, and the pollable is ready after `ready`.
pub(super) fn first_send_rule(form: Form, n: u64, ready: Readiness) -> Rule {
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
        eager: false,
        sticky: false,
    }
}
