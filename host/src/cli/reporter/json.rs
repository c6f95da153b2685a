//! JSON for tools: `run --summary-json` (the outcome) and `explore --json` (the report,
//! which `--merge` reads back).

use super::{Displayer, Event, Summary};
use anyhow::{Context, Result};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Writes the summary's JSON to a file.
pub struct Json {
    path: PathBuf,
    /// Opened before the run, or `None` to be written whole at the end.
    file: Option<File>,
}

impl Json {
    /// Creates the file now: a run's verdict is never lost to a path that cannot be
    /// written.
    pub fn create(path: &Path) -> Result<Self> {
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Self {
            path: path.to_path_buf(),
            file: Some(file),
        })
    }

    /// Writes the file only when the summary is there: `explore --merge` may be reading
    /// the shard report at this very path.
    pub fn at_end(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            file: None,
        }
    }

    fn write(&mut self, text: &str, what: &str) -> Result<()> {
        match &mut self.file {
            Some(file) => file.write_all(text.as_bytes()),
            None => std::fs::write(&self.path, text),
        }
        .with_context(|| format!("writing the {what} to {}", self.path.display()))
    }
}

impl Displayer for Json {
    fn display(&mut self, event: &Event<'_>, _: Duration) -> Result<()> {
        match event {
            Event::Summary(Summary::Run(outcome)) => {
                self.write(&format!("{}\n", outcome.to_json()), "summary")
            }
            Event::Summary(Summary::Explore(report)) => {
                let json = serde_json::to_string_pretty(report).context("the report as JSON")?;
                self.write(&(json + "\n"), "report")
            }
            _ => Ok(()),
        }
    }
}
