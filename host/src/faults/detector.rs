//! The busy-loop detector and the back-off clock of the plan: socket calls without
//! progress are counted, and only a timer wake-up (the guest backed off) or moving data
//! resets the count.

/// Progress and back-off of one run.
pub(crate) struct Detector {
    threshold: u64,
    no_progress: u64,
    /// Times the guest was woken by a clock: it backed off. The only way time passes in a
    /// plan.
    timer_wakes: u64,
    /// The last injected error the guest has not yet recovered from (no data moved since).
    pending_error: Option<String>,
}

impl Detector {
    pub(crate) fn new(threshold: u64) -> Self {
        Self {
            threshold,
            no_progress: 0,
            timer_wakes: 0,
            pending_error: None,
        }
    }

    /// Data moved: the guest is not spinning and has recovered from any error.
    pub(crate) fn progress(&mut self) {
        self.no_progress = 0;
        self.pending_error = None;
    }

    /// The guest was woken by a clock: it backed off, time passed, it is not spinning.
    pub(crate) fn timer_wake(&mut self) {
        self.timer_wakes += 1;
        self.no_progress = 0;
    }

    /// Timer wake-ups so far.
    pub(crate) fn timer_wakes(&self) -> u64 {
        self.timer_wakes
    }

    /// A call that moved nothing; `Err` with the count once the guest is spinning.
    pub(crate) fn no_progress(&mut self) -> Result<(), u64> {
        self.no_progress += 1;
        if self.no_progress > self.threshold {
            return Err(self.no_progress);
        }
        Ok(())
    }

    /// How many calls in a row without progress make a busy loop.
    pub(crate) fn threshold(&self) -> u64 {
        self.threshold
    }

    /// An injected error was answered; remembered until data moves again.
    pub(crate) fn error_injected(&mut self, what: String) {
        self.pending_error = Some(what);
    }

    /// The injected error the guest never recovered from, if any.
    pub(crate) fn pending_error(&self) -> Option<&str> {
        self.pending_error.as_deref()
    }
}
