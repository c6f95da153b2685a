//! The keys of a `[[fault]]` table once read and checked ([`Fault`]), and the names a preset
//! gives them ([`Field`]): what the parser makes and the presets expand.

use super::{Action, Form, Op, Readiness, Scope};

/// A key of a `[[fault]]` table, as a preset names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    First,
    Ready,
    After,
    Every,
    Nth,
    UntilWaits,
    Per,
    Connected,
    Eager,
    Sticky,
    Action,
    Slice,
    ShortPermit,
    Form,
}

impl Field {
    /// The TOML key.
    pub(super) fn name(self) -> &'static str {
        match self {
            Field::First => "first",
            Field::Ready => "ready",
            Field::After => "after",
            Field::Every => "every",
            Field::Nth => "nth",
            Field::UntilWaits => "until-waits",
            Field::Per => "per",
            Field::Connected => "connected",
            Field::Eager => "eager",
            Field::Sticky => "sticky",
            Field::Action => "action",
            Field::Slice => "slice",
            Field::ShortPermit => "short-permit",
            Field::Form => "form",
        }
    }
}

/// A fault's keys, checked: what presets and op rules are built from.
#[derive(Debug, Default)]
pub(super) struct Fault {
    pub(super) name: Option<String>,
    pub(super) first: Option<u64>,
    pub(super) after: Option<u64>,
    pub(super) every: Option<u64>,
    pub(super) nth: Option<u64>,
    pub(super) until_waits: Option<u64>,
    pub(super) per: Option<Scope>,
    pub(super) connected: Option<bool>,
    pub(super) eager: Option<bool>,
    pub(super) sticky: Option<bool>,
    pub(super) action: Option<Action>,
    pub(super) ready: Option<Readiness>,
    pub(super) form: Option<Form>,
}

impl Fault {
    /// `connected = true` selects calls on a socket with a remote address: a rule on any
    /// other resource (an HTTP body, a name lookup) would never fire.
    pub(super) fn check_connected(&self, op: Op) -> Result<(), String> {
        let name = op.name();
        if self.connected == Some(true) && !name.starts_with("udp.") && !name.starts_with("tcp.") {
            return Err(format!(
                "field `connected`: `{name}` is not a call on a socket, so no call of it is \
                 on a connected one and the rule would never fire; `connected` is for udp.* \
                 and tcp.* operations"
            ));
        }
        Ok(())
    }

    /// The fields this fault sets, for the presets' key check.
    pub(super) fn fields(&self) -> impl Iterator<Item = Field> {
        [
            (Field::First, self.first.is_some()),
            (Field::Ready, self.ready.is_some()),
            (Field::After, self.after.is_some()),
            (Field::Every, self.every.is_some()),
            (Field::Nth, self.nth.is_some()),
            (Field::UntilWaits, self.until_waits.is_some()),
            (Field::Per, self.per.is_some()),
            (Field::Connected, self.connected.is_some()),
            (Field::Eager, self.eager.is_some()),
            (Field::Sticky, self.sticky.is_some()),
            (
                Field::Action,
                self.action
                    .is_some_and(|a| !matches!(a, Action::Slice(_) | Action::ShortPermit(_))),
            ),
            (Field::Slice, matches!(self.action, Some(Action::Slice(_)))),
            (
                Field::ShortPermit,
                matches!(self.action, Some(Action::ShortPermit(_))),
            ),
            (Field::Form, self.form.is_some()),
        ]
        .into_iter()
        .filter_map(|(field, set)| set.then_some(field))
    }
}
