//! Reports are never lost, mixed or garbled: merged shards, output paths, `--out`
//! folders, replay lines, identical runs, interrupted and failed runs.

use super::*;

/// One shard's (or the whole exploration's) `--json` report of `E`.
fn shard(dir: &Path, name: &str, extra: &[&str], program: &str) -> Result<PathBuf> {
    let json = dir.join(name);
    let out_dir = dir.join(format!("out-{name}"));
    let mut args = vec!["explore", "--json", path(&json), "--out", path(&out_dir)];
    args.extend(extra);
    args.extend([
        "--expect-datagrams",
        "16",
        program,
        "--",
        "{peer}",
        "--count",
        "16",
    ]);
    let out = wouldblock(&args)?;
    ensure!(out.status.code() == Some(1), "{}", both(&out));
    Ok(json)
}

/// Item 2: `--merge` merged copies of one shard, shards of other components and options,
/// and missing shards; it counted the fault-free run once per shard.
#[test]
fn merge_refuses_what_is_not_one_exploration() -> Result<()> {
    let dir = scratch("merge")?;
    let whole = shard(&dir, "whole.json", &[], UDP_BURST_DROP.path)?;
    let shards: Vec<PathBuf> = (1..=3)
        .map(|i| {
            let spec = format!("{i}/3");
            shard(
                &dir,
                &format!("s{i}.json"),
                &["--shard", &spec],
                UDP_BURST_DROP.path,
            )
        })
        .collect::<Result<_>>()?;
    let [s1, s2, s3] = [&shards[0], &shards[1], &shards[2]].map(|p| path(p));
    let out_dir = dir.join("merged");
    let merge = |files: &[&str]| {
        let mut args = vec!["explore", "--out", path(&out_dir), "--merge"];
        args.extend(files);
        wouldblock(&args)
    };
    refused(&merge(&[s1, s1, s1])?, &["shard 1/3 is given twice"])?;
    refused(&merge(&[s1, s2])?, &["shard(s) 3 of 3 are missing"])?;
    let seeded = shard(
        &dir,
        "seed.json",
        &["--shard", "2/3", "--seed", "7"],
        UDP_BURST_DROP.path,
    )?;
    refused(&merge(&[s1, path(&seeded), s3])?, &["--seed: 0 vs 7"])?;
    let other = shard(&dir, "other.json", &["--shard", "2/3"], UDP_BURST_SPIN.path)?;
    refused(&merge(&[s1, path(&other), s3])?, &["component (sha256)"])?;
    let old = dir.join("old.json");
    let mut value = read_json(&shards[1])?;
    value.as_object_mut().context("an object")?.remove("format");
    std::fs::write(&old, value.to_string())?;
    refused(
        &merge(&[s1, path(&old), s3])?,
        &["old.json", "no format version"],
    )?;

    let merged_json = dir.join("merged.json");
    let out = wouldblock(&[
        "explore",
        "--out",
        path(&out_dir),
        "--json",
        path(&merged_json),
        "--merge",
        s3,
        s1,
        s2,
    ])?;
    ensure!(out.status.code() == Some(1), "{}", both(&out));
    let (merged, whole) = (read_json(&merged_json)?, read_json(&whole)?);
    for key in ["runs", "trials", "sites", "findings", "notes", "shard"] {
        ensure!(
            merged[key] == whole[key],
            "{key}: {} vs {}",
            merged[key],
            whole[key]
        );
    }
    Ok(())
}

/// Item 3: `--out` naming a file, a device, a symlink loop or a read-only folder, and an
/// unwritable `--json`, failed only after the whole exploration, losing the report.
#[test]
fn output_paths_are_checked_before_any_guest_runs() -> Result<()> {
    let dir = scratch("paths")?;
    let file = dir.join("a-file");
    std::fs::write(&file, "")?;
    let looped = dir.join("loop");
    std::os::unix::fs::symlink(dir.join("loop2"), &looped)?;
    std::os::unix::fs::symlink(&looped, dir.join("loop2"))?;
    let with = |flag: &'static str, value: &Path| {
        let mut args = vec!["explore", flag, path(value)];
        if flag == "--json" {
            args.extend(["--out", path(&dir)]);
        }
        args.extend(slow("30s"));
        quickly(&args)
    };
    refused(&with("--out", &file)?, &["a-file", "not a folder"])?;
    refused(
        &with("--out", Path::new("/dev/null"))?,
        &["/dev/null", "character device"],
    )?;
    refused(&with("--out", &looped)?, &["symbolic link loop"])?;
    refused(
        &with("--json", &dir)?,
        &["--json", "is a folder, not a file"],
    )?;
    refused(
        &with("--json", &dir.join("no/such/r.json"))?,
        &["no/such/r.json"],
    )?;
    refused(&with("--json", &looped)?, &["symbolic link loop"])?;
    let mut args = vec!["run", "--summary-json", "/dev/null"];
    args.extend(slow("30s"));
    refused(
        &quickly(&args)?,
        &["--summary-json /dev/null", "character device"],
    )?;
    // A read-only folder (root writes anywhere: then there is nothing to refuse).
    let read_only = dir.join("read-only");
    std::fs::create_dir_all(&read_only)?;
    let mut perms = std::fs::metadata(&read_only)?.permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
    std::fs::set_permissions(&read_only, perms)?;
    if std::fs::write(read_only.join("probe"), "").is_err() {
        refused(&with("--out", &read_only)?, &["cannot write in the folder"])?;
        refused(
            &with("--json", &read_only.join("r.json"))?,
            &["cannot create"],
        )?;
    }
    Ok(())
}

/// Item 9: old plan files stayed beside new ones, and explorations into one `--out`
/// overwrote each other's files.
#[test]
fn out_is_owned_by_one_exploration() -> Result<()> {
    let dir = scratch("owned")?;
    let out_dir = dir.join("findings");
    let naive = |extra: &[&str]| {
        let mut args = vec!["explore", "--out", path(&out_dir)];
        args.extend(extra);
        args.extend([UDP_SEND_NAIVE.path, "--", "127.0.0.1:9"]);
        wouldblock(&args)
    };
    ensure!(naive(&[])?.status.code() == Some(1));
    let first = names(&out_dir)?;
    let stale = out_dir.join("finding-99-stale.toml");
    std::fs::copy(out_dir.join(&first[0]), &stale)?;
    ensure!(naive(&[])?.status.code() == Some(1));
    ensure!(
        names(&out_dir)? == first,
        "{:?} vs {first:?}",
        names(&out_dir)?
    );
    // Another exploration's folder is refused, and replaced only when asked.
    let other = wouldblock(&e(vec!["explore", "--out", path(&out_dir)]))?;
    refused(&other, &["another exploration", "--force"])?;
    ensure!(names(&out_dir)? == first);
    let forced = wouldblock(&e(vec!["explore", "--force", "--out", path(&out_dir)]))?;
    ensure!(forced.status.code() == Some(1), "{}", both(&forced));
    let now = names(&out_dir)?;
    ensure!(
        now.iter().all(|n| !first.contains(n)),
        "{now:?} still has {first:?}"
    );
    // Two at once: the second is refused while the first runs.
    let busy = dir.join("busy");
    let mut args = vec!["explore", "--out", path(&busy)];
    args.extend(slow("6s"));
    let mut running = command(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    // The folder appears as the first claims it; its lock follows at once.
    let start = Instant::now();
    while !busy.exists() && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let second = quickly(&args)?;
    running.wait()?;
    refused(&second, &["another exploration is writing there"])
}

/// The `# replay:` line of a plan file.
fn replay_line(plan: &Path) -> Result<String> {
    let text = std::fs::read_to_string(plan)?;
    let line = text.lines().find_map(|l| l.strip_prefix("# replay: "));
    Ok(line
        .with_context(|| format!("no replay line: {text}"))?
        .to_string())
}

/// Item 10: replay lines were not shell-quoted, and `--merge` wrote replay lines without
/// the component (`wouldblock run --plan X --merge t1.json ...`).
#[test]
fn replay_lines_are_shell_quoted_and_complete() -> Result<()> {
    let dir = scratch("replay")?;
    let out_dir = dir.join("my \"findings\" it's");
    let json = dir.join("r.json");
    let out = wouldblock(&[
        "explore",
        "--out",
        path(&out_dir),
        "--json",
        path(&json),
        UDP_SEND_NAIVE.path,
        "--",
        "127.0.0.1:9",
    ])?;
    ensure!(out.status.code() == Some(1), "{}", both(&out));
    let plan = out_dir.join(&names(&out_dir)?[0]);
    let line = replay_line(&plan)?;
    let replay = Command::new("sh").arg("-c").arg(&line).output()?;
    ensure!(replay.status.code() == Some(1), "{line}: {}", both(&replay));
    ensure!(
        text(&replay.stderr).contains("fail (guest exit 1)"),
        "{}",
        both(&replay)
    );
    let merged_dir = dir.join("merged");
    let out = wouldblock(&[
        "explore",
        "--out",
        path(&merged_dir),
        "--merge",
        path(&json),
    ])?;
    ensure!(out.status.code() == Some(1), "{}", both(&out));
    let line = replay_line(&merged_dir.join(&names(&merged_dir)?[0]))?;
    ensure!(
        !line.contains("--merge") && line.contains(UDP_SEND_NAIVE.path),
        "{line}"
    );
    ensure!(line.ends_with("-- 127.0.0.1:9"), "{line}");
    let replay = Command::new("sh").arg("-c").arg(&line).output()?;
    ensure!(replay.status.code() == Some(1), "{line}: {}", both(&replay));
    Ok(())
}

/// Item 12: `dropped` evidence carried the real ephemeral port, so two identical
/// explorations printed different reports.
#[test]
fn identical_explorations_print_identical_reports() -> Result<()> {
    let dir = scratch("identical")?;
    let json = dir.join("r.json");
    let once = || -> Result<(Vec<u8>, String)> {
        let out = wouldblock(&e(vec![
            "explore",
            "--out",
            path(&dir),
            "--json",
            path(&json),
        ]))?;
        ensure!(out.status.code() == Some(1), "{}", both(&out));
        Ok((out.stdout, std::fs::read_to_string(&json)?))
    };
    let (first, first_json) = once()?;
    let (second, second_json) = once()?;
    ensure!(text(&first).contains("dropped"), "{}", text(&first));
    ensure!(first == second, "{}\n---\n{}", text(&first), text(&second));
    ensure!(first_json == second_json, "the JSON reports differ");
    Ok(())
}

/// Waits for `child` at most `limit`, then kills it.
fn wait_at_most(child: &mut std::process::Child, limit: Duration) -> Result<Output> {
    let start = Instant::now();
    while child.try_wait()?.is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    use std::io::Read;
    child.stdout.take().map(|mut s| s.read_to_end(&mut stdout));
    child.stderr.take().map(|mut s| s.read_to_end(&mut stderr));
    Ok(Output {
        status: child.try_wait()?.context("ended")?,
        stdout,
        stderr,
    })
}

/// Waits until `child` has used `cpu` of processor time (all its threads, from
/// `/proc/PID/stat`), so what it has done by then does not depend on the machine's load;
/// at most a minute of wall time.
pub(super) fn wait_for_cpu(child: &std::process::Child, cpu: Duration) -> Result<()> {
    // Linux's clock ticks: USER_HZ is 100 on every architecture it runs on.
    let ticks = cpu.as_millis() as u64 / 10;
    let start = Instant::now();
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id()))?;
        // The fields after the command name (which may hold spaces) in parentheses.
        let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let used: u64 = [11, 12]
            .iter()
            .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
            .sum();
        if used >= ticks {
            return Ok(());
        }
        ensure!(
            start.elapsed() < Duration::from_secs(60),
            "the child used {used} of {ticks} ticks in a minute"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &std::process::Child, name: &str) -> Result<()> {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()?;
    ensure!(status.success(), "kill -{name}");
    Ok(())
}

/// Item 13: a setup failure left `test --junit FILE` empty over an earlier report, and
/// SIGINT/SIGTERM during `explore` (and `--repeat`) left nothing of what had finished.
#[test]
fn failed_and_interrupted_runs_keep_what_they_have() -> Result<()> {
    let dir = scratch("interrupted")?;
    let junit = dir.join("nt.xml");
    std::fs::write(&junit, "<earlier/>")?;
    let out = wouldblock(&["test", "--junit", path(&junit), UDP_SEND.path])?;
    ensure!(out.status.code() == Some(2), "{}", both(&out));
    ensure!(std::fs::read_to_string(&junit)? == "<earlier/>");

    let (json, out_dir) = (dir.join("r.json"), dir.join("findings"));
    let mut explore = command(&[
        "explore",
        "--depth",
        "2",
        "--budget",
        "100000000",
        "--json",
        path(&json),
        "--out",
        path(&out_dir),
        "--expect-datagrams",
        "64",
        UDP_BURST.path,
        "--",
        "{peer}",
        "--count",
        "64",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()?;
    // Interrupted once it has worked, not after a wall-clock guess: a loaded machine may
    // not even have finished the fault-free run in a few seconds.
    wait_for_cpu(&explore, Duration::from_secs(1))?;
    signal(&explore, "INT")?;
    let out = wait_at_most(&mut explore, Duration::from_secs(20))?;
    ensure!(out.status.code() == Some(130), "{}", both(&out));
    ensure!(
        text(&out.stderr).contains("interrupted by SIGINT"),
        "{}",
        both(&out)
    );
    ensure!(
        text(&out.stdout).contains("incomplete: interrupted"),
        "{}",
        both(&out)
    );
    let report = read_json(&json)?;
    ensure!(
        report["incomplete"] == true && report["runs"].as_u64() > Some(1),
        "{report}"
    );
    ensure!(!names(&out_dir)?.is_empty(), "no plan file");

    let summary = dir.join("s.json");
    let mut repeat = command(&[
        "run",
        "--repeat",
        "100000000",
        "--summary-json",
        path(&summary),
        UDP_SEND.path,
        "127.0.0.1:9",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()?;
    wait_for_cpu(&repeat, Duration::from_secs(1))?;
    signal(&repeat, "TERM")?;
    let out = wait_at_most(&mut repeat, Duration::from_secs(20))?;
    ensure!(out.status.code() == Some(143), "{}", both(&out));
    ensure!(
        text(&out.stderr).contains("interrupted by SIGTERM"),
        "{}",
        both(&out)
    );
    let value = read_json(&summary)?;
    ensure!(
        value["incomplete"] == true && value["passed"] == true,
        "{value}"
    );
    Ok(())
}
