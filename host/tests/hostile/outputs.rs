//! Round 3 (issue 31), the command's files: outputs checked against its inputs and each
//! other before anything runs, shard reports edited by hand, and a plain run stopped by a
//! signal.

use super::*;

fn sha(path: &Path) -> Result<Vec<u8>> {
    Ok(std::fs::read(path)?)
}

/// Item 8: `--html comp.wasm`, `--trace comp.wasm`, `explore --json comp.wasm` and
/// `--plan p.toml --html p.toml` replaced the component or the plan; two outputs on one
/// path were refused with "File exists (os error 17)".
#[test]
fn no_output_replaces_an_input_or_another_output() -> Result<()> {
    let dir = scratch("outputs")?;
    let comp = dir.join("comp.wasm");
    std::fs::copy(UDP_SEND.path, &comp)?;
    let plan = dir.join("p.toml");
    std::fs::write(&plan, "[[fault]]\npreset = \"first-send\"\n")?;
    let before = (sha(&comp)?, sha(&plan)?);
    let (c, p) = (path(&comp), path(&plan));
    let other = dir.join("out.html");
    let o = path(&other);
    let cases: Vec<(Vec<&str>, [&str; 2])> = vec![
        (
            vec!["run", "--html", c, c, "127.0.0.1:9"],
            ["--html", "the component"],
        ),
        (
            vec!["run", "--trace", c, c, "127.0.0.1:9"],
            ["--trace", "the component"],
        ),
        (
            vec!["run", "--summary-json", c, c, "127.0.0.1:9"],
            ["--summary-json", "the component"],
        ),
        (
            vec![
                "explore",
                "--json",
                c,
                "--out",
                path(&dir),
                c,
                "--",
                "127.0.0.1:9",
            ],
            ["--json", "the component"],
        ),
        (
            vec!["run", "--plan", p, "--html", p, c, "127.0.0.1:9"],
            ["--html", "--plan"],
        ),
        (
            vec!["run", "--html", o, "--trace", o, c, "127.0.0.1:9"],
            ["--trace", "--html"],
        ),
        (vec!["test", "--junit", c, c], ["--junit", "the component"]),
    ];
    for (args, flags) in cases {
        let out = wouldblock(&args)?;
        refused(&out, &flags).with_context(|| format!("{args:?}"))?;
        ensure!(!text(&out.stderr).contains("os error 17"), "{}", both(&out));
        ensure!(
            (sha(&comp)?, sha(&plan)?) == before,
            "{args:?} replaced an input"
        );
    }
    ensure!(!other.exists());
    Ok(())
}

/// Item 11: `--merge` of a shard `1/18446744073709551615` built every missing shard's
/// name (5.7 GB in 6 s); hand-edited shard numbers (`[5, 0]`, a third `[3, 2]`) merged.
#[test]
fn hand_edited_shards_are_refused_at_once() -> Result<()> {
    let dir = scratch("shards")?;
    let mut shards = Vec::new();
    for i in [1, 2] {
        let json = dir.join(format!("s{i}.json"));
        let out = wouldblock(&[
            "explore",
            "--shard",
            &format!("{i}/2"),
            "--json",
            path(&json),
            "--out",
            path(&dir.join(format!("out{i}"))),
            UDP_SEND.path,
            "--",
            "127.0.0.1:9",
        ])?;
        ensure!(out.status.code().is_some_and(|c| c <= 1), "{}", both(&out));
        shards.push(json);
    }
    let edited = |name: &str, shard: serde_json::Value| -> Result<PathBuf> {
        let mut report = read_json(&shards[0])?;
        report["shard"] = shard;
        let file = dir.join(name);
        std::fs::write(&file, report.to_string())?;
        Ok(file)
    };
    let huge = edited("huge.json", serde_json::json!([1u64, u64::MAX]))?;
    let out = wouldblock(&["explore", "--merge", path(&huge)])?;
    refused(&out, &["18446744073709551604 more", "missing"])?;
    let zero = edited("zero.json", serde_json::json!([5, 0]))?;
    let out = wouldblock(&["explore", "--merge", path(&zero)])?;
    refused(&out, &["shard 5/0 is not a shard"])?;
    let third = edited("third.json", serde_json::json!([3, 2]))?;
    let out = wouldblock(&[
        "explore",
        "--merge",
        path(&shards[0]),
        path(&shards[1]),
        path(&third),
    ])?;
    refused(&out, &["shard 3/2 is not a shard"])?;
    Ok(())
}

/// Item 13: a plain `run` stopped by SIGINT or SIGTERM left empty hidden `.NAME.PID.tmp`
/// files beside its outputs.
#[test]
fn a_run_stopped_by_a_signal_leaves_no_temporary_file() -> Result<()> {
    for name in ["INT", "TERM"] {
        let dir = scratch(&format!("signal-{name}"))?;
        let (html, trace) = (dir.join("r.html"), dir.join("t.jsonl"));
        let mut run = command(&[
            "run",
            "--html",
            path(&html),
            "--trace",
            path(&trace),
            "--time-limit",
            "600",
            PROBE.path,
            "spin",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
        // Stopped once it has worked (the outputs are reserved before anything else),
        // not after a wall-clock guess.
        super::reports::wait_for_cpu(&run, Duration::from_millis(300))?;
        ensure!(names(&dir)?.len() == 2, "{:?}", names(&dir)?);
        let status = Command::new("kill")
            .args([&format!("-{name}"), &run.id().to_string()])
            .status()?;
        ensure!(status.success());
        run.wait()?;
        ensure!(names(&dir)?.is_empty(), "{name}: {:?}", names(&dir)?);
    }
    Ok(())
}
