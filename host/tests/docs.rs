//! The commands the README and the guide (`docs/`) show cannot drift from the binaries:
//! every `wouldblock` and `cargo wouldblock` command line in their code blocks and code
//! spans names a subcommand that exists and only options that subcommand's `--help`
//! lists (for `cargo wouldblock`: its own usage or the `wouldblock` command it runs).

use anyhow::{Context, Result, ensure};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// README.md and every page of the guide.
fn documents() -> Result<Vec<PathBuf>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The text a reader would type: code blocks' lines and inline code spans.
fn code(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut fenced = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            out.push((n + 1, line.trim_start_matches("$ ").to_string()));
        } else {
            let spans = line.split('`').skip(1).step_by(2);
            out.extend(spans.map(|span| (n + 1, span.to_string())));
        }
    }
    out
}

/// Each command in `line`: whether it is `cargo wouldblock`, its subcommand, and the
/// options it uses (up to the end of the line, a quote or a `|`).
fn commands(line: &str) -> Vec<(bool, String, Vec<String>)> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut found = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let word = word.trim_start_matches(['"', '\'', '(']);
        if word != "wouldblock" && !word.ends_with("/wouldblock") {
            continue;
        }
        let cargo = i > 0 && words[i - 1] == "cargo";
        let Some(sub) = words.get(i + 1) else {
            continue;
        };
        let sub = sub.trim_end_matches(['`', ',', ':', ')', '.']);
        if !sub.chars().all(|c| c.is_ascii_lowercase()) || sub.is_empty() {
            continue;
        }
        let mut options = Vec::new();
        for rest in &words[i + 2..] {
            if rest.starts_with(['|', '"', '\'', '#', '>'])
                || rest.ends_with(['"', '\''])
                || *rest == "--"
            {
                break;
            }
            if let Some(option) = rest.strip_prefix("--") {
                let name = option
                    .split(['=', '`', ',', ')'])
                    .next()
                    .unwrap_or_default();
                if !name.is_empty() {
                    options.push(format!("--{name}"));
                }
            }
        }
        found.push((cargo, sub.to_string(), options));
    }
    found
}

/// `--help` of a subcommand, once.
fn help(
    cache: &mut BTreeMap<(bool, String), Option<String>>,
    cargo: bool,
    sub: &str,
) -> Result<Option<String>> {
    if let Some(text) = cache.get(&(cargo, sub.to_string())) {
        return Ok(text.clone());
    }
    let out = if cargo {
        Command::new(env!("CARGO_BIN_EXE_cargo-wouldblock"))
            .arg("--help")
            .output()?
    } else {
        Command::new(env!("CARGO_BIN_EXE_wouldblock"))
            .args([sub, "--help"])
            .output()?
    };
    let text = out
        .status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned());
    cache.insert((cargo, sub.to_string()), text.clone());
    Ok(text)
}

#[test]
fn every_command_shown_uses_options_its_help_lists() -> Result<()> {
    let mut cache = BTreeMap::new();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for file in documents()? {
        let text = std::fs::read_to_string(&file).with_context(|| file.display().to_string())?;
        let name = file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        for (line, snippet) in code(&text) {
            for (cargo, sub, options) in commands(&snippet) {
                let Some(own) = help(&mut cache, cargo, &sub)? else {
                    wrong.push(format!(
                        "{name}:{line}: `{sub}` is no subcommand: {snippet}"
                    ));
                    continue;
                };
                // cargo wouldblock passes every other option to `wouldblock test|explore`.
                let wouldblock = if cargo && sub != "merge" {
                    help(&mut cache, false, &sub)?
                } else {
                    None
                };
                for option in options {
                    let listed = |help: &str| {
                        help.contains(&format!("{option} "))
                            || help.contains(&format!("{option}\n"))
                            || help.contains(&format!("{option}="))
                            || help.contains(&format!("{option},"))
                    };
                    if !listed(&own) && !wouldblock.as_deref().is_some_and(listed) {
                        wrong.push(format!(
                            "{name}:{line}: {option} is not an option of {}{sub}: {snippet}",
                            if cargo {
                                "cargo wouldblock "
                            } else {
                                "wouldblock "
                            }
                        ));
                    }
                }
                checked += 1;
            }
        }
    }
    ensure!(
        checked > 30,
        "only {checked} commands found: the reader broke"
    );
    ensure!(
        wrong.is_empty(),
        "{} command(s) drifted from the binaries:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    println!("{checked} commands checked");
    Ok(())
}
