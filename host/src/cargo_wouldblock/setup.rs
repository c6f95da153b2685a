//! The servers a suite needs, from the config's `[[setup]]` commands: each started on a
//! free loopback port before the tests, its port handed to the guest in an environment
//! variable, and stopped (its whole process group) when the command ends, however it ends.

use super::config::Setup;
use anyhow::{Context, Result, bail};
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, killpg, sigaction};
use nix::unistd::Pid;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

/// How long a server gets to accept its first connection.
const READY_LIMIT: Duration = Duration::from_secs(30);
/// How long a stopped server gets to exit before it is killed.
const STOP_LIMIT: Duration = Duration::from_secs(5);

/// The servers started, stopped when dropped.
#[derive(Debug, Default)]
pub struct Servers {
    running: Vec<(String, Child)>,
    /// `--env NAME=PORT` for each server that has a port.
    pub env_args: Vec<String>,
}

/// Starts every setup in `root`, its output in `logs/setup-NAME.log`, and waits until each
/// accepts connections on its port.
pub fn start(setups: &[Setup], root: &Path, logs: &Path) -> Result<Servers> {
    let mut servers = Servers::default();
    for setup in setups {
        let port = free_port()?;
        let words: Vec<String> = (setup.command.iter())
            .map(|w| w.replace("{port}", &port.to_string()))
            .collect();
        let log_path = logs.join(format!("setup-{}.log", setup.name));
        let log = std::fs::File::create(&log_path).with_context(|| {
            format!(
                "setup {:?}: cannot write {}",
                setup.name,
                log_path.display()
            )
        })?;
        let child = Command::new(&words[0])
            .args(&words[1..])
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            // Its own process group: stopping it stops what it started too.
            .process_group(0)
            .spawn()
            .with_context(|| format!("setup {:?}: cannot run {:?}", setup.name, words[0]))?;
        servers.running.push((setup.name.clone(), child));
        if let Some(var) = &setup.port_env {
            let (_, child) = servers.running.last_mut().expect("just pushed");
            ready(&setup.name, child, port, &log_path)?;
            servers
                .env_args
                .extend(["--env".into(), format!("{var}={port}")]);
        }
        println!(
            "   Setup {} ready{}",
            setup.name,
            match &setup.port_env {
                Some(var) => format!(" on 127.0.0.1:{port} ({var})"),
                None => String::new(),
            }
        );
    }
    Ok(servers)
}

/// A port nobody listens on now.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("no free loopback port")?;
    Ok(listener.local_addr()?.port())
}

/// Waits until 127.0.0.1:`port` accepts, the server exits, or [`READY_LIMIT`] passes.
fn ready(name: &str, child: &mut Child, port: u16, log: &Path) -> Result<()> {
    let start = Instant::now();
    loop {
        if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            bail!(
                "setup {name:?} exited ({status}) before it listened on 127.0.0.1:{port}; its output: {}",
                log.display()
            );
        }
        if start.elapsed() > READY_LIMIT {
            bail!(
                "setup {name:?} did not listen on 127.0.0.1:{port} within {READY_LIMIT:?}; its output: {}",
                log.display()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        for (_, child) in &mut self.running {
            let group = Pid::from_raw(child.id() as i32);
            let _ = killpg(group, Signal::SIGTERM);
        }
        let start = Instant::now();
        for (name, child) in &mut self.running {
            while matches!(child.try_wait(), Ok(None)) && start.elapsed() < STOP_LIMIT {
                std::thread::sleep(Duration::from_millis(20));
            }
            if matches!(child.try_wait(), Ok(None)) {
                eprintln!("cargo-wouldblock: setup {name:?} ignored SIGTERM; killed");
                let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
                let _ = child.wait();
            }
        }
    }
}

/// The `wouldblock` process running now, for a SIGTERM to reach it.
static CHILD: AtomicI32 = AtomicI32::new(0);

extern "C" fn pass_on(signal: nix::libc::c_int) {
    // A terminal's SIGINT reaches the whole process group, `wouldblock` too; a SIGTERM
    // sent to this process alone is passed on. Then `wouldblock` writes what ended and
    // exits, and this process writes the summary and stops the servers. kill(2) is
    // async-signal-safe.
    let child = CHILD.load(Ordering::SeqCst);
    if signal == nix::libc::SIGTERM && child > 0 {
        // SAFETY: kill(2) with a plain pid and signal number.
        unsafe {
            nix::libc::kill(child, signal);
        }
    }
}

/// Keeps this process alive through SIGINT and SIGTERM, so that what it started (the
/// servers, the summary) is stopped and written whatever ends the tests. The handler is
/// reset in the programs it runs, which keep their own.
pub fn outlive_signals() {
    let action = SigAction::new(
        SigHandler::Handler(pass_on),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for signal in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only reads an atomic and calls kill(2).
        let _ = unsafe { sigaction(signal, &action) };
    }
}

/// Runs `cmd` to its end, reachable by a SIGTERM sent to this process meanwhile.
pub fn run_child(cmd: &mut Command) -> std::io::Result<std::process::ExitStatus> {
    let mut child = cmd.spawn()?;
    CHILD.store(child.id() as i32, Ordering::SeqCst);
    let status = child.wait();
    CHILD.store(0, Ordering::SeqCst);
    status
}
