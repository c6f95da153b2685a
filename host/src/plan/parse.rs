//! Reading plans: `[[fault]]` tables from TOML and `--fault NAME:key=value,...` specs,
//! which are turned into the same TOML table so both accept exactly the same keys.

use super::presets::{self, Field};
use super::{Action, Form, Op, Plan, PlanError, Readiness, Rule, Scope, Select};
use super::{error_code_from_name, error_code_names};
use serde::{Deserialize, Deserializer};
use std::path::Path;

/// The keys a `[[fault]]` table or a `--fault` spec may use.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct FaultSpec {
    preset: Option<String>,
    op: Option<Op>,
    #[serde(alias = "n")]
    pub(super) first: Option<u64>,
    pub(super) after: Option<u64>,
    every: Option<u64>,
    nth: Option<u64>,
    pub(super) until_waits: Option<u64>,
    per: Option<Scope>,
    connected: Option<bool>,
    pub(super) sticky: Option<bool>,
    action: Option<String>,
    #[serde(alias = "k")]
    ready: Option<ReadyValue>,
    pub(super) form: Option<Form>,
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
        // Line starts once, so locating every fault is linear in the plan's size.
        let lines = LineIndex::new(text);
        let mut plan = Plan::new();
        for spanned in file.fault {
            let (line, column) = lines.locate(spanned.span().start);
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
        match (&self.preset, self.op) {
            (Some(_), Some(_)) => Err(invalid(
                "a fault has either `preset` or `op`, not both".into(),
            )),
            (None, None) => Err(invalid(
                "a fault needs `preset` (e.g. \"first-send\") or `op` (e.g. \"udp.send\")".into(),
            )),
            (Some(name), None) => {
                let preset = presets::find(name).map_err(&invalid)?;
                if let Some(field) = self.fields().find(|f| !preset.takes(*f)) {
                    return Err(invalid(format!(
                        "field `{}` is not a key of preset {name} (keys: {})",
                        field.name(),
                        preset.key_names()
                    )));
                }
                preset.expand(&self).map_err(invalid)
            }
            (None, Some(op)) => self.op_rule(op).map_err(invalid).map(|rule| vec![rule]),
        }
    }

    /// The fields this fault sets, for the presets' key check.
    fn fields(&self) -> impl Iterator<Item = Field> {
        [
            (Field::First, self.first.is_some()),
            (Field::Ready, self.ready.is_some()),
            (Field::After, self.after.is_some()),
            (Field::Every, self.every.is_some()),
            (Field::Nth, self.nth.is_some()),
            (Field::UntilWaits, self.until_waits.is_some()),
            (Field::Per, self.per.is_some()),
            (Field::Connected, self.connected.is_some()),
            (Field::Sticky, self.sticky.is_some()),
            (Field::Action, self.action.is_some()),
            (Field::Form, self.form.is_some()),
        ]
        .into_iter()
        .filter_map(|(field, set)| set.then_some(field))
    }

    /// `ready`, parsed.
    pub(super) fn readiness(&self) -> Result<Option<Readiness>, String> {
        self.ready.as_ref().map(parse_ready).transpose()
    }

    /// `action`, parsed.
    pub(super) fn parsed_action(&self) -> Result<Option<Action>, String> {
        self.action.as_deref().map(parse_action).transpose()
    }

    /// A rule on one operation.
    fn op_rule(&self, op: Op) -> Result<Rule, String> {
        if self.form.is_some() {
            return Err(
                "field `form` belongs to the first-send preset, not to an `op` rule".into(),
            );
        }
        let ready = self.readiness()?;
        let (action, ready) = if op.is_pollable() {
            self.wait_answer(op, ready)?
        } else {
            let action = self.parsed_action()?.ok_or_else(|| {
                format!(
                    "field `action` is missing for op `{op}` (ok-zero, pass, or an error-code \
                     such as would-block)"
                )
            })?;
            if action == Action::OkZero && !op.has_zero_answer() {
                return Err(format!(
                    "field `action`: ok-zero has no meaning for `{op}`; use an error-code"
                ));
            }
            let ready = ready.unwrap_or(match action {
                // WIT: "When this function returns ok(0), the `subscribe` pollable will
                // become ready when this function will report at least ok(1)": one tick.
                Action::OkZero => Readiness::NotReady(1),
                Action::Error(_) | Action::Pass => Readiness::Real,
            });
            (action, ready)
        };
        Ok(Rule {
            name: format!(
                "{op} {}",
                if op.is_pollable() {
                    ready.to_string()
                } else {
                    action.to_string()
                }
            ),
            op,
            select: self.select()?,
            scope: self.per.unwrap_or_default(),
            action,
            ready,
            connected: self.connected.unwrap_or(false),
            sticky: self.sticky.unwrap_or(false),
        })
    }

    /// A rule on waits: `ready` is what the selected waits see, nothing is answered.
    fn wait_answer(&self, op: Op, ready: Option<Readiness>) -> Result<(Action, Readiness), String> {
        if self.action.as_deref().is_some_and(|a| a != "pass") {
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
        if self.every == Some(0) {
            return Err("field `every` must be at least 1".into());
        }
        match self.nth {
            Some(0) => Err("field `nth` counts from 1".into()),
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
                    error_code_names()
                )
            }),
    }
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
