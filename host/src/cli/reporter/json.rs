//! JSON for tools: `run --summary-json` (the outcome; with `--repeat`, the first failing
//! run's, or run 1's when every run passed, with the counts of the runs) and `explore
//! --json` (the report, which `--merge` reads back). Each file is reserved before the
//! work and written whole once its summary is there.

use super::super::output::OutFile;
use super::{Displayer, Event, Summary};
use anyhow::{Context, Result};
use std::path::Path;
use std::time::Duration;

/// Writes the summary's JSON to a file.
pub struct Json {
    file: OutFile,
}

impl Json {
    /// Checks and reserves the file now: a verdict or a report is never lost to a path
    /// that cannot be written. It is written when the summary is there (`explore --merge`
    /// may be reading a shard report at this very path until then).
    pub fn create(path: &Path, flag: &str) -> Result<Self> {
        Ok(Self {
            file: OutFile::reserve(path, flag)?,
        })
    }
}

impl Displayer for Json {
    fn display(&mut self, event: &Event<'_>, _: Duration) -> Result<()> {
        let text = match event {
            Event::Summary(Summary::Run(outcome)) => format!("{}\n", outcome.to_json()),
            Event::Summary(Summary::Repeat(repeat)) => {
                let mut json = match repeat.described() {
                    Some((index, outcome)) => {
                        let mut json = outcome.to_json();
                        json["run"] = index.into();
                        json
                    }
                    None => serde_json::json!({}),
                };
                json["runs"] = repeat.runs.into();
                json["endings"] = serde_json::to_value(&repeat.endings)?;
                json["differing"] = repeat.differing.into();
                json["incomplete"] = repeat.incomplete.into();
                format!("{json}\n")
            }
            Event::Summary(Summary::Explore(report)) => {
                serde_json::to_string_pretty(report).context("the report as JSON")? + "\n"
            }
            Event::Summary(Summary::ExploreSuite { report, .. }) => {
                serde_json::to_string_pretty(report).context("the report as JSON")? + "\n"
            }
            _ => return Ok(()),
        };
        self.file.commit(text.as_bytes())
    }
}
