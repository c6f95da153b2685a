//! The package's tests built for `wasm32-wasip2`: the target added where it is missing,
//! then `cargo test --no-run`, its test binaries read from cargo's JSON messages.

use super::split::Split;
use anyhow::{Context, Result, bail};
use cargo_metadata::Message;
use std::io::BufReader;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The target every test binary is built for.
const TARGET: &str = "wasm32-wasip2";

/// One test binary of the package.
#[derive(Debug)]
pub struct TestBinary {
    /// What its reports are called: the test target's name (`tests/basic.rs` is `basic`),
    /// or `NAME-lib` / `NAME-bin` for a crate's own unit tests.
    pub name: String,
    /// The `.wasm` file.
    pub executable: PathBuf,
}

/// What the build gave.
pub struct Built {
    /// cargo's target folder.
    pub target_dir: PathBuf,
    /// The test binaries, by name.
    pub binaries: Vec<TestBinary>,
}

/// The workspace's root folder (where `.config/wouldblock.toml` is), as cargo finds it
/// from here or from `--manifest-path`.
pub fn workspace_root(split: &Split) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command.args(["locate-project", "--workspace", "--message-format", "plain"]);
    if let Some(at) = split.cargo.iter().position(|w| w == "--manifest-path") {
        command.args(&split.cargo[at..at + 2]);
    }
    let found = command
        .output()
        .context("cannot run cargo locate-project")?;
    if !found.status.success() {
        bail!(
            "cargo found no package here: {}",
            String::from_utf8_lossy(&found.stderr).trim()
        );
    }
    let manifest = PathBuf::from(String::from_utf8_lossy(&found.stdout).trim());
    Ok(manifest.parent().map(PathBuf::from).unwrap_or_default())
}

/// Adds the target with rustup where the toolchain lacks it (as the bundled guests'
/// build script does).
pub fn ensure_target() -> Result<()> {
    let libdir = Command::new("rustc")
        .args(["--print", "target-libdir", "--target", TARGET])
        .output()
        .context("cannot run rustc")?;
    let libdir = PathBuf::from(String::from_utf8_lossy(&libdir.stdout).trim());
    if libdir.is_dir() {
        return Ok(());
    }
    eprintln!("cargo-wouldblock: adding the {TARGET} target (rustup target add {TARGET})");
    let added = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status()
        .context("cannot run rustup to add the wasm32-wasip2 target")?;
    if !added.success() {
        bail!("rustup target add {TARGET} failed ({added})");
    }
    Ok(())
}

/// `cargo test --no-run --target wasm32-wasip2` with the user's cargo options; cargo's
/// diagnostics reach the terminal as usual.
pub fn test_binaries(split: &Split) -> Result<Built> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .args(["test", "--no-run", "--target", TARGET])
        .arg("--message-format=json-render-diagnostics")
        .args(&split.cargo)
        .stdout(Stdio::piped());
    if split.tokio_unstable {
        // Only for the wasm target: the host's build scripts and macros stay as they are.
        let var = "CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS";
        let mut flags = std::env::var(var).unwrap_or_default();
        flags.push_str(" --cfg tokio_unstable");
        command.env(var, flags.trim_start());
    }
    let mut child = command.spawn().context("cannot run cargo")?;
    let stdout = child.stdout.take().context("cargo's output")?;
    let mut binaries = Vec::new();
    let mut target_dir = None;
    for message in Message::parse_stream(BufReader::new(stdout)) {
        let Message::CompilerArtifact(artifact) = message.context("reading cargo's messages")?
        else {
            continue;
        };
        let Some(executable) = artifact.executable.filter(|_| artifact.profile.test) else {
            continue;
        };
        let executable = executable.into_std_path_buf();
        // TARGET_DIR/wasm32-wasip2/PROFILE/deps/NAME-HASH.wasm
        target_dir = target_dir.or_else(|| executable.ancestors().nth(4).map(PathBuf::from));
        let target = &artifact.target;
        let kind = target
            .kind
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        let name = match kind.as_str() {
            "test" => target.name.clone(),
            "lib" | "cdylib" | "rlib" | "staticlib" => format!("{}-lib", target.name),
            other => format!("{}-{other}", target.name),
        };
        binaries.push(TestBinary { name, executable });
    }
    let status = child.wait().context("waiting for cargo")?;
    if !status.success() {
        bail!("cargo test --no-run --target {TARGET} failed ({status})");
    }
    binaries.sort_by(|a, b| a.name.cmp(&b.name));
    binaries.dedup_by(|a, b| a.executable == b.executable);
    let target_dir = target_dir.unwrap_or_else(|| PathBuf::from("target"));
    Ok(Built {
        target_dir,
        binaries,
    })
}
