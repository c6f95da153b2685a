//! Plans printed back as TOML: what `explore` writes for a finding, and what the parser's
//! round-trip test reads again. Every rule becomes one `[[fault]]` table of `op` keys.

use super::{Action, Plan, Readiness, Rule, Scope, error_code_name};
use toml::{Table, Value};

impl Plan {
    /// The plan as a TOML file that [`Plan::from_toml`] reads back to the same plan.
    ///
    /// ```
    /// use wouldblock::Plan;
    ///
    /// let plan = Plan::new().with_spec("icmp-refused:sticky=true").unwrap();
    /// let text = plan.to_toml();
    /// assert_eq!(Plan::from_toml(&text, "printed").unwrap(), plan);
    /// ```
    pub fn to_toml(&self) -> String {
        let faults: Vec<Value> = self.rules.iter().map(|r| Value::Table(table(r))).collect();
        let mut file = Table::new();
        file.insert("fault".into(), Value::Array(faults));
        toml::to_string(&file).expect("a plan is plain TOML")
    }
}

/// One rule as a `[[fault]]` table.
fn table(rule: &Rule) -> Table {
    let mut t = Table::new();
    let count = |n: u64| Value::Integer(i64::try_from(n).unwrap_or(i64::MAX));
    t.insert("name".into(), Value::String(rule.name.clone()));
    t.insert("op".into(), Value::String(rule.op.name().into()));
    let action = match rule.action {
        Action::OkZero => "ok-zero",
        Action::Pass => "pass",
        Action::Reset => "reset",
        Action::Closed => "closed",
        Action::Ipv6First => "ipv6-first",
        Action::Error(code) => error_code_name(code),
        Action::Slice(n) => {
            t.insert("slice".into(), count(n));
            ""
        }
        Action::ShortPermit(n) => {
            t.insert("short-permit".into(), count(n));
            ""
        }
    };
    if !action.is_empty() {
        t.insert("action".into(), Value::String(action.into()));
    }
    let ready = match rule.ready {
        Readiness::Real => Value::String("real".into()),
        Readiness::NotReady(k) => Value::Integer(i64::from(k)),
        Readiness::Never => Value::String("never".into()),
        Readiness::Spurious => Value::String("spurious".into()),
        Readiness::SpuriousOnce => Value::String("spurious-once".into()),
    };
    t.insert("ready".into(), ready);
    let select = &rule.select;
    t.insert("after".into(), count(select.after));
    if let Some(first) = select.first {
        t.insert("first".into(), count(first));
    }
    if let Some(every) = select.every {
        t.insert("every".into(), count(every));
    }
    if let Some(waits) = select.until_waits {
        t.insert("until-waits".into(), count(waits));
    }
    let per = match rule.scope {
        Scope::Stream => "stream",
        Scope::Global => "global",
    };
    t.insert("per".into(), Value::String(per.into()));
    t.insert("connected".into(), Value::Boolean(rule.connected));
    if rule.eager {
        t.insert("eager".into(), Value::Boolean(true));
    }
    t.insert("sticky".into(), Value::Boolean(rule.sticky));
    t
}
