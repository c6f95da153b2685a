//! The variants of a harness that one compiled setup serves: the same engine and linker
//! with another plan, peer, client or output, as the repeat, explore and suite runs need.

use super::Harness;
use crate::peer::{PeerOptions, TcpClientOptions};
use crate::plan::Plan;
use crate::settings::{Output, Settings};

impl Harness {
    /// The same harness (same engine, so guests compiled once run on both) with another plan.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::{Builder, Plan};
    /// let harness = Builder::new().build()?;
    /// let guest = harness.compile("udp-send", wouldblock_guests::UDP_SEND.wasm)?;
    /// let faulty = harness.with_plan(Plan::new().with_spec("first-send")?);
    /// let outcome = faulty.run(&guest, &["127.0.0.1:9"])?;
    /// assert!(outcome.passed(), "{}", outcome.summary());
    /// # Ok(()) }
    /// ```
    pub fn with_plan(&self, plan: Plan) -> Harness {
        Harness {
            engine: self.engine.clone(),
            linker: self.linker.clone(),
            settings: Settings {
                plan,
                ..self.settings.clone()
            },
        }
    }

    /// The same harness with a harness-owned UDP peer for every run (see [`PeerOptions`]).
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::{Builder, PeerOptions};
    /// let harness = Builder::new().build()?;
    /// let guest = harness.compile("udp-request", wouldblock_guests::UDP_REQUEST.wasm)?;
    /// // The request guest waits for its replies: the peer echoes them.
    /// let echoing = harness.with_peer(PeerOptions::echo());
    /// let outcome = echoing.run(&guest, &["{peer}", "--count", "4"])?;
    /// assert!(outcome.passed(), "{}", outcome.stderr_text());
    /// # Ok(()) }
    /// ```
    pub fn with_peer(&self, peer: PeerOptions) -> Harness {
        let mut harness = self.clone();
        harness.settings.peer = Some(peer);
        harness
    }

    /// The same harness with the harness's TCP client driving a guest server (see
    /// [`TcpClientOptions`]).
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::{Builder, TcpClientOptions};
    /// let harness = Builder::new().fault("tcp-slow-peer")?.build()?;
    /// let guest = harness.compile("tcp-echo-server", wouldblock_guests::TCP_ECHO_SERVER.wasm)?;
    /// let driven = harness.with_tcp_client(TcpClientOptions::new(vec![1, 1024]));
    /// let outcome = driven.run(&guest, &["127.0.0.1:0"])?;
    /// assert!(outcome.tcp.is_some_and(|report| report.complete()));
    /// # Ok(()) }
    /// ```
    pub fn with_tcp_client(&self, client: TcpClientOptions) -> Harness {
        let mut harness = self.clone();
        harness.settings.tcp_client = Some(client);
        harness
    }

    /// The same harness serving the guest's `wasi:http/incoming-handler` with one request
    /// of each size (see [`Builder::http_client`](crate::Builder::http_client)).
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = wouldblock::Builder::new().fault("http-slow-body")?.build()?;
    /// let guest = harness.compile("http-echo-server", wouldblock_guests::HTTP_ECHO_SERVER.wasm)?;
    /// let outcome = harness.with_http_client(vec![1, 4096]).run(&guest, &[] as &[&str])?;
    /// assert!(outcome.passed(), "{}", outcome.summary());
    /// # Ok(()) }
    /// ```
    pub fn with_http_client(&self, sizes: Vec<usize>) -> Harness {
        let mut harness = self.clone();
        harness.settings.http_client = Some(sizes);
        harness
    }

    /// The same harness with guest output going elsewhere (see [`Output`]).
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::{Builder, Output};
    /// let harness = Builder::new().output(Output::Inherit).env("GREETING", "hi").build()?;
    /// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
    /// let outcome = harness.with_output(Output::Capture).run(&guest, &["env"])?;
    /// assert_eq!(outcome.stdout_text(), "GREETING=hi\n");
    /// # Ok(()) }
    /// ```
    pub fn with_output(&self, output: Output) -> Harness {
        let mut harness = self.clone();
        harness.settings.output = output;
        harness
    }

    /// The same harness capturing up to `limit` bytes of each of stdout and stderr.
    pub(crate) fn with_capture_limit(&self, limit: usize) -> Harness {
        let mut harness = self.clone();
        harness.settings.capture_limit = limit;
        harness
    }
}
