//! Send permits: what the last `check-send` (or `check-write`) allowed, checked before
//! anything is injected so a guest that exceeds it traps as it would on the real host.

use crate::resources::Unit;
use std::collections::BTreeMap;

/// Permits per resource serial.
#[derive(Default)]
pub(crate) struct Permits {
    granted: BTreeMap<u64, u64>,
}

impl Permits {
    /// Records the permit a check answered.
    pub(crate) fn grant(&mut self, serial: u64, permit: u64) {
        self.granted.insert(serial, permit);
    }

    /// Spends `amount` of the permit; `Err` carries what was permitted when it was not
    /// enough.
    pub(crate) fn spend(&mut self, serial: u64, amount: u64, unit: Unit) -> Result<(), u64> {
        let permit = match unit {
            // WIT: "Each call to `send` must be permitted by a preceding `check-send`."
            Unit::Datagrams => self.granted.remove(&serial).unwrap_or(0),
            Unit::Bytes => self.granted.get(&serial).copied().unwrap_or(0),
        };
        if amount > permit {
            return Err(permit);
        }
        if unit == Unit::Bytes {
            self.granted.insert(serial, permit - amount);
        }
        Ok(())
    }

    /// Forgets a dropped resource.
    pub(crate) fn forget(&mut self, serial: u64) {
        self.granted.remove(&serial);
    }
}
