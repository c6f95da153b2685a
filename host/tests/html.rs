//! `--html` as a reviewer opens it: `run` (a short run, and one past the trace's limit),
//! `run --repeat`, `explore`, `test` and an explored suite each write one self-contained,
//! small page; and where Chromium is installed, each page is rendered headless and its
//! DOM checked (the findings rows are the report's, every finding and test has its
//! timeline, a mark shows its trace line, no console error), and a screenshot of a
//! finding's timeline is saved.
//! Without Chromium that check says it is skipped, unless `WOULDBLOCK_REQUIRE_CHROMIUM=1`
//! (CI) makes a missing browser a failure.

use anyhow::{Context, Result, bail, ensure};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use wouldblock_guests::{
    GUEST_SUITE, PROBE_HTTP, PROBE_LIBTEST, TCP_ECHO_CLIENT_NAIVE, UDP_BURST_SPIN, UDP_BURST_WAIT,
    UDP_SEND_NAIVE,
};

/// Where the pages, the browser's output and the screenshot go.
fn dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("html")
}

/// `wouldblock args` in [`dir`], as a user with it on their PATH types it: the pages show
/// the command line and the replay commands as they would read for them.
fn wouldblock(args: &[&str]) -> Result<Output> {
    use std::os::unix::process::CommandExt;
    Command::new(env!("CARGO_BIN_EXE_wouldblock"))
        .arg0("wouldblock")
        .args(args)
        .current_dir(dir())
        .env("XDG_CACHE_HOME", dir().join("cache"))
        .stdin(Stdio::null())
        .output()
        .context("running wouldblock")
}

/// A bundled component copied into [`dir`]; its name there.
fn component(path: &str, name: &'static str) -> Result<&'static str> {
    std::fs::copy(path, dir().join(name)).with_context(|| format!("copying {path}"))?;
    Ok(name)
}

/// Runs `wouldblock args` expecting one of `statuses`, and returns the page it wrote.
fn page(name: &str, statuses: &[i32], args: &[&str]) -> Result<(PathBuf, String)> {
    let file = format!("{name}.html");
    let path = dir().join(&file);
    let _ = std::fs::remove_file(&path);
    let mut all = vec![args[0], "--html", &file];
    all.extend(&args[1..]);
    let out = wouldblock(&all)?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(
        out.status.code().is_some_and(|c| statuses.contains(&c)),
        "{name}: {:?}, not {statuses:?}: {stderr}",
        out.status
    );
    let text = std::fs::read_to_string(&path).with_context(|| format!("{name}: no page"))?;
    Ok((path, text))
}

/// Every page, made once for all the tests of this file.
struct Pages {
    /// `(name, path, text)`, in the order they are checked.
    all: Vec<(&'static str, PathBuf, String)>,
}

/// The `--json` report an exploration page `name` was written with.
fn report(name: &str) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(dir().join(format!("{name}.json")))?;
    Ok(serde_json::from_str(&text)?)
}

/// `explore` as CI runs it, writing its page, its report and its plan files.
fn explore(name: &str, statuses: &[i32], target: &[&str]) -> Result<(PathBuf, String)> {
    let (json, out) = (format!("{name}.json"), format!("{name}-findings"));
    page(
        name,
        statuses,
        &[&["explore", "--json", &json, "--out", &out], target].concat(),
    )
}

fn make() -> Result<Pages> {
    std::fs::create_dir_all(dir())?;
    let naive = component(UDP_SEND_NAIVE.path, "udp-send-naive.wasm")?;
    let spin = component(UDP_BURST_SPIN.path, "udp-burst-spin.wasm")?;
    let wait = component(UDP_BURST_WAIT.path, "udp-burst-wait.wasm")?;
    let client = component(TCP_ECHO_CLIENT_NAIVE.path, "tcp-echo-client-naive.wasm")?;
    let suite = component(GUEST_SUITE, "suite.wasm")?;
    let naive = ["--fault", "first-send", naive, "127.0.0.1:9"];
    let small = page("small", &[1], &[&["run"], &naive[..]].concat())?;
    // 150,000 spins past the busy-loop threshold: 300,021 events, 100,000 kept.
    let large = page(
        "large",
        &[84],
        &[
            "run",
            "--busy-threshold",
            "150000",
            "--fault",
            "enobufs-writable",
            "--expect-datagrams",
            "16",
            spin,
            "--",
            "{peer}",
            "--count",
            "16",
        ],
    )?;
    let repeat = page(
        "repeat",
        &[1],
        &[&["run", "--repeat", "20"], &naive[..]].concat(),
    )?;
    // Two hangs and a busy loop past its window, the same on every run.
    let udp = [
        "--expect-datagrams",
        "8",
        wait,
        "--",
        "{peer}",
        "--count",
        "8",
    ];
    let explore_udp = explore("explore", &[1], &udp)?;
    // The guide's picture (docs/trace-and-html.md): a finding whose timeline tells a story in virtual time. What
    // it finds depends on when the echo's bytes arrive, so any exit is taken; its note
    // (a reset) is always there.
    let tcp = [client, "--", "{tcp-echo}", "--sizes", "1024"];
    let explore_tcp = explore("explore-tcp", &[0, 1], &tcp)?;
    // A suite explored a test at a time: its tests, and each finding with its test.
    let explore_suite = explore("explore-suite", &[1], &["--suite", suite])?;
    let suite = page(
        "suite",
        &[1],
        &[
            "test",
            "--fault",
            "first-send",
            "--fault",
            "enobufs-backpressure:after=1",
            suite,
        ],
    )?;
    let mut all = Vec::new();
    for (name, (path, text)) in [
        ("small", small),
        ("large", large),
        ("repeat", repeat),
        ("explore", explore_udp),
        ("explore-tcp", explore_tcp),
        ("suite", suite),
        ("explore-suite", explore_suite),
    ] {
        println!("{name}.html: {} bytes ({})", text.len(), path.display());
        all.push((name, path, text));
    }
    Ok(Pages { all })
}

fn pages() -> Result<&'static Pages> {
    static PAGES: OnceLock<Result<Pages, String>> = OnceLock::new();
    match PAGES.get_or_init(|| make().map_err(|e| format!("{e:#}"))) {
        Ok(pages) => Ok(pages),
        Err(e) => bail!("making the pages: {e}"),
    }
}

fn text_of<'a>(pages: &'a Pages, name: &str) -> &'a str {
    let found = pages.all.iter().find(|(n, _, _)| *n == name);
    found.map_or("", |(_, _, text)| text.as_str())
}

#[test]
fn every_page_is_self_contained_and_small() -> Result<()> {
    let pages = pages()?;
    for (name, _, text) in &pages.all {
        ensure!(text.starts_with("<!doctype html>"), "{name}");
        ensure!(text.contains("Content-Security-Policy"), "{name}");
        for fetches in ["<link", " src=", "@import", "url(", "<iframe", "<img"] {
            ensure!(!text.contains(fetches), "{name} loads something: {fetches}");
        }
        // The only links lead away on a click: the references' issues.
        for (i, _) in text.match_indices("href=\"") {
            let target = &text[i + 6..];
            ensure!(
                target.starts_with("https://github.com/") || target.starts_with('#'),
                "{name}: {}",
                &target[..target.len().min(80)]
            );
        }
        let limit = match *name {
            "small" | "repeat" => 48 << 10,
            "large" | "suite" => 256 << 10,
            // Up to 240 events a finding (fewer past the third): a few hundred KiB.
            _ => 512 << 10,
        };
        ensure!(text.len() < limit, "{name}: {} bytes", text.len());
    }
    Ok(())
}

#[test]
fn an_explored_suite_names_each_findings_test_and_its_replay_gives_it_again() -> Result<()> {
    let page = text_of(pages()?, "explore-suite");
    let report = report("explore-suite")?;
    let tests = report["tests"].as_array().cloned().unwrap_or_default();
    ensure!(page.contains(&format!("data-tests=\"{}\"", tests.len())));
    let found = tests.iter().find_map(|t| {
        let finding = t["report"]["findings"].as_array()?.first()?.clone();
        Some((t["name"].as_str()?.to_string(), finding))
    });
    let Some((test, finding)) = found else {
        bail!("no finding in {report}");
    };
    // The finding's replay, as the page gives it: the test's own command line.
    let replay = format!("-- --exact {test}");
    ensure!(page.contains(&replay), "no replay naming {test}");
    let plan = dir().join("finding.toml");
    std::fs::write(&plan, finding["plan"].as_str().unwrap_or(""))?;
    let plan = plan.display().to_string();
    let out = wouldblock(&[
        "test",
        "--plan",
        &plan,
        "suite.wasm",
        "--",
        "--exact",
        &test,
    ])?;
    // The test fails again with the finding's verdict.
    let verdict = finding["verdict"].as_str().unwrap_or("?");
    let stdout = String::from_utf8_lossy(&out.stdout);
    ensure!(
        out.status.code() == Some(1) && stdout.contains("FAIL ["),
        "the replay of {test} ended {:?}: {stdout}",
        out.status
    );
    ensure!(
        stdout.contains(&format!("{test}: {verdict}")),
        "the replay of {test} is not {verdict}: {stdout}"
    );
    Ok(())
}

#[test]
fn a_run_past_the_trace_limit_is_summarised_around_its_evidence() -> Result<()> {
    let large = text_of(pages()?, "large");
    ensure!(large.contains("400 of 300,021 events"), "no window note");
    ensure!(
        large.contains("past the trace&#39;s limit, not kept"),
        "no unkept count"
    );
    // The verdict quotes the last six calls: all six drawn and marked.
    ensure!(large.matches(r#"class="evb""#).count() == 6);
    ensure!(
        large.contains(r#"{"seq":300021,"#),
        "the last call is not drawn"
    );
    Ok(())
}

#[test]
fn an_unwritable_page_stops_the_command_before_the_guest_runs() -> Result<()> {
    std::fs::create_dir_all(dir())?;
    let out = wouldblock(&["run", "--html", "/no/such/dir/r.html", UDP_SEND_NAIVE.path])?;
    let err = String::from_utf8_lossy(&out.stderr);
    ensure!(out.status.code() == Some(2), "{:?}: {err}", out.status);
    ensure!(err.contains("--html /no/such/dir/r.html"), "{err}");
    ensure!(!err.contains("wouldblock: pass"), "the guest ran: {err}");
    Ok(())
}

#[test]
fn a_command_that_stops_on_an_error_still_leaves_its_page() -> Result<()> {
    std::fs::create_dir_all(dir())?;
    let path = dir().join("stopped.html");
    // The page's path is claimed first; the component then fails to load.
    let out = wouldblock(&[
        "run",
        "--html",
        path.to_str().context("utf-8")?,
        "/no/such/component.wasm",
    ])?;
    ensure!(out.status.code() == Some(2), "{:?}", out.status);
    let text = std::fs::read_to_string(&path)?;
    ensure!(text.contains("stopped before its end"), "{text}");
    Ok(())
}

/// Issue 31, item 9: a trace string `<!--<script>` made the timeline's JSON block swallow
/// the rest of the page (only `</` was escaped). Hostile strings in every field that comes
/// from a guest (a looked-up name in the trace, test names, a failure's reason, stderr)
/// end no element and start none.
#[test]
fn hostile_strings_end_no_block_and_start_no_element() -> Result<()> {
    std::fs::create_dir_all(dir())?;
    let hostile = ["<!--<script>", "</script>", "<img src=x onerror=alert(1)>"];
    let probe = component(PROBE_HTTP.path, "probe-http.wasm")?;
    let mut args = vec!["run", probe, "lookup"];
    args.extend(hostile);
    let (_, run) = page("hostile-run", &[0], &args)?;
    let suite = component(PROBE_LIBTEST.path, "probe-libtest.wasm")?;
    let (_, test) = page(
        "hostile-test",
        &[1],
        &[
            "test",
            "--fault",
            "op=udp.send,first=1,action=connection-refused",
            "--env",
            "TESTS=hostile",
            suite,
        ],
    )?;
    for (name, text) in [("run", &run), ("test", &test)] {
        for block in text.split("<script type=\"application/json\"").skip(1) {
            let data = block.split_once('>').map_or("", |(_, rest)| rest);
            let data = data.split("</script>").next().unwrap_or("");
            ensure!(
                !data.contains(['<', '>', '&']),
                "{name}: a data block holds {data:?}"
            );
        }
        ensure!(
            text.matches("<script").count() == text.matches("</script>").count(),
            "{name}: a guest's string opened or closed a script"
        );
        ensure!(
            !text.contains("<img src=x"),
            "{name}: a guest's string became markup"
        );
        ensure!(
            !text.contains("<!--<script>"),
            "{name}: a guest's comment opener"
        );
        ensure!(
            text.contains("img src=x onerror"),
            "{name}: the hostile strings are not shown at all"
        );
    }
    ensure!(
        test.contains("&#60;/script&#62;&#60;img src=x onerror=alert(1)&#62;"),
        "a test name is missing"
    );
    Ok(())
}

/// Runs before the page's own script: records every error, and at `load` uses the page
/// (a mark, a sort, a row, a copy button) and writes what it counted into the DOM.
const CHECKER: &str = r##"<script>(function () {
  var errors = [];
  window.addEventListener("error", function (e) { errors.push("error: " + e.message); });
  window.addEventListener("unhandledrejection", function (e) { errors.push("rejection: " + e.reason); });
  document.addEventListener("securitypolicyviolation", function (e) { errors.push("csp: " + e.violatedDirective + " " + e.blockedURI); });
  var original = console.error;
  console.error = function () { errors.push("console.error: " + [].join.call(arguments, " ")); original.apply(console, arguments); };
  window.addEventListener("load", function () {
    var q = function (s) { return document.querySelectorAll(s); };
    var timed = function (list, what) { return [].filter.call(list, function (el) { return el.querySelector(what); }).length; };
    var selected = "";
    try {
      var mark = document.querySelector("svg.timeline .e");
      if (mark) { mark.dispatchEvent(new MouseEvent("click", { bubbles: true })); selected = mark.closest("div.tl").querySelector("pre.sel").textContent; }
      var th = document.querySelector("table.sortable th[data-sort=num]");
      if (th) { th.click(); th.click(); }
      var row = document.querySelector("tr.open"); if (row) row.click();
      var copy = document.querySelector("button.copy"); if (copy) copy.click();
    } catch (e) { errors.push("using the page: " + e); }
    var first = document.querySelector("table.sortable tbody tr td");
    var nav = performance.getEntriesByType("navigation")[0];
    var out = document.createElement("pre");
    out.id = "wb-check";
    out.textContent = JSON.stringify({
      findings_rows: q("#findings tbody tr").length,
      notes_rows: q("#notes tbody tr").length,
      finding_sections: q("details.finding").length,
      findings_with_timeline: timed(q("details.finding"), "svg.timeline .e"),
      test_rows: q("#tests tbody tr").length,
      tests_with_timeline: timed(q("details.test"), "svg.timeline"),
      timelines: q("svg.timeline").length,
      marks: q("svg.timeline .e").length,
      selected: selected,
      first_cell_after_sort: first ? first.textContent.trim() : "",
      load_ms: nav ? nav.loadEventStart : -1,
      errors: errors
    });
    document.body.appendChild(out);
  });
})();</script>"##;

/// The browser, if this machine has one (`WOULDBLOCK_CHROMIUM` names another, or none:
/// a path that is not there is no browser).
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("WOULDBLOCK_CHROMIUM") {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path).chain([PathBuf::from("/usr/bin")]);
    let names = ["chromium", "chromium-browser", "google-chrome"];
    dirs.flat_map(|d| names.map(|n| d.join(n)))
        .find(|p| p.is_file())
}

/// Runs headless Chromium on `url` with a fresh profile, `extra` flags, stdout into
/// `out`; stops it after two minutes. Returns how long it took and its stderr.
fn browse(chromium: &Path, url: &str, extra: &[String], out: &Path) -> Result<(Duration, String)> {
    let profile = out.with_extension("profile");
    let _ = std::fs::remove_dir_all(&profile);
    let err = out.with_extension("stderr");
    let start = Instant::now();
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(File::create(out)?)
        .stderr(File::create(&err)?)
        .spawn()
        .with_context(|| format!("starting {}", chromium.display()))?;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            bail!("chromium took over two minutes on {url}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = start.elapsed();
    let stderr = std::fs::read_to_string(&err).unwrap_or_default();
    ensure!(status.success(), "chromium on {url}: {status:?}\n{stderr}");
    let _ = std::fs::remove_dir_all(&profile);
    Ok((took, stderr))
}

/// The checker's findings in a dumped DOM.
fn check_of(dom: &str) -> Result<serde_json::Value> {
    let start = dom
        .find(r#"<pre id="wb-check">"#)
        .context("the checker wrote nothing")?
        + 19;
    let end = start + dom[start..].find("</pre>").context("no end")?;
    let text = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    Ok(serde_json::from_str(&text)?)
}

fn count(check: &serde_json::Value, key: &str) -> u64 {
    check[key].as_u64().unwrap_or(u64::MAX)
}

#[test]
fn pages_render_in_headless_chromium() -> Result<()> {
    let Some(chromium) = chromium() else {
        if std::env::var("WOULDBLOCK_REQUIRE_CHROMIUM").as_deref() == Ok("1") {
            bail!("WOULDBLOCK_REQUIRE_CHROMIUM=1 and no chromium: apt-get install -y chromium");
        }
        // Past libtest's capture, so that `cargo test` shows it.
        let _ = writeln!(
            std::io::stderr(),
            "pages_render_in_headless_chromium: skipped: no chromium (apt-get install -y \
             chromium, and this test renders every page)"
        );
        return Ok(());
    };
    let pages = pages()?;
    for (name, _, text) in &pages.all {
        let checked = dir().join(format!("{name}.check.html"));
        std::fs::write(
            &checked,
            text.replacen("<head>", &format!("<head>{CHECKER}"), 1),
        )?;
        let dom = dir().join(format!("{name}.dom.html"));
        let url = format!("file://{}", checked.display());
        let flags = ["--dump-dom".into(), "--virtual-time-budget=5000".into()];
        let (took, stderr) = browse(&chromium, &url, &flags, &dom)?;
        let check = check_of(&std::fs::read_to_string(&dom)?)?;
        println!(
            "chromium: {name}.html rendered in {} ms (load event at {:.0} ms in the page)",
            took.as_millis(),
            check["load_ms"].as_f64().unwrap_or(-1.0)
        );
        let console: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Refused to"))
            .collect();
        ensure!(console.is_empty(), "{name}: {console:#?}");
        ensure!(check["errors"] == serde_json::json!([]), "{name}: {check}");
        ensure!(
            count(&check, "timelines") >= 1 && count(&check, "marks") > 0,
            "{name}: {check}"
        );
        let selected = check["selected"].as_str().unwrap_or("");
        ensure!(
            selected.contains("\"seq\":"),
            "{name}: a mark shows no trace line: {check}"
        );
        match *name {
            "explore" | "explore-tcp" => {
                let report = report(name)?;
                let findings = report["findings"].as_array().map_or(0, Vec::len) as u64;
                let notes = report["notes"].as_array().map_or(0, Vec::len) as u64;
                ensure!(
                    *name != "explore" || (findings, notes) == (2, 1),
                    "{report}"
                );
                ensure!(count(&check, "findings_rows") == findings, "{check}");
                ensure!(count(&check, "notes_rows") == notes, "{check}");
                ensure!(
                    count(&check, "finding_sections") == findings + notes,
                    "{check}"
                );
                ensure!(
                    count(&check, "findings_with_timeline") == findings + notes,
                    "{check}"
                );
                // Sorted twice by number: the last row first.
                let last = if findings > 0 { findings } else { notes };
                let first = check["first_cell_after_sort"].as_str();
                ensure!(first == Some(&*last.to_string()), "{check}");
            }
            "explore-suite" => {
                let report = report(name)?;
                let tests = report["tests"].as_array().cloned().unwrap_or_default();
                let of = |key: &str| -> u64 {
                    let len =
                        |t: &serde_json::Value| t["report"][key].as_array().map_or(0, Vec::len);
                    tests.iter().map(len).sum::<usize>() as u64
                };
                let (findings, notes) = (of("findings"), of("notes"));
                ensure!(findings > 0 && notes > 0, "{report}");
                ensure!(count(&check, "test_rows") == tests.len() as u64, "{check}");
                ensure!(count(&check, "findings_rows") == findings, "{check}");
                ensure!(count(&check, "notes_rows") == notes, "{check}");
                ensure!(
                    count(&check, "findings_with_timeline") == findings + notes,
                    "{check}"
                );
            }
            "suite" => {
                ensure!(count(&check, "test_rows") == 5, "{check}");
                // Every test that ran, the skipped one aside (one without socket calls
                // has an empty timeline).
                ensure!(count(&check, "tests_with_timeline") == 4, "{check}");
            }
            _ => {}
        }
    }
    screenshot(&chromium, text_of(pages, "explore-tcp"))
}

/// A finding's timeline as docs/trace-and-html.md shows it: the exploration's page with its first
/// finding open, moved up under the header, its timeline at its start (the injected
/// answer; the page itself opens a wide timeline on its evidence).
fn screenshot(chromium: &Path, explore: &str) -> Result<()> {
    let stage = r#"<script>(function () {
  var f = document.getElementById("f1");
  f.open = true;
  document.querySelector("main").prepend(f);
  window.addEventListener("load", function () { f.querySelector(".tls").scrollLeft = 0; });
})();</script>"#;
    let at = explore.rfind("<script>").context("no script")?;
    let staged = format!("{}{stage}{}", &explore[..at], &explore[at..]);
    let path = dir().join("screenshot.html");
    std::fs::write(&path, staged)?;
    let png = dir().join("report.png");
    let _ = std::fs::remove_file(&png);
    let flags = [
        format!("--screenshot={}", png.display()),
        "--window-size=1280,860".into(),
        "--hide-scrollbars".into(),
    ];
    let url = format!("file://{}", path.display());
    browse(chromium, &url, &flags, &dir().join("screenshot.out"))?;
    let bytes = std::fs::read(&png)?;
    ensure!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
        "{}",
        png.display()
    );
    println!("screenshot of a finding's timeline: {}", png.display());
    if std::env::var("WOULDBLOCK_UPDATE_SCREENSHOT").as_deref() == Ok("1") {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/report.png");
        std::fs::copy(&png, &docs)?;
        println!("copied to {}", docs.display());
    }
    Ok(())
}
