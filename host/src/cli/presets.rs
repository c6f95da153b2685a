//! `wouldblock presets`: every fault preset, one a line, with what it reproduces.

use anyhow::Result;
use wouldblock::plan::{PRESETS, Preset};

/// `wouldblock presets`.
pub fn presets() -> Result<i32> {
    for preset in PRESETS {
        println!("{:<22} {}", preset.name, describe(preset));
    }
    Ok(0)
}

/// The line `wouldblock presets` prints: the summary and the keys with defaults.
fn describe(preset: &Preset) -> String {
    let keys: Vec<String> = preset
        .keys
        .iter()
        .map(|k| format!("{} ({})", k.name, k.default))
        .collect();
    format!("{}. Keys: {}", preset.summary, keys.join(", "))
}
