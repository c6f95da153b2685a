//! `explore`'s table, as the terminal prints it for one exploration and for each test of
//! an explored suite: a row per finding, note or host-bug result, with its replay file, its
//! evidence and why it is a bug indented below it.

use std::fmt::Write as _;
use std::path::Path;
use wouldblock::explore::Finding;

/// The table's column titles.
pub(super) fn table_header() -> String {
    format!(
        "{:<7} {:<22} {:<30} {:<40} replay\n",
        "", "verdict", "site", "fault"
    )
}

/// One finding or note, with its replay file and its evidence indented below it.
pub(super) fn table_row(finding: &Finding, file: Option<&Path>) -> String {
    let title = finding.kind();
    let file = file.map_or(String::new(), |f| f.display().to_string());
    let more = match finding.duplicates {
        0 => String::new(),
        n => format!(" (+{n} more sites)"),
    };
    let mut text = format!(
        "{:<7} {:<22} {:<30} {:<40} {file}\n",
        title,
        finding.verdict,
        format!("{}{more}", finding.site),
        finding.fault,
    );
    for line in finding.evidence.lines().filter(|l| !l.trim().is_empty()) {
        let _ = writeln!(text, "        {}", line.trim_start());
    }
    if let Some(culprit) = &finding.culprit {
        let _ = writeln!(text, "        code: {culprit}");
    }
    // The program's own frames: where the code it is attributed to was called from.
    let frames = wouldblock::explore::program_frames(&finding.stack);
    if !frames.is_empty() && finding.location.is_none() {
        let shown: Vec<&str> = frames.into_iter().take(6).collect();
        let _ = writeln!(text, "        stack: {}", shown.join(" <- "));
    }
    if !finding.trigger.is_empty() {
        let _ = writeln!(text, "        why: {}", finding.why());
    }
    text
}
