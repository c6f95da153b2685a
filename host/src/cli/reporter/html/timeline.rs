//! A run's timeline as SVG, drawn from the trace's typed fields (operation, target, waits,
//! rule, fault, time, seq), never from its text: one lane per resource, one for the
//! pollables a wait names only by count (timers, streams), one per interface for calls on
//! no resource (socket creation). Marks go left to right in sequence order; where virtual
//! time moves, a gap and the new time. A long trace is drawn as a window: its first calls,
//! the calls around the evidence, its last calls; the rest is counted, by operation.

use super::text::{esc, nanos, thousands};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use wouldblock::{Event, Kind, ResourceId, Text, Trace};

/// Events shown from the start of a windowed trace: socket creation, bind, streams.
const HEAD: usize = 16;
/// Events shown on either side of each evidence line, and at the very end.
const CONTEXT: usize = 8;

const LABEL_W: u32 = 150;
const LANE_H: u32 = 20;
const TOP: u32 = 30;
const BOTTOM: u32 = 18;
const GAP_W: u32 = 28;
const JUMP_W: u32 = 12;

/// The events a timeline is drawn from.
pub struct Source<'a> {
    /// The events the trace kept in full.
    pub kept: &'a [Event],
    /// The last events, when the run went past the trace's limit.
    pub tail: Vec<Event>,
    /// Events in the run, kept or not.
    pub total: u64,
}

impl<'a> Source<'a> {
    /// A run's trace.
    pub fn of(trace: &'a Trace) -> Self {
        let kept = trace.events();
        let past_limit = trace.total() > kept.len() as u64;
        Self {
            kept,
            tail: if past_limit {
                trace.tail(16)
            } else {
                Vec::new()
            },
            total: trace.total(),
        }
    }

    /// Every event there is, in order.
    pub fn all(&self) -> impl Iterator<Item = &Event> {
        self.kept.iter().chain(&self.tail)
    }

    fn len(&self) -> usize {
        self.kept.len() + self.tail.len()
    }

    fn get(&self, i: usize) -> &Event {
        self.kept
            .get(i)
            .unwrap_or_else(|| &self.tail[i - self.kept.len()])
    }
}

/// Events left out between two shown ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    /// The first left out.
    pub from: u64,
    /// The last left out.
    pub to: u64,
    /// How many, `to - from + 1`.
    pub count: u64,
    /// Of those the trace kept, how many of each operation, most first.
    pub ops: Vec<(String, u64)>,
    /// How many the trace itself did not keep (past its limit).
    pub unkept: u64,
}

/// A drawn timeline.
pub struct Drawn {
    /// The lanes' names, an `<svg>` that stays in place.
    pub labels: String,
    /// The marks, an `<svg>` that scrolls.
    pub svg: String,
    /// The shown events' trace lines as a JSON array, safe inside a `<script>`: mark
    /// `data-i="k"` is line `k`.
    pub data: String,
    /// Events drawn.
    pub shown: usize,
    /// Events in the run.
    pub total: u64,
    /// What was left out, in order.
    pub gaps: Vec<Gap>,
    /// The plan rules (0-based) that decided a drawn call.
    pub rules: BTreeSet<usize>,
    /// Lanes drawn.
    pub lanes: usize,
    /// Whether virtual time moved in the drawn part.
    pub time_moved: bool,
    /// Whether the events carried virtual time at all (not with `--clock real`).
    pub virtual_time: bool,
}

/// Where a mark goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum LaneKey {
    Resource(ResourceId),
    /// Pollables a wait counts but does not name: clocks, streams.
    Other,
    /// Calls on no resource the harness follows, by interface.
    Interface(&'static str),
}

/// A mark's shape: a call, or a wait on the lane's pollable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Call,
    Wait,
}

/// The lanes one event marks.
fn lanes_of(e: &Event) -> Vec<(LaneKey, Shape)> {
    let mut out: Vec<(LaneKey, Shape)> = Vec::new();
    let mut add = |key| {
        if !out.iter().any(|(k, _)| *k == key) {
            out.push((key, Shape::Wait));
        }
    };
    if !e.waits.is_empty() {
        e.waits.iter().for_each(|id| add(LaneKey::Resource(*id)));
        if let Text::Waits { others, .. } = &e.args
            && *others > 0
        {
            add(LaneKey::Other);
        }
        return out;
    }
    match e.target {
        Some(id) => vec![(LaneKey::Resource(id), Shape::Call)],
        None if e.interface == "wasi:io/poll" => vec![(LaneKey::Other, Shape::Wait)],
        None => vec![(LaneKey::Interface(e.interface), Shape::Call)],
    }
}

/// The name a lane is shown under: the label the trace gives its resource.
fn label_of(key: LaneKey, e: &Event) -> Option<String> {
    match key {
        LaneKey::Resource(id) if e.target == Some(id) => {
            let label = e.resource.to_string();
            (!label.is_empty() && label != "-").then_some(label)
        }
        LaneKey::Resource(id) => match &e.args {
            Text::Waits { labels, .. } if labels.len() == e.waits.len() => {
                let i = e.waits.iter().position(|w| *w == id)?;
                Some(labels[i].to_string())
            }
            _ => None,
        },
        LaneKey::Other => Some("other pollables".into()),
        LaneKey::Interface(interface) => Some(
            interface
                .rsplit('/')
                .next()
                .unwrap_or(interface)
                .to_string(),
        ),
    }
}

fn lane_class(key: LaneKey) -> &'static str {
    match key {
        LaneKey::Resource(ResourceId { kind, .. }) => match kind {
            Kind::UdpSocket | Kind::UdpIncoming | Kind::UdpOutgoing => "udp",
            Kind::TcpSocket | Kind::TcpInput | Kind::TcpOutput => "tcp",
            _ => "res",
        },
        LaneKey::Other => "oth",
        LaneKey::Interface(_) => "ifc",
    }
}

/// Which events to draw (positions in `source`): all of them within `budget`; else the
/// first ones, each evidence line with its neighbours, the last ones, and as many before
/// the last evidence line as the budget leaves room for.
fn window(len: usize, anchors: &[usize], budget: usize) -> Vec<usize> {
    if len <= budget {
        return (0..len).collect();
    }
    let last = len - 1;
    let mut keep: BTreeSet<usize> = (0..HEAD.min(len)).collect();
    let mut around = |a: usize| keep.extend(a.saturating_sub(CONTEXT)..=(a + CONTEXT).min(last));
    anchors.iter().for_each(|&a| around(a));
    around(last);
    let focus = anchors.iter().copied().max().unwrap_or(last);
    let mut i = focus.saturating_sub(CONTEXT);
    while keep.len() < budget && i > 0 {
        i -= 1;
        keep.insert(i);
    }
    keep.into_iter().collect()
}

/// Draws `source` with the events whose seq is in `evidence` marked, at most `budget`
/// events; `id` names the timeline in the page.
pub fn draw(source: &Source<'_>, evidence: &BTreeSet<u64>, budget: usize, id: &str) -> Drawn {
    let len = source.len();
    let anchors: Vec<usize> = (0..len)
        .filter(|&i| evidence.contains(&source.get(i).seq))
        .collect();
    let shown = window(len, &anchors, budget);
    let events: Vec<&Event> = shown.iter().map(|&i| source.get(i)).collect();

    // Lanes in order of first appearance.
    let mut lanes: Vec<(LaneKey, Option<String>)> = Vec::new();
    for e in &events {
        for (key, _) in lanes_of(e) {
            match lanes.iter_mut().find(|(k, _)| *k == key) {
                Some((_, label)) if label.is_none() => *label = label_of(key, e),
                Some(_) => {}
                None => lanes.push((key, label_of(key, e))),
            }
        }
    }
    let lane_y = |key: LaneKey| {
        let j = lanes.iter().position(|(k, _)| *k == key).unwrap_or(0) as u32;
        TOP + j * LANE_H + LANE_H / 2
    };

    // The marks share about 1100 px with the gaps and the time jumps; a run whose time
    // moves at every wait gets narrower jumps.
    let n = events.len().max(1) as u32;
    let moves = events
        .windows(2)
        .filter(|w| w[0].time_ns != w[1].time_ns)
        .count() as u32;
    let jump_w = if moves * JUMP_W > 300 { 4 } else { JUMP_W };
    let step = (1100u32.saturating_sub(moves * jump_w) / n).clamp(6, 36);
    let mut x = 8 + step / 2;
    let mut gaps = Vec::new();
    let mut gap_xs = Vec::new();
    let mut jumps: Vec<(u32, u64, u64)> = Vec::new();
    let mut xs = Vec::with_capacity(events.len());
    let virtual_time = events.iter().any(|e| e.time_ns.is_some());
    for (k, e) in events.iter().enumerate() {
        if k > 0 {
            let before = events[k - 1];
            if e.seq > before.seq + 1 {
                gaps.push(gap(source, shown[k - 1], shown[k]));
                gap_xs.push(x + GAP_W / 2);
                x += GAP_W;
            }
            if let (Some(t0), Some(t1)) = (before.time_ns, e.time_ns)
                && t1 != t0
            {
                jumps.push((
                    (x + jump_w / 2).saturating_sub(step / 2),
                    t1,
                    t1.saturating_sub(t0),
                ));
                x += jump_w;
            }
        }
        xs.push(x);
        x += step;
    }
    // A short trace still gets a timeline people can point at.
    let width = (x + 12).max(560);
    let height = TOP + lanes.len() as u32 * LANE_H + BOTTOM;
    let bottom = height - BOTTOM;

    let mut svg = String::with_capacity(events.len() * 90 + 2048);
    let _ = write!(
        svg,
        r#"<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" data-tl="{id}" role="img" aria-label="timeline of {} events on {} lanes">"#,
        events.len(),
        lanes.len()
    );
    // The lanes' names stay in view while the marks scroll: an SVG of their own.
    let mut labels = format!(
        r#"<svg class="lanes" xmlns="http://www.w3.org/2000/svg" width="{LABEL_W}" height="{height}" viewBox="0 0 {LABEL_W} {height}" aria-hidden="true">"#
    );
    for (j, (key, label)) in lanes.iter().enumerate() {
        let y = TOP + j as u32 * LANE_H;
        let label = label.clone().unwrap_or_else(|| match key {
            LaneKey::Resource(id) => format!("{}#{}", id.kind.label(), id.serial),
            _ => String::new(),
        });
        let class = lane_class(*key);
        let title = match key {
            LaneKey::Other => "the clocks, timers and streams a wait counts but does not name",
            LaneKey::Interface(_) => "calls on no resource the harness follows",
            LaneKey::Resource(_) => "a resource: its calls, and the waits on its pollable",
        };
        let _ = write!(
            labels,
            r#"<rect class="lane {class}" x="0" y="{y}" width="{LABEL_W}" height="{LANE_H}"/><text class="ll" x="6" y="{}">{}<title>{title}</title></text>"#,
            y + LANE_H / 2 + 4,
            esc(&label)
        );
        let _ = write!(
            svg,
            r#"<rect class="lane {class}" x="0" y="{y}" width="{width}" height="{LANE_H}"/>"#
        );
    }
    labels.push_str("</svg>");
    // The time axis: where it starts, then each jump, labelled where there is room.
    let start = events.first().and_then(|e| e.time_ns);
    let mut last_label = 8;
    let first = match start {
        Some(t) => format!("t = {}", nanos(t)),
        None => "real clock: in sequence order".into(),
    };
    if !events.is_empty() {
        let _ = write!(
            svg,
            r#"<text class="tt" x="{last_label}" y="12">{first}</text>"#
        );
    }
    // Every jump is a dashed line through the lanes (one path: a run that waits on a
    // timer a hundred times has a hundred), labelled with its step and the new time
    // where there is room.
    if !jumps.is_empty() {
        let mut d = String::new();
        for &(jx, _, _) in &jumps {
            let _ = write!(d, "M{jx} {}V{bottom}", TOP - 6);
        }
        let _ = write!(svg, r#"<path class="tj" d="{d}"/>"#);
    }
    for &(jx, t, delta) in &jumps {
        if jx >= last_label + 70 {
            let _ = write!(
                svg,
                r#"<text class="tt" x="{jx}" y="12">+{}</text><text class="tt2" x="{jx}" y="24">{}</text>"#,
                nanos(delta),
                nanos(t)
            );
            last_label = jx;
        }
    }
    for (g, gx) in gaps.iter().zip(&gap_xs) {
        let _ = write!(
            svg,
            r#"<g class="gap"><rect x="{}" y="{}" width="{}" height="{}"/><text x="{gx}" y="{}">…</text><title>{} events left out: #{} to #{}</title></g>"#,
            gx - GAP_W / 2 + 3,
            TOP - 4,
            GAP_W - 6,
            bottom - TOP + 8,
            TOP + 12,
            thousands(g.count),
            g.from,
            g.to
        );
    }
    let mut rules = BTreeSet::new();
    let mut rule_labels: BTreeMap<LaneKey, (usize, u32)> = BTreeMap::new();
    let mut data = String::from("[");
    let mut last_seq_label = 0;
    for (k, (e, &ex)) in events.iter().zip(&xs).enumerate() {
        let marks = lanes_of(e);
        let is_evidence = evidence.contains(&e.seq);
        if is_evidence {
            let _ = write!(
                svg,
                r#"<rect class="evb" x="{}" y="{}" width="{step}" height="{}"/><text class="evt" x="{ex}" y="{}">▼</text>"#,
                ex.saturating_sub(step / 2),
                TOP - 4,
                bottom - TOP + 4,
                TOP - 5
            );
        }
        if marks.len() > 1 {
            let ys: Vec<u32> = marks.iter().map(|(key, _)| lane_y(*key)).collect();
            let (lo, hi) = (ys.iter().min().unwrap_or(&0), ys.iter().max().unwrap_or(&0));
            let _ = write!(
                svg,
                r#"<line class="wl" x1="{ex}" y1="{lo}" x2="{ex}" y2="{hi}"/>"#
            );
        }
        let mut class = String::from("e");
        if e.fault.is_some() {
            class += " inj";
        }
        if is_evidence {
            class += " ev";
        }
        for (key, shape) in marks {
            let y = lane_y(key);
            match shape {
                Shape::Call => {
                    let _ = write!(
                        svg,
                        r#"<circle class="{class}" data-i="{k}" cx="{ex}" cy="{y}" r="4"/>"#
                    );
                }
                Shape::Wait => {
                    let _ = write!(
                        svg,
                        r#"<path class="{class} w" data-i="{k}" d="M{ex} {}l5 5l-5 5l-5-5z"/>"#,
                        y - 5
                    );
                }
            }
            if let Some(rule) = e.rule {
                rules.insert(rule);
                // A run of calls the same rule decides is labelled where it starts, and
                // again only where there is room: the marks' colour says the rest.
                let last = rule_labels.get(&key).copied();
                if last.is_none_or(|(r, lx)| r != rule || ex >= lx + 120) {
                    rule_labels.insert(key, (rule, ex));
                    let _ = write!(
                        svg,
                        r#"<text class="rl" x="{ex}" y="{}">r{rule}</text>"#,
                        y - 7
                    );
                }
            }
        }
        if ex >= last_seq_label + 80 || k == 0 {
            let _ = write!(
                svg,
                r##"<text class="sq" x="{ex}" y="{}">#{}</text>"##,
                height - 5,
                e.seq
            );
            last_seq_label = ex;
        }
        if k > 0 {
            data.push(',');
        }
        data += &script_json(&serde_json::to_string(e).unwrap_or_default());
    }
    data.push(']');
    svg.push_str("</svg>");
    Drawn {
        labels,
        svg,
        data,
        shown: events.len(),
        total: source.total,
        gaps,
        rules,
        lanes: lanes.len(),
        time_moved: !jumps.is_empty(),
        virtual_time,
    }
}

/// What lies between shown positions `a` and `b`.
fn gap(source: &Source<'_>, a: usize, b: usize) -> Gap {
    let (from, to) = (source.get(a).seq + 1, source.get(b).seq - 1);
    let mut ops: BTreeMap<String, u64> = BTreeMap::new();
    let mut kept = 0;
    for i in a + 1..b {
        let e = source.get(i);
        let name = match (e.operation, e.waits.is_empty()) {
            (_, false) => "wait".to_string(),
            (Some(op), true) => op.name().to_string(),
            (None, true) => e.op.to_string(),
        };
        *ops.entry(name).or_default() += 1;
        kept += 1;
    }
    let mut ops: Vec<(String, u64)> = ops.into_iter().collect();
    ops.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
    let count = to + 1 - from;
    Gap {
        from,
        to,
        count,
        ops,
        unkept: count - kept,
    }
}

/// JSON safe inside a `<script>` element: `</script>` would end it and `<!--` change how
/// it ends, so `<`, `>` and `&` are written as `\u` escapes (which JSON reads as the same
/// string), as are U+2028 and U+2029 for older script parsers. They occur only inside
/// JSON strings, where the escapes mean the same characters.
pub(super) fn script_json(json: &str) -> String {
    let mut safe = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                safe.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => safe.push(c),
        }
    }
    safe
}
