//! What the command was asked, for the page's header, and the command that replays a run,
//! a finding or a test.

use super::text;
use crate::cli::shell::shell_words;
use std::path::{Path, PathBuf};
use wouldblock::Plan;

/// What the command was asked, for the page's header.
pub struct Invocation {
    /// The command line.
    pub argv: Vec<String>,
    /// The component file, if there is one (`explore --merge` has none).
    pub component: Option<PathBuf>,
    /// The plan the runs used (none for `explore`: each finding has its own).
    pub plan: Option<Plan>,
    /// `virtual` or `real`.
    pub clock: String,
    /// The command that replays a run, with `{file}` (a finding's plan) or `{test}` (a
    /// test's name) where those go.
    pub replay: String,
}

impl Invocation {
    /// This process's command line.
    pub fn new(component: Option<&Path>, plan: Option<Plan>, clock: &str) -> Self {
        let argv: Vec<String> = std::env::args().collect();
        let replay = shell_words(&argv);
        Self {
            argv,
            component: component.map(Path::to_path_buf),
            plan,
            clock: clock.to_string(),
            replay,
        }
    }

    /// `run` (or `run --repeat`) replayed as one run: the same command without
    /// `--repeat`, `--jobs` and `--html`.
    pub fn replaying_one_run(mut self) -> Self {
        let stop = self.stop_word();
        let words = text::without(&self.argv, &["--repeat", "--jobs", "--html"], &[], &stop);
        self.replay = shell_words(&words);
        self
    }

    /// `test` (or `run` on a cargo test binary) replayed one test at a time, as the suite
    /// runs each: `wouldblock run OPTIONS COMPONENT {test} --exact ...`.
    pub fn replaying_tests(mut self) -> Self {
        let stop = self.stop_word();
        let own = [
            "--junit",
            "--jobs",
            "--html",
            "--trace",
            "--summary-json",
            "--repeat",
        ];
        let mut words = text::without(&self.argv, &own, &["--per-test", "--no-per-test"], &stop);
        if let Some(at) = words.iter().position(|w| *w == stop) {
            words.truncate(at + 1);
        }
        if let Some(command) = words
            .iter_mut()
            .skip(1)
            .find(|w| *w == "test" || *w == "run")
        {
            *command = "run".into();
        }
        self.replay = shell_words(&words) + " {test} --exact --test-threads 1 --nocapture";
        self
    }

    /// With this replay command (`{file}` where a finding's plan goes).
    pub fn replaying(mut self, replay: String) -> Self {
        self.replay = replay;
        self
    }

    fn stop_word(&self) -> String {
        let component = self.component.as_deref().unwrap_or(Path::new(""));
        component.display().to_string()
    }
}
