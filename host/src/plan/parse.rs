//! Reading plans: `[[fault]]` tables from TOML and `--fault NAME:key=value,...` specs,
//! which are turned into the same TOML table so both accept exactly the same keys.

use super::keys::Fault;
use super::presets;
use super::too_large::too_large;
use super::{Action, Form, Op, Plan, PlanError, Readiness, Rule, Scope, Select};
use super::{error_code_from_name, error_code_names};
use serde::{Deserialize, Deserializer};
use std::path::Path;
use wasmtime_wasi::p2::bindings::sockets::network::ErrorCode;

/// The keys a `[[fault]]` table or a `--fault` spec may use, as written. Numbers are read
/// as any value and checked by [`FaultSpec::check`], so an out-of-range or malformed one
/// gets our words: the field, the value and the accepted range.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FaultSpec {
    preset: Option<String>,
    op: Option<Op>,
    name: Option<String>,
    #[serde(alias = "n")]
    first: Option<toml::Value>,
    after: Option<toml::Value>,
    every: Option<toml::Value>,
    nth: Option<toml::Value>,
    until_waits: Option<toml::Value>,
    per: Option<Scope>,
    connected: Option<bool>,
    eager: Option<bool>,
    sticky: Option<bool>,
    action: Option<String>,
    slice: Option<toml::Value>,
    short_permit: Option<toml::Value>,
    #[serde(alias = "k")]
    ready: Option<toml::Value>,
    form: Option<Form>,
}

/// The largest count a plan can say: TOML's integers are 64-bit signed.
const MAX_COUNT: u64 = i64::MAX as u64;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    #[serde(default)]
    fault: Vec<toml::Spanned<FaultSpec>>,
}

impl<'de> Deserialize<'de> for Op {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Op::from_name(&name).ok_or_else(|| {
            let known: Vec<&str> = Op::ALL.iter().map(|op| op.name()).collect();
            serde::de::Error::custom(format!("unknown op `{name}` (known: {})", known.join(", ")))
        })
    }
}

impl Plan {
    /// Reads a TOML plan file.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::Plan;
    /// let name = format!("wouldblock-plan-{}.toml", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// std::fs::write(&path, "[[fault]]\npreset = \"first-send\"\n")?;
    /// assert_eq!(Plan::from_file(&path)?, Plan::new().with_spec("first-send")?);
    /// # std::fs::remove_file(&path)?;
    /// # Ok(()) }
    /// ```
    pub fn from_file(path: &Path) -> Result<Self, PlanError> {
        let text = std::fs::read_to_string(path).map_err(|source| PlanError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Parses a TOML plan; `origin` names it in errors (a file name).
    ///
    /// ```
    /// use wouldblock::Plan;
    /// let text = "[[fault]]\npreset = \"icmp-refused\"\nsticky = true\n";
    /// let plan = Plan::from_toml(text, "plan.toml").unwrap();
    /// assert!(plan.rules.iter().all(|rule| rule.sticky));
    /// ```
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, PlanError> {
        let file: PlanFile = toml::from_str(text).map_err(|e| {
            // A number past TOML's 64-bit integers never reaches our checks: said as they
            // say it, where the number stands.
            if let Some(span) = e.span()
                && let Some(message) = too_large(text, span.clone(), MAX_COUNT)
            {
                let (line, column) = LineIndex::new(text).locate(span.start);
                return invalid(&format!("{origin} line {line}, column {column}"), message);
            }
            PlanError::Syntax {
                origin: origin.to_string(),
                message: e.to_string().trim_end().to_string(),
            }
        })?;
        // Line starts once, so locating every fault is linear in the plan's size.
        let lines = LineIndex::new(text);
        let mut plan = Plan::new();
        for spanned in file.fault {
            let span = spanned.span();
            let (line, column) = lines.locate(span.start);
            let table = format!("{origin} line {line}, column {column} ([[fault]])");
            match spanned.into_inner().into_rules(&table) {
                Ok(rules) => plan.rules.extend(rules),
                // A wrong value is shown where it stands, not only where its table starts.
                Err(PlanError::Invalid { message, .. }) => {
                    // The span may cover the `[[fault]]` header alone: look from there to
                    // the next table.
                    let body = &text[span.start..];
                    let end = body[1..].find("\n[").map_or(body.len(), |i| i + 1);
                    let at = field_offset(&body[..end], &message)
                        .map(|offset| lines.locate(span.start + offset));
                    let (line, column) = at.unwrap_or((line, column));
                    let origin = format!("{origin} line {line}, column {column} ([[fault]])");
                    return Err(invalid(&origin, message));
                }
                Err(other) => return Err(other),
            }
        }
        Ok(plan)
    }

    /// Parses one `--fault` spec: `NAME` or `NAME:key=value,key=value`, where NAME is a
    /// preset or an operation, e.g. `first-send:n=3,form=check-send` or
    /// `udp.send:first=2,action=ok-zero,ready=never`.
    ///
    /// The TOML spelling works too: `op=udp.send,first=2,action=ok-zero` or
    /// `preset=first-send,n=2`.
    ///
    /// ```
    /// use wouldblock::Plan;
    /// let toml_spelling = Plan::parse_spec("op=udp.send,first=2,action=ok-zero").unwrap();
    /// assert_eq!(toml_spelling, Plan::parse_spec("udp.send:first=2,action=ok-zero").unwrap());
    /// ```
    pub fn parse_spec(spec: &str) -> Result<Vec<Rule>, PlanError> {
        let origin = format!("--fault {spec}");
        let (head, rest) = match spec.split_once(':') {
            Some((head, rest)) => (Some(head), rest),
            // No NAME: every key, `op` or `preset` included, is written key=value.
            None if spec.contains('=') => (None, spec),
            None => (Some(spec), ""),
        };
        let mut table = toml::Table::new();
        if let Some(head) = head {
            let head_key = if head.contains('.') { "op" } else { "preset" };
            table.insert(head_key.into(), toml::Value::String(head.trim().into()));
        }
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
            // As in TOML, a key given twice is an error, not "the last one wins".
            if table.insert(key.trim().into(), value).is_some() {
                return Err(invalid(
                    &origin,
                    format!("field `{}` is given twice", key.trim()),
                ));
            }
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
}

impl FaultSpec {
    fn into_rules(self, origin: &str) -> Result<Vec<Rule>, PlanError> {
        let invalid = |message: String| invalid(origin, message);
        let fault = self.check().map_err(invalid)?;
        match (&self.preset, self.op) {
            (Some(_), Some(_)) => Err(invalid(
                "a fault has either `preset` or `op`, not both".into(),
            )),
            (None, None) => Err(invalid(
                "a fault needs `preset` (e.g. \"first-send\") or `op` (e.g. \"udp.send\")".into(),
            )),
            (Some(name), None) => {
                let preset = presets::find(name).map_err(&invalid)?;
                if let Some(field) = fault.fields().find(|f| !preset.takes(*f)) {
                    return Err(invalid(format!(
                        "field `{}` is not a key of preset {name} (keys: {})",
                        field.name(),
                        preset.key_names()
                    )));
                }
                let mut rules = preset.expand(&fault).map_err(invalid)?;
                if let Some(name) = &fault.name {
                    rules.iter_mut().for_each(|rule| rule.name.clone_from(name));
                }
                Ok(rules)
            }
            (None, Some(op)) => fault.op_rule(op).map_err(invalid).map(|rule| vec![rule]),
        }
    }

    /// The keys with every number checked against its range.
    fn check(&self) -> Result<Fault, String> {
        Ok(Fault {
            name: self.name.clone(),
            first: count("first", self.first.as_ref(), 0)?,
            after: count("after", self.after.as_ref(), 0)?,
            every: count("every", self.every.as_ref(), 1)?,
            nth: count("nth", self.nth.as_ref(), 1)?,
            until_waits: count("until-waits", self.until_waits.as_ref(), 0)?,
            per: self.per,
            connected: self.connected,
            eager: self.eager,
            sticky: self.sticky,
            action: self.action()?,
            ready: self.ready.as_ref().map(parse_ready).transpose()?,
            form: self.form,
        })
    }
}

impl FaultSpec {
    /// `action`, `slice` and `short-permit` each name the answer; at most one may be given.
    fn action(&self) -> Result<Option<Action>, String> {
        let slice = count("slice", self.slice.as_ref(), 1)?.map(Action::Slice);
        let short = count("short-permit", self.short_permit.as_ref(), 0)?.map(Action::ShortPermit);
        let action = self.action.as_deref().map(parse_action).transpose()?;
        match (action, slice, short) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => Err(
                "field `action`: give one of `action`, `slice` and `short-permit`, not two".into(),
            ),
            (a, b, c) => Ok(a.or(b).or(c)),
        }
    }
}

impl Fault {
    /// A rule on one operation.
    fn op_rule(&self, op: Op) -> Result<Rule, String> {
        if self.form.is_some() {
            return Err(
                "field `form` belongs to the first-send preset, not to an `op` rule".into(),
            );
        }
        self.check_connected(op)?;
        let ready = self.ready;
        let (action, ready) = if op.is_pollable() {
            self.wait_answer(op, ready)?
        } else {
            let action = self.action.ok_or_else(|| {
                format!(
                    "field `action` is missing for op `{op}` (ok-zero, pass, or an error-code \
                     such as would-block)"
                )
            })?;
            let action = check_action(op, action)?;
            let ready = ready.unwrap_or(match action {
                // WIT: "When this function returns ok(0), the `subscribe` pollable will
                // become ready when this function will report at least ok(1)": one tick.
                Action::OkZero => Readiness::NotReady(1),
                Action::Error(code)
                    if code == ErrorCode::WouldBlock && op.zero_is_would_block() =>
                {
                    Readiness::NotReady(1)
                }
                _ => Readiness::Real,
            });
            (action, ready)
        };
        let answer = if op.is_pollable() {
            ready.to_string()
        } else {
            action.to_string()
        };
        Ok(Rule {
            name: self
                .name
                .clone()
                .unwrap_or_else(|| format!("{op} {answer}")),
            op,
            select: self.select()?,
            scope: self.per.unwrap_or_default(),
            action,
            ready,
            connected: self.connected.unwrap_or(false),
            eager: self.eager.unwrap_or(false),
            sticky: self.sticky.unwrap_or(false),
        })
    }

    /// A rule on waits: `ready` is what the selected waits see, nothing is answered.
    fn wait_answer(&self, op: Op, ready: Option<Readiness>) -> Result<(Action, Readiness), String> {
        if self.action.is_some_and(|a| a != Action::Pass) {
            return Err(format!(
                "field `action`: `{op}` is a wait, not a call with an answer; give only `ready`"
            ));
        }
        let ready = ready.ok_or_else(|| {
            format!("field `ready` is missing for `{op}` (a tick count, never, spurious or real)")
        })?;
        Ok((Action::Pass, ready))
    }

    /// The selector keys, checked.
    pub(super) fn select(&self) -> Result<Select, String> {
        match self.nth {
            Some(_)
                if self.first.is_some()
                    || self.after.is_some()
                    || self.every.is_some()
                    || self.until_waits.is_some() =>
            {
                Err(
                    "field `nth` cannot be combined with `first`, `after`, `every` or `until-waits`"
                        .into(),
                )
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
}

/// A semantic error in the fault that came from `origin`.
pub(super) fn invalid(origin: &str, message: String) -> PlanError {
    PlanError::Invalid {
        origin: origin.to_string(),
        message,
    }
}

/// A count: a whole number from `min` to [`MAX_COUNT`]. A `--fault` value too large for a
/// TOML integer arrives as text, and is told apart from text that is not a number.
fn count(field: &str, value: Option<&toml::Value>, min: u64) -> Result<Option<u64>, String> {
    let Some(value) = value else {
        return Ok(None);
    };
    let range = format!("a whole number from {min} to {MAX_COUNT}");
    let number = match value {
        toml::Value::Integer(n) => u64::try_from(*n).ok(),
        toml::Value::String(text)
            if text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() =>
        {
            None
        }
        other => return Err(format!("field `{field}`: {other} is not {range}")),
    };
    match number {
        Some(n) if n >= min => Ok(Some(n)),
        _ => Err(format!(
            "field `{field}`: {} is out of range ({range})",
            plain(value)
        )),
    }
}

/// A value as the user wrote it, without TOML's quotes.
fn plain(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn parse_ready(value: &toml::Value) -> Result<Readiness, String> {
    let ticks = format!("a tick count from 0 to {}", u32::MAX);
    match value {
        toml::Value::Integer(0) => Ok(Readiness::Real),
        toml::Value::Integer(k) => match u32::try_from(*k) {
            Ok(k) => Ok(Readiness::NotReady(k)),
            Err(_) => Err(format!(
                "field `ready`: {k} is out of range ({ticks}, never, spurious or real)"
            )),
        },
        toml::Value::String(word) => match word.as_str() {
            "never" => Ok(Readiness::Never),
            "spurious" => Ok(Readiness::Spurious),
            "spurious-once" => Ok(Readiness::SpuriousOnce),
            "real" => Ok(Readiness::Real),
            digits if digits.bytes().all(|b| b.is_ascii_digit()) && !digits.is_empty() => {
                Err(format!(
                    "field `ready`: {digits} is out of range ({ticks}, never, spurious or real)"
                ))
            }
            other => Err(format!(
                "field `ready`: `{other}` is not {ticks}, `never`, `spurious` or `real`"
            )),
        },
        other => Err(format!(
            "field `ready`: {other} is not {ticks}, never, spurious or real"
        )),
    }
}

fn parse_action(text: &str) -> Result<Action, String> {
    match text {
        "ok-zero" => Ok(Action::OkZero),
        "pass" => Ok(Action::Pass),
        "reset" => Ok(Action::Reset),
        "closed" => Ok(Action::Closed),
        "ipv6-first" => Ok(Action::Ipv6First),
        code => error_code_from_name(code)
            .map(Action::Error)
            .ok_or_else(|| {
                format!(
                    "field `action`: `{code}` is not ok-zero, pass, reset, closed, ipv6-first or \
                     a wasi error-code ({})",
                    error_code_names()
                )
            }),
    }
}

/// Whether `action` means something for `op`; a pending connect or accept written
/// `ok-zero` becomes the `would-block` it is.
fn check_action(op: Op, action: Action) -> Result<Action, String> {
    let stream_only =
        |what: &str| format!("field `{what}`: only a TCP stream's calls answer it, not `{op}`");
    match action {
        Action::OkZero if !op.has_zero_answer() => Err(format!(
            "field `action`: ok-zero has no meaning for `{op}`; use an error-code"
        )),
        Action::OkZero if op.zero_is_would_block() => Ok(Action::Error(ErrorCode::WouldBlock)),
        Action::Slice(_) if !op.takes_slice() => Err(format!(
            "field `slice`: only `tcp.read` returns bytes, not `{op}`"
        )),
        Action::ShortPermit(_) if !op.takes_short_permit() => Err(format!(
            "field `short-permit`: only `tcp.check-write` and `udp.check-send` answer a permit, not `{op}`"
        )),
        Action::Reset | Action::Closed if !op.is_stream() => Err(stream_only("action")),
        Action::Ipv6First if !op.takes_reorder() => Err(format!(
            "field `action`: ipv6-first: only `dns.resolve` answers addresses, not `{op}`"
        )),
        other => Ok(other),
    }
}

/// Where, in a `[[fault]]` table's text, the field a message names (`field \`first\`: ...`)
/// is given: the start of its `key =` line, under any of its spellings.
fn field_offset(table: &str, message: &str) -> Option<usize> {
    let field = message.strip_prefix("field `")?.split('`').next()?;
    let spellings: &[&str] = match field {
        "first" => &["first", "n"],
        "ready" => &["ready", "k"],
        other => &[other][..],
    };
    let mut offset = 0;
    for line in table.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let key = trimmed.split(['=', ' ', '\t']).next().unwrap_or("");
        if spellings.contains(&key) {
            return Some(offset + (line.len() - trimmed.len()));
        }
        offset += line.len();
    }
    None
}

/// Byte offsets to 1-based lines and columns, in O(log lines) each.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { starts }
    }

    fn locate(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&start| start <= offset);
        (line, offset - self.starts[line - 1] + 1)
    }
}
