//! The guest's memory bound: wasmtime's `StoreLimits`, remembering a refused growth so a
//! guest that aborts on it is told which flag bounded it.

use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};

/// The limits of one store.
pub(crate) struct Limits {
    inner: StoreLimits,
    max_memory: usize,
    /// A `memory.grow` was refused: the size it asked for.
    refused: Option<usize>,
}

impl Limits {
    pub(crate) fn new(max_memory: usize) -> Self {
        Self {
            // WebAssembly's `memory.grow` answers -1 when it cannot grow; trapping instead
            // would make `try_reserve` useless to a guest that handles it.
            inner: StoreLimitsBuilder::new()
                .memory_size(max_memory)
                .trap_on_grow_failure(false)
                .build(),
            max_memory,
            refused: None,
        }
    }

    /// Why a trap may have happened: a growth the bound refused before it.
    pub(crate) fn note(&self) -> Option<String> {
        let asked = self.refused?;
        Some(format!(
            "a memory.grow to {} MiB was refused before this: the guest's memory is bounded \
             by --max-memory ({} MiB)",
            asked >> 20,
            self.max_memory >> 20
        ))
    }
}

impl ResourceLimiter for Limits {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.inner.memory_growing(current, desired, maximum)?;
        if !allowed {
            self.refused = Some(desired);
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}
