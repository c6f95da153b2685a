//! Nothing is half added: every preset is in the README's catalogue table with its
//! references, and the README's table names every preset it has. (That every preset is in
//! the demo's catalogue is a test of the binary: host/src/catalogue.rs.)

use anyhow::{Result, ensure};
use wouldblock::plan::PRESETS;

const README: &str = include_str!("../../../README.md");

/// The README's catalogue rows, by preset name: the lines of the table under "The fault
/// catalogue" that start with `` | `name` ``.
fn readme_rows() -> Vec<(&'static str, &'static str)> {
    let catalogue = README
        .split_once("## The fault catalogue")
        .map_or("", |(_, rest)| rest);
    let table = catalogue
        .split("\n\n")
        .find(|block| block.starts_with('|'))
        .unwrap_or("");
    table
        .lines()
        .filter_map(|line| {
            let name = line.strip_prefix("| `")?.split('`').next()?;
            Some((name, line))
        })
        .collect()
}

#[test]
fn every_preset_is_in_the_readme_catalogue_with_its_references() -> Result<()> {
    let rows = readme_rows();
    ensure!(!rows.is_empty(), "README.md has no catalogue table");
    for preset in PRESETS {
        let row = rows
            .iter()
            .find(|(name, _)| *name == preset.name)
            .map(|(_, row)| *row);
        let Some(row) = row else {
            anyhow::bail!("preset {} has no row in README.md's catalogue", preset.name);
        };
        for reference in preset.references {
            ensure!(
                row.contains(reference),
                "README.md's row for {} does not cite {reference}",
                preset.name
            );
        }
    }
    for (name, _) in rows {
        ensure!(
            PRESETS.iter().any(|p| p.name == name),
            "README.md's catalogue has a row for `{name}`, which is not a preset"
        );
    }
    Ok(())
}
