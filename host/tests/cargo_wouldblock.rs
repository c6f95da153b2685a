//! `cargo wouldblock` on a package nobody wrote for it (`tests/fixtures/udp-pair`: std's
//! UdpSocket, a lib's unit test and an integration test), called through cargo as users
//! call it: built for wasm32-wasip2, every test binary run, each binary's reports apart,
//! one summary and one status for the package.

use anyhow::{Context, Result, ensure};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The fixture copied to a fresh folder (its `Cargo.lock` and `target/` go there).
fn package(name: &str) -> Result<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/udp-pair");
    for file in ["Cargo.toml", "src/lib.rs", "tests/round_trip.rs"] {
        let to = dir.join(file);
        std::fs::create_dir_all(to.parent().unwrap())?;
        std::fs::copy(from.join(file), &to).with_context(|| format!("copying {file}"))?;
    }
    Ok(dir)
}

/// `cargo wouldblock ARGS` in `dir`, with this build's binaries first on the PATH.
fn cargo_wouldblock(dir: &Path, args: &[&str]) -> Result<Output> {
    let bin = Path::new(env!("CARGO_BIN_EXE_cargo-wouldblock"));
    let path = std::env::join_paths(std::iter::once(bin.parent().unwrap().to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Command::new(cargo)
        .arg("wouldblock")
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .context("running cargo wouldblock")
}

fn summary(dir: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("target/wouldblock/summary.json"))?;
    Ok(serde_json::from_str(&text)?)
}

fn both(out: &Output) -> String {
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    format!(
        "{}{}",
        String::from_utf8_lossy(stdout),
        String::from_utf8_lossy(stderr)
    )
}

#[test]
fn a_packages_tests_run_and_are_explored_binary_by_binary() -> Result<()> {
    let dir = package("cargo-wouldblock")?;
    let out = cargo_wouldblock(&dir, &["test"])?;
    ensure!(out.status.code() == Some(0), "{}", both(&out));
    let test = summary(&dir)?;
    let names: Vec<&str> = (test["binaries"].as_array().into_iter().flatten())
        .filter_map(|b| b["name"].as_str())
        .collect();
    ensure!(names == ["round_trip", "udp_pair-lib"], "{test}");
    for name in &names {
        for ext in ["xml", "html"] {
            let file = dir.join(format!("target/wouldblock/{name}.{ext}"));
            ensure!(file.is_file(), "no {}", file.display());
        }
    }
    let junit = std::fs::read_to_string(dir.join("target/wouldblock/round_trip.xml"))?;
    ensure!(junit.contains("a_datagram_arrives_whole"), "{junit}");

    // std's send_to hands the one-off ENOBUFS to the test, which unwraps it: a finding in
    // each binary, each in its own report.
    let out = cargo_wouldblock(&dir, &["explore", "--jobs", "2"])?;
    ensure!(out.status.code() == Some(93), "{}", both(&out));
    let explore = summary(&dir)?;
    ensure!(
        explore["status"] == 93 && explore["command"] == "explore",
        "{explore}"
    );
    let mut components = Vec::new();
    for name in &names {
        let path = dir.join(format!("target/wouldblock/{name}.json"));
        let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
        let tests = report["tests"].as_array().cloned().unwrap_or_default();
        let findings = tests.iter().any(|t| t["status"] == "findings");
        ensure!(findings, "{name}: no finding: {report}");
        components.push(report["exploration"]["component"].clone());
        let plans = dir.join(format!("target/wouldblock/{name}-findings"));
        ensure!(
            std::fs::read_dir(&plans)?.count() > 0,
            "no plan in {}",
            plans.display()
        );
    }
    ensure!(components[0] != components[1], "{components:?}");

    // The team acknowledges the cause in the config file: every binary's run is green,
    // and says what it acknowledged, and why.
    std::fs::create_dir_all(dir.join(".config"))?;
    std::fs::write(
        dir.join(".config/wouldblock.toml"),
        "[[allow]]\nop = \"udp.send\"\nfault = \"error(out-of-memory)\"\n\
         verdict = \"unusable-after-error\"\nreason = \"the tests give up on ENOBUFS\"\n",
    )?;
    let out = cargo_wouldblock(&dir, &["explore", "--jobs", "2"])?;
    let text = both(&out);
    ensure!(out.status.code() == Some(0), "{text}");
    ensure!(
        text.contains("because: the tests give up on ENOBUFS (")
            && text.contains(".config/wouldblock.toml:1)"),
        "{text}"
    );
    std::fs::remove_file(dir.join(".config/wouldblock.toml"))?;
    Ok(())
}

#[test]
fn a_report_path_is_refused_for_it_names_each_itself() -> Result<()> {
    let dir = package("cargo-wouldblock-refused")?;
    let out = cargo_wouldblock(&dir, &["explore", "--json", "r.json"])?;
    ensure!(out.status.code() == Some(2), "{}", both(&out));
    ensure!(
        both(&out).contains("--json: cargo wouldblock names"),
        "{}",
        both(&out)
    );
    Ok(())
}

/// `docs/ci/`'s workflows, run here as their jobs run: three shard jobs, then the merge.
#[test]
fn the_ci_examples_shards_merge_into_the_whole_exploration() -> Result<()> {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/ci");
    for file in ["github-actions.yml", "gitlab-ci.yml"] {
        let text = std::fs::read_to_string(docs.join(file))?;
        ensure!(
            text.contains("cargo wouldblock explore --shard")
                && text.contains("cargo wouldblock merge --report-dir wouldblock shard-"),
            "{file} no longer runs the steps this test runs"
        );
    }
    let dir = package("cargo-wouldblock-shards")?;
    for i in 1..=3 {
        let (shard, report) = (format!("{i}/3"), format!("shard-{i}"));
        let out = cargo_wouldblock(
            &dir,
            &["explore", "--shard", &shard, "--report-dir", &report],
        )?;
        ensure!(matches!(out.status.code(), Some(0 | 93)), "{}", both(&out));
    }
    let out = cargo_wouldblock(
        &dir,
        &[
            "merge",
            "--report-dir",
            "wouldblock",
            "shard-1",
            "shard-2",
            "shard-3",
        ],
    )?;
    ensure!(out.status.code() == Some(93), "{}", both(&out));
    let out = cargo_wouldblock(&dir, &["explore", "--report-dir", "whole"])?;
    ensure!(out.status.code() == Some(93), "{}", both(&out));
    let read = |path: PathBuf| -> Result<serde_json::Value> {
        let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
        Ok(serde_json::from_str(&text)?)
    };
    for name in ["round_trip", "udp_pair-lib"] {
        let merged = read(dir.join(format!("wouldblock/{name}.json")))?;
        let whole = read(dir.join(format!("whole/{name}.json")))?;
        ensure!(
            merged["tests"] == whole["tests"] && merged["causes"] == whole["causes"],
            "{name}: the merge is not the whole exploration:\n{merged}\n{whole}"
        );
        for ext in ["xml", "html"] {
            let file = dir.join(format!("wouldblock/{name}.{ext}"));
            ensure!(file.is_file(), "no {}", file.display());
        }
    }
    let merged = read(dir.join("wouldblock/summary.json"))?;
    ensure!(
        merged["command"] == "merge" && merged["status"] == 93,
        "{merged}"
    );
    Ok(())
}

/// A test for the package that talks to the server a `[[setup]]` started, on the port the
/// config hands it, and reads a variable the profile sets.
const FROM_SETUP: &str = r#"
use std::io::{Read, Write};

#[test]
fn the_setups_server_answers() {
    let port: u16 = std::env::var("SETUP_PORT").expect("the setup's port").parse().unwrap();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.0 200"), "{reply}");
    assert_eq!(std::env::var("FROM_PROFILE").as_deref(), Ok("yes"));
}
"#;

#[test]
fn the_config_starts_the_servers_a_suite_needs_and_stops_them() -> Result<()> {
    let dir = package("cargo-wouldblock-config")?;
    std::fs::write(dir.join("tests/from_setup.rs"), FROM_SETUP)?;
    std::fs::create_dir_all(dir.join(".config"))?;
    std::fs::write(
        dir.join(".config/wouldblock.toml"),
        r#"
[profile.default]
env = { FROM_PROFILE = "yes" }

[[setup]]
name = "web"
command = ["/usr/bin/python3", "-m", "http.server", "{port}", "--bind", "127.0.0.1"]
port-env = "SETUP_PORT"
"#,
    )?;
    let out = cargo_wouldblock(&dir, &["test", "--test", "from_setup"])?;
    let text = both(&out);
    ensure!(out.status.code() == Some(0), "{text}");
    ensure!(
        dir.join("target/wouldblock/setup-web.log").is_file(),
        "{text}"
    );
    // Stopped with the command: its port no longer answers.
    let port: u16 = text
        .split("ready on 127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|port| port.parse().ok())
        .with_context(|| format!("no port said in {text}"))?;
    ensure!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "still listening: {text}"
    );

    // A server that exits before it listens: named, with its log, status 2.
    std::fs::write(
        dir.join(".config/wouldblock.toml"),
        "[[setup]]\nname = \"gone\"\ncommand = [\"false\"]\nport-env = \"SETUP_PORT\"\n",
    )?;
    let out = cargo_wouldblock(&dir, &["test", "--test", "from_setup"])?;
    let text = both(&out);
    ensure!(out.status.code() == Some(2), "{text}");
    ensure!(
        text.contains("setup \"gone\" exited") && text.contains("setup-gone.log"),
        "{text}"
    );
    Ok(())
}

#[test]
fn a_bad_config_names_its_file_line_and_field() -> Result<()> {
    let dir = package("cargo-wouldblock-bad-config")?;
    std::fs::create_dir_all(dir.join(".config"))?;
    std::fs::write(
        dir.join(".config/wouldblock.toml"),
        "[profile.ci]\nbudget-time = \"soon\"\n",
    )?;
    let out = cargo_wouldblock(&dir, &["test", "--profile", "ci"])?;
    let text = both(&out);
    ensure!(out.status.code() == Some(2), "{text}");
    ensure!(
        text.contains(".config/wouldblock.toml:2") && text.contains("budget-time"),
        "{text}"
    );
    let out = cargo_wouldblock(&dir, &["test", "--profile", "nightly"])?;
    let text = both(&out);
    ensure!(
        out.status.code() == Some(2) && text.contains("[profile.nightly]"),
        "{text}"
    );
    // An acknowledgement with no reason stops the command before the build.
    std::fs::write(
        dir.join(".config/wouldblock.toml"),
        "[profile.ci]
jobs = 1

[[allow]]
op = \"udp.send\"\nfault = \"ok-zero\"\n\
         verdict = \"busy-loop\"\n",
    )?;
    let out = cargo_wouldblock(&dir, &["explore"])?;
    let text = both(&out);
    ensure!(out.status.code() == Some(2), "{text}");
    ensure!(
        text.contains(".config/wouldblock.toml:4: [[allow]] field `reason`"),
        "{text}"
    );
    Ok(())
}
