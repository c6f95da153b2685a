//! Plan files: one per finding and note, each naming the exploration it came from and the
//! shell-quoted command that replays it, written atomically (a temporary file beside it,
//! then renamed), so an interrupted or failed write never leaves an empty or half-written
//! plan (an empty plan replays as a pass). Part of the command, not the library: what a
//! Rust test gets is the [`Report`] itself.

use super::shell::{shell_quote, shell_words};
use std::io::Write;
use std::path::{Path, PathBuf};
use wouldblock::explore::{Finding, Report, SuiteReport};

/// The comment that names the exploration a plan file came from.
const EXPLORED: &str = "# explored: ";

/// Text for one comment line: its control characters escaped, so the line stays a
/// comment and TOML reads it (TOML refuses control characters other than tab in one).
fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            c if c.is_control() && c != '\t' => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// Writes `bytes` to `path` through a temporary file in the same folder, synced, then
/// renamed over it: `path` is either what it was or all of `bytes`, never a part.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            // A full disk may answer only here.
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// Whether `name` is the name of a plan file explore writes.
fn is_plan_file(name: &str) -> bool {
    (name.starts_with("finding-") || name.starts_with("note-")) && name.ends_with(".toml")
}

/// The plan files in `dir` (none if it does not exist), each with the exploration its
/// `# explored:` comment names, or `None` when it has none (an older wouldblock's, or
/// written by hand).
pub fn plan_files_in(dir: &Path) -> std::io::Result<Vec<(PathBuf, Option<String>)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let plan = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(is_plan_file);
        if !plan || !path.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let explored = text
            .lines()
            .take_while(|l| l.starts_with('#'))
            .find_map(|l| l.strip_prefix(EXPLORED))
            .map(str::to_string);
        files.push((path, explored));
    }
    files.sort();
    Ok(files)
}

/// A report's plan files: what `--out` holds.
pub trait PlanFiles {
    /// The component and its arguments, shell-quoted: what a plan file's `# explored:`
    /// comment names, and what decides whether an `--out` folder is this exploration's.
    fn explored(&self) -> String;

    /// Writes one plan file per finding and note into `dir` (created if need be), each
    /// atomically, and removes the plan files of an earlier exploration there; returns the
    /// paths in the report's order (the findings, then the notes). `replay` is the
    /// command with `{file}` where the plan's path goes (shell-quoted in).
    fn write_plans(&self, dir: &Path, replay: &str) -> std::io::Result<Vec<PathBuf>>;
}

impl PlanFiles for Report {
    fn explored(&self) -> String {
        let exploration = &self.exploration;
        shell_words(std::iter::once(&exploration.component).chain(&exploration.args))
    }

    fn write_plans(&self, dir: &Path, replay: &str) -> std::io::Result<Vec<PathBuf>> {
        let all = self.findings.iter().chain(&self.notes);
        let plans = all.chain(&self.host_bugs).map(|f| (f, None));
        write_plan_files(dir, &self.explored(), replay, plans)
    }
}

/// A suite's plan files: each names its test (`# test:`), and `replay` has `{test}` where
/// the test's name goes.
impl PlanFiles for SuiteReport {
    fn explored(&self) -> String {
        let exploration = &self.exploration;
        shell_words(std::iter::once(&exploration.component).chain(&exploration.args))
    }

    fn write_plans(&self, dir: &Path, replay: &str) -> std::io::Result<Vec<PathBuf>> {
        let plans = self
            .tests
            .iter()
            .flat_map(|test| test.all_findings().map(|f| (f, Some(test.name.as_str()))));
        write_plan_files(dir, &self.explored(), replay, plans)
    }
}

/// The most characters of a plan file's name taken from its test, verdict and site.
const MAX_SLUG: usize = 96;

/// Writes each finding's plan file (its test's name in the file's name and comments, when
/// it has one), then removes the plan files of an earlier exploration in `dir`.
fn write_plan_files<'a>(
    dir: &Path,
    explored: &str,
    replay: &str,
    plans: impl Iterator<Item = (&'a Finding, Option<&'a str>)>,
) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let earlier = plan_files_in(dir)?;
    let mut paths = Vec::new();
    for (i, (finding, test)) in plans.enumerate() {
        let kind = finding.kind();
        let named = match test {
            Some(test) => format!("{test}-{}-{}", finding.verdict, finding.site),
            None => format!("{}-{}", finding.verdict, finding.site),
        };
        let slug: String = named
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            // File names hold 255 bytes: the index keeps cut names apart.
            .take(MAX_SLUG)
            .collect();
        let path = dir.join(format!("{kind}-{:02}-{slug}.toml", i + 1));
        let mut command = replay.replace("{file}", &shell_quote(&path.display().to_string()));
        let mut header = format!("\n{EXPLORED}{explored}\n");
        if let Some(test) = test {
            command = command.replace("{test}", &shell_quote(test));
            header = format!("\n# test: {}{header}", comment_text(test));
        }
        let text = finding
            .plan_file(&command)
            .replacen("\n\n", &format!("{header}\n"), 1);
        write_atomically(&path, text.as_bytes())?;
        paths.push(path);
    }
    for (old, _) in earlier {
        if !paths.contains(&old) {
            std::fs::remove_file(&old)?;
        }
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_earlier_file_and_no_temporary_one() {
        let dir = std::env::temp_dir().join(format!("wouldblock-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("plan.toml");
        write_atomically(&path, b"earlier").unwrap();
        // A rename onto a folder fails after the bytes were written (as a full disk fails
        // after the file was created): the folder stays, and nothing else is left.
        let folder = dir.join("a-folder.toml");
        std::fs::create_dir_all(folder.join("inside")).unwrap();
        assert!(write_atomically(&folder, b"new").is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"earlier");
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
