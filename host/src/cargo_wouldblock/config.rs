//! `.config/wouldblock.toml` at the workspace root, as nextest keeps `.config/nextest.toml`:
//! profiles of the options people otherwise retype, and setup commands that start the
//! servers a suite needs.
//!
//! ```toml
//! [profile.default]
//! env = { RUST_LOG = "info" }
//! jobs = 2
//!
//! [profile.ci]          # `--profile ci`; what it leaves out comes from `default`
//! budget-time = "10m"
//!
//! [[setup]]
//! name = "redis"
//! command = ["redis-server", "--port", "{port}", "--save", ""]
//! port-env = "REDIS_PORT"   # a free port replaces {port}; the guest sees it here
//!
//! [[allow]]             # an acknowledged root cause (`wouldblock --allow-file`)
//! op = "udp.send"
//! fault = "error(out-of-memory)"
//! verdict = "unusable-after-error"
//! reason = "the test gives up on ENOBUFS on purpose"
//! ```

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Where the file is, from the workspace root.
pub const CONFIG_PATH: &str = ".config/wouldblock.toml";

/// The file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    profile: BTreeMap<String, Profile>,
    #[serde(default)]
    setup: Vec<Setup>,
    /// Acknowledged findings: `wouldblock --allow-file` reads and checks them.
    #[serde(default)]
    allow: Vec<toml::Value>,
}

/// One profile: each field, when set, is the `wouldblock` option of the same name.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Profile {
    /// `--env NAME=VALUE` for each; merged over `default`'s.
    #[serde(default)]
    env: BTreeMap<String, String>,
    jobs: Option<Spanned<u64>>,
    depth: Option<Spanned<u64>>,
    budget_time: Option<Spanned<String>>,
    time_limit: Option<Spanned<String>>,
    quiet_window: Option<Spanned<String>>,
    /// `--fault SPEC` for each (presets, rules); replaces `default`'s.
    fault: Option<Vec<String>>,
    /// Build with `--cfg tokio_unstable`.
    tokio_unstable: Option<bool>,
    /// The setups this profile starts, by name; all of them when left out.
    setup: Option<Vec<Spanned<String>>>,
}

/// A command that starts a server before the tests and is stopped after them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Setup {
    /// Its name, for `setup = [...]` and its log file.
    pub name: String,
    /// The program and its arguments; `{port}` is replaced by a free loopback port.
    pub command: Vec<String>,
    /// The environment variable the guest finds the port in. The server is ready when
    /// 127.0.0.1 accepts a connection on that port.
    pub port_env: Option<String>,
}

/// What a profile asks of one `cargo wouldblock` call.
#[derive(Debug, Default)]
pub struct Chosen {
    /// Options for `wouldblock`, before the user's own.
    pub args: Vec<String>,
    /// Build with `--cfg tokio_unstable`.
    pub tokio_unstable: bool,
    /// The setups to start.
    pub setups: Vec<Setup>,
    /// The folder the file's relative commands run in (the workspace root).
    pub root: PathBuf,
    /// The file, when it acknowledges findings (`[[allow]]`): for `--allow-file`.
    pub allow_file: Option<PathBuf>,
}

/// Reads `root/.config/wouldblock.toml`, if there is one, and picks `profile` from it
/// (`default` when `None`). `given` are the user's own `wouldblock` options: a profile's
/// single-valued option the user gave is left to the user.
pub fn choose(root: &Path, profile: Option<&str>, given: &[String]) -> Result<Chosen> {
    let path = root.join(CONFIG_PATH);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(name) = profile.filter(|p| *p != "default") {
                bail!("--profile {name}: there is no {}", path.display());
            }
            return Ok(Chosen {
                root: root.to_path_buf(),
                ..Chosen::default()
            });
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let file: File = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.to_string().trim_end()))?;
    let at = |span: std::ops::Range<usize>| {
        let line = text[..span.start.min(text.len())].lines().count().max(1);
        format!("{}:{line}", path.display())
    };
    let name = profile.unwrap_or("default");
    let base = file.profile.get("default").cloned().unwrap_or_default();
    let chosen = match file.profile.get(name) {
        Some(own) if name != "default" => merged(base, own.clone()),
        Some(_) => base,
        None if name == "default" => base,
        None => {
            let known: Vec<&str> = file.profile.keys().map(String::as_str).collect();
            bail!(
                "--profile {name}: {} has no [profile.{name}] (it has: {})",
                path.display(),
                known.join(", ")
            );
        }
    };
    let mut args = Vec::new();
    let user_gave = |flag: &str| {
        given
            .iter()
            .any(|w| w == flag || w.starts_with(&format!("{flag}=")))
    };
    let mut single = |flag: &str, value: Option<String>| {
        if let Some(value) = value.filter(|_| !user_gave(flag)) {
            args.extend([flag.to_string(), value]);
        }
    };
    single(
        "--jobs",
        chosen.jobs.as_ref().map(|v| v.get_ref().to_string()),
    );
    single(
        "--depth",
        chosen.depth.as_ref().map(|v| v.get_ref().to_string()),
    );
    for (flag, value) in [
        ("--budget-time", &chosen.budget_time),
        ("--time-limit", &chosen.time_limit),
        ("--quiet-window", &chosen.quiet_window),
    ] {
        if let Some(value) = value {
            if !is_duration(value.get_ref()) {
                bail!(
                    "{}: profile `{name}`, field `{}`: {:?} is not a duration (for example 500ms, 20s, 5m)",
                    at(value.span()),
                    &flag[2..],
                    value.get_ref()
                );
            }
            single(flag, Some(value.get_ref().clone()));
        }
    }
    for spec in chosen.fault.iter().flatten() {
        args.extend(["--fault".to_string(), spec.clone()]);
    }
    for (key, value) in &chosen.env {
        args.extend(["--env".to_string(), format!("{key}={value}")]);
    }
    let setups = match &chosen.setup {
        None => file.setup.clone(),
        Some(names) => names
            .iter()
            .map(|wanted| {
                let found = file.setup.iter().find(|s| s.name == *wanted.get_ref());
                found.cloned().with_context(|| {
                    format!(
                        "{}: profile `{name}`, field `setup`: no [[setup]] is named {:?}",
                        at(wanted.span()),
                        wanted.get_ref()
                    )
                })
            })
            .collect::<Result<_>>()?,
    };
    for setup in &setups {
        if setup.command.is_empty() {
            bail!(
                "{}: [[setup]] {:?}: field `command` is empty",
                path.display(),
                setup.name
            );
        }
    }
    // Checked now, before anything is built: a bad entry is named with its line.
    wouldblock::explore::Allow::from_toml(&text, &path.display().to_string())?;
    Ok(Chosen {
        args,
        tokio_unstable: chosen.tokio_unstable.unwrap_or(false),
        setups,
        root: root.to_path_buf(),
        allow_file: (!file.allow.is_empty()).then_some(path),
    })
}

/// `own` over `base`: what `own` sets wins; environments merge.
fn merged(base: Profile, own: Profile) -> Profile {
    let mut env = base.env;
    env.extend(own.env);
    Profile {
        env,
        jobs: own.jobs.or(base.jobs),
        depth: own.depth.or(base.depth),
        budget_time: own.budget_time.or(base.budget_time),
        time_limit: own.time_limit.or(base.time_limit),
        quiet_window: own.quiet_window.or(base.quiet_window),
        fault: own.fault.or(base.fault),
        tokio_unstable: own.tokio_unstable.or(base.tokio_unstable),
        setup: own.setup.or(base.setup),
    }
}

/// A number and an optional unit (`ms`, `s`, `m`, `h`), as `wouldblock`'s duration
/// options take it.
fn is_duration(text: &str) -> bool {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &text[digits.len()..];
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && ["", "ms", "s", "m", "h"].contains(&unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chosen(text: &str, profile: Option<&str>, given: &[&str]) -> Result<Chosen> {
        let dir =
            std::env::temp_dir().join(format!("wb-config-{}-{}", std::process::id(), text.len()));
        std::fs::create_dir_all(dir.join(".config"))?;
        std::fs::write(dir.join(CONFIG_PATH), text)?;
        let given: Vec<String> = given.iter().map(|s| s.to_string()).collect();
        let result = choose(&dir, profile, &given);
        std::fs::remove_dir_all(&dir)?;
        result
    }

    #[test]
    fn a_profile_inherits_default_and_the_user_has_the_last_word() -> Result<()> {
        let text = "[profile.default]\njobs = 2\nenv = { A = \"1\" }\nfault = [\"first-send\"]\n\
                    [profile.ci]\ndepth = 2\nenv = { B = \"2\" }\n";
        let ci = chosen(text, Some("ci"), &["--jobs", "1"])?;
        assert_eq!(
            ci.args,
            [
                "--depth",
                "2",
                "--fault",
                "first-send",
                "--env",
                "A=1",
                "--env",
                "B=2"
            ]
        );
        let default = chosen(text, None, &[])?;
        assert_eq!(default.args[..2], ["--jobs", "2"]);
        Ok(())
    }

    #[test]
    fn bad_entries_name_the_file_the_line_and_the_field() {
        let err = |text: &str, profile: Option<&str>| {
            format!("{:#}", chosen(text, profile, &[]).unwrap_err())
        };
        let unknown = err("[profile.default]\njobz = 2\n", None);
        assert!(
            unknown.contains("wouldblock.toml")
                && unknown.contains("line 2")
                && unknown.contains("jobz"),
            "{unknown}"
        );
        let duration = err("[profile.ci]\n\nbudget-time = \"soon\"\n", Some("ci"));
        assert!(
            duration.contains("wouldblock.toml:3") && duration.contains("budget-time"),
            "{duration}"
        );
        let missing = err("[profile.ci]\njobs = 1\n", Some("nightly"));
        assert!(
            missing.contains("[profile.nightly]") && missing.contains("ci"),
            "{missing}"
        );
        let setup = err("[profile.default]\nsetup = [\"redis\"]\n", None);
        assert!(
            setup.contains("wouldblock.toml:2") && setup.contains("redis"),
            "{setup}"
        );
        let wrong_type = err("[profile.default]\njobs = \"two\"\n", None);
        assert!(
            wrong_type.contains("line 2") && wrong_type.contains("jobs"),
            "{wrong_type}"
        );
    }

    #[test]
    fn durations_are_checked_as_wouldblock_reads_them() {
        assert!(
            is_duration("500ms") && is_duration("20s") && is_duration("5m") && is_duration("2")
        );
        assert!(
            !is_duration("soon") && !is_duration("") && !is_duration("5 s") && !is_duration("ms")
        );
    }
}
