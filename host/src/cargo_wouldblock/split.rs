//! The command line parted: cargo's options (for the build), this command's own, the
//! harness's (passed to `wouldblock` whole) and libtest's (after `--`).

use anyhow::{Result, bail};
use std::path::PathBuf;

/// cargo options that take a value.
const CARGO_VALUED: [&str; 7] = [
    "-p",
    "--package",
    "--test",
    "-F",
    "--features",
    "--manifest-path",
    "--target-dir",
];

/// cargo options that take none.
const CARGO_SWITCHES: [&str; 9] = [
    "--workspace",
    "--lib",
    "--tests",
    "--all-features",
    "--no-default-features",
    "--release",
    "--locked",
    "--offline",
    "--frozen",
];

/// The words of a `cargo wouldblock` call, by whom they are for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Split {
    /// For `cargo test --no-run`.
    pub cargo: Vec<String>,
    /// `--tokio-unstable`: build with `--cfg tokio_unstable`.
    pub tokio_unstable: bool,
    /// `--report-dir`.
    pub report_dir: Option<PathBuf>,
    /// `--profile`: the config file's profile.
    pub profile: Option<String>,
    /// For `wouldblock test` or `wouldblock explore`.
    pub wouldblock: Vec<String>,
    /// After `--`: libtest's, for every binary.
    pub test_args: Vec<String>,
}

/// Parts `args` (the words after `test` or `explore`).
pub fn split(args: &[String]) -> Result<Split> {
    let mut split = Split::default();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        let (name, inline) = match word.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_string())),
            _ => (word.as_str(), None),
        };
        let mut value = |name: &str| -> Result<String> {
            match inline.clone().or_else(|| words.next().cloned()) {
                Some(value) => Ok(value),
                None => bail!("{name} needs a value"),
            }
        };
        if word == "--" {
            split.test_args = words.by_ref().cloned().collect();
        } else if CARGO_VALUED.contains(&name) {
            let value = value(name)?;
            split.cargo.extend([name.to_string(), value]);
        } else if CARGO_SWITCHES.contains(&name) && inline.is_none() {
            split.cargo.push(name.to_string());
        } else if name == "--tokio-unstable" && inline.is_none() {
            split.tokio_unstable = true;
        } else if name == "--report-dir" {
            split.report_dir = Some(PathBuf::from(value(name)?));
        } else if name == "--profile" {
            split.profile = Some(value(name)?);
        } else if ["--json", "--junit", "--html", "--out"].contains(&name) {
            bail!(
                "{name}: cargo wouldblock names each binary's reports itself (under \
                 --report-dir); run `wouldblock` on one binary to choose a file"
            );
        } else {
            split.wouldblock.push(word.clone());
        }
    }
    Ok(split)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn each_word_goes_to_whom_it_is_for() {
        let split = split(&words(
            "-p redis --test=basic --tokio-unstable --preset first-send --jobs 2 \
             --report-dir r --release -- --exact get",
        ))
        .unwrap();
        assert_eq!(split.cargo, words("-p redis --test basic --release"));
        assert!(split.tokio_unstable);
        assert_eq!(split.report_dir, Some(PathBuf::from("r")));
        assert_eq!(split.wouldblock, words("--preset first-send --jobs 2"));
        assert_eq!(split.test_args, words("--exact get"));
    }

    #[test]
    fn a_missing_value_and_a_report_path_are_refused() {
        let err = split(&words("--package")).unwrap_err().to_string();
        assert!(err.contains("--package needs a value"), "{err}");
        let err = split(&words("--json r.json")).unwrap_err().to_string();
        assert!(err.contains("--json"), "{err}");
    }
}
