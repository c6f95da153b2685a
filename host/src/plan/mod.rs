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
//!
//! The model lives here; `parse` reads TOML and specs, `presets` is the one table of
//! presets, `error_codes` names the WASI error codes.

mod keys;
mod parse;
mod presets;
mod print;
mod too_large;

pub use crate::catalogue::{Action, Op, Readiness};
pub(crate) use crate::catalogue::{error_code_from_name, error_code_name, error_code_names};
pub use presets::{Key, PRESETS, Preset};

use serde::Deserialize;

/// Which calls of an operation a rule applies to, counted from 0 within its [`Scope`].
///
/// Call `n` matches when `n >= after`, `n - after < first` (if set),
/// `(n - after + 1)` is a multiple of `every` (if set) and, with `until_waits = W`, the
/// guest has not yet been woken by a timer W times since the rule's first match.
///
/// ```
/// let spec = "udp.send:after=1,first=2,every=3,action=ok-zero";
/// let rules = wouldblock::Plan::parse_spec(spec).unwrap();
/// let select = rules[0].select;
/// assert_eq!((select.after, select.first, select.every), (1, Some(2), Some(3)));
/// ```
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
    ///
    /// ```
    /// use wouldblock::Select;
    /// let select = Select { after: 1, first: Some(2), ..Select::default() };
    /// let chosen: Vec<u64> = (0..5).filter(|&n| select.matches(n, 0)).collect();
    /// assert_eq!(chosen, [1, 2]);
    /// ```
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
///
/// ```
/// use wouldblock::{Plan, Scope};
/// let rules = Plan::parse_spec("udp.send:first=1,action=ok-zero,per=global").unwrap();
/// assert_eq!(rules[0].scope, Scope::Global);
/// assert_eq!(Plan::parse_spec("first-send").unwrap()[0].scope, Scope::Stream);
/// ```
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

/// One fault: the calls it selects and what they answer.
///
/// ```
/// use wouldblock::{Action, Op, Plan};
/// let spec = "udp.receive:first=1,action=ok-zero,sticky=true";
/// let rule = Plan::parse_spec(spec).unwrap().remove(0);
/// assert_eq!((rule.op, rule.action, rule.sticky), (Op::UdpReceive, Action::OkZero, true));
/// ```
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
    /// Only calls made before the resource's pollable woke the guest count: a host answers
    /// "still pending" (a connect, a lookup, a permit of 0) to a call that comes early,
    /// never to one right after its pollable said the resource is ready.
    pub eager: bool,
    /// After each injected answer, the next call of the same operation on the same
    /// resource gets it again, selected or not: an error the kernel reports twice.
    pub sticky: bool,
}

/// How the first-send fault tells the guest that the stream is not writable yet.
///
/// ```
/// use wouldblock::{Form, Op, Plan, Readiness};
/// let plan = Plan::first_send(Form::CheckSend, 1, Readiness::NotReady(1));
/// assert_eq!(plan.rules[0].op, Op::UdpCheckSend);
/// ```
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
    ///
    /// ```
    /// use wouldblock::Form;
    /// assert_eq!(Form::ALL.map(Form::name), ["ok-zero", "would-block", "check-send"]);
    /// ```
    pub const ALL: [Form; 3] = [Form::OkZero, Form::WouldBlock, Form::CheckSend];

    /// The name used in specs.
    ///
    /// ```
    /// use wouldblock::{Form, Plan};
    /// let spec = format!("first-send:form={}", Form::WouldBlock.name());
    /// assert_eq!(Plan::parse_spec(&spec).unwrap()[0].name, "first-send/would-block");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Form::OkZero => "ok-zero",
            Form::WouldBlock => "would-block",
            Form::CheckSend => "check-send",
        }
    }
}

/// A complete fault plan.
///
/// ```
/// use wouldblock::Plan;
/// let plan = Plan::new().with_spec("first-send").unwrap().with_spec("icmp-refused").unwrap();
/// assert_eq!(plan.rules.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The rules, in order: the first rule that selects a call decides it.
    pub rules: Vec<Rule>,
}

/// Why a plan could not be read.
///
/// ```
/// use wouldblock::{Plan, PlanError};
/// let refused = Plan::from_toml("[[fault]]\nop = \"udp.sned\"\n", "plan.toml").unwrap_err();
/// assert!(matches!(refused, PlanError::Syntax { .. }));
/// assert!(refused.to_string().contains("unknown op `udp.sned`"), "{refused}");
/// ```
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

impl Plan {
    /// An empty plan: the harness is transparent.
    ///
    /// ```
    /// assert!(wouldblock::Plan::new().rules.is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the rules of a `--fault` spec.
    ///
    /// ```
    /// let plan = wouldblock::Plan::new().with_spec("first-send:n=2").unwrap();
    /// assert_eq!(plan.rules[0].select.first, Some(2));
    /// ```
    pub fn with_spec(mut self, spec: &str) -> Result<Self, PlanError> {
        self.rules.extend(Self::parse_spec(spec)?);
        Ok(self)
    }

    /// Adds one rule.
    ///
    /// ```
    /// use wouldblock::Plan;
    /// let rule = Plan::parse_spec("udp.send:first=1,action=ok-zero").unwrap().remove(0);
    /// assert_eq!(Plan::new().with_rule(rule.clone()).rules, [rule]);
    /// ```
    pub fn with_rule(mut self, rule: Rule) -> Self {
        self.rules.push(rule);
        self
    }

    /// The first-send family: for each fresh outgoing stream the first `n` send attempts
    /// are not writable, told in `form`, and the pollable is ready after `k` ticks.
    ///
    /// ```
    /// use wouldblock::{Form, Plan, Readiness};
    /// let plan = Plan::first_send(Form::OkZero, 2, Readiness::NotReady(3));
    /// assert_eq!(plan, Plan::new().with_spec("first-send:n=2,k=3").unwrap());
    /// ```
    pub fn first_send(form: Form, n: u64, k: Readiness) -> Self {
        Plan::new().with_rule(presets::first_send_rule(form, n, k))
    }
}

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;
