//! `wouldblock presets`: every fault preset, one a line, with what it reproduces.

use anyhow::Result;
use wouldblock::plan::PRESETS;

/// `wouldblock presets`.
pub fn presets() -> Result<i32> {
    for preset in PRESETS {
        println!("{:<22} {}", preset.name, preset.describe());
    }
    Ok(0)
}
