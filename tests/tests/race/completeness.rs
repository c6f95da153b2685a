//! Nothing is half added: every preset is in the guide's catalogue table
//! (docs/fault-catalogue.md) with its references, and that table names every preset it
//! has; every operation is in the plan keys table (docs/plans-and-presets.md). (That every preset is in
//! the demo's catalogue is a test of the binary: host/src/catalogue.rs.)

use anyhow::{Result, ensure};
use wouldblock::plan::PRESETS;

const CATALOGUE: &str = include_str!("../../../docs/fault-catalogue.md");
const PLANS: &str = include_str!("../../../docs/plans-and-presets.md");

/// The README's catalogue rows, by preset name: the lines of the table under "The fault
/// catalogue" that start with `` | `name` ``.
fn readme_rows() -> Vec<(&'static str, &'static str)> {
    let catalogue = CATALOGUE
        .split_once("# The fault catalogue")
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
    ensure!(
        !rows.is_empty(),
        "docs/fault-catalogue.md has no catalogue table"
    );
    for preset in PRESETS {
        let row = rows
            .iter()
            .find(|(name, _)| *name == preset.name)
            .map(|(_, row)| *row);
        let Some(row) = row else {
            anyhow::bail!(
                "preset {} has no row in docs/fault-catalogue.md",
                preset.name
            );
        };
        for reference in preset.references {
            ensure!(
                row.contains(reference),
                "docs/fault-catalogue.md's row for {} does not cite {reference}",
                preset.name
            );
        }
    }
    for (name, _) in rows {
        ensure!(
            PRESETS.iter().any(|p| p.name == name),
            "docs/fault-catalogue.md has a row for `{name}`, which is not a preset"
        );
    }
    Ok(())
}

/// The operation names (`interface.function`) in the README's `op` row of the plan keys
/// table; the WIT function names it gives in parentheses have no dot.
fn readme_ops() -> Vec<&'static str> {
    let row = PLANS
        .lines()
        .find(|line| line.starts_with("| `op` |"))
        .unwrap_or("");
    let cell = row.split(" | ").nth(1).unwrap_or("");
    let quoted = cell.split('`').skip(1).step_by(2);
    quoted.filter(|name| name.contains('.')).collect()
}

#[test]
fn every_operation_of_the_interface_tables_is_in_the_readme_and_no_other() -> Result<()> {
    let listed = readme_ops();
    ensure!(
        !listed.is_empty(),
        "docs/plans-and-presets.md has no `op` row in its plan keys table"
    );
    for op in wouldblock::Op::ALL {
        ensure!(
            listed.contains(&op.name()),
            "operation {} (its interface's table) is missing from docs/plans-and-presets.md's `op` row",
            op.name()
        );
    }
    for name in listed {
        ensure!(
            wouldblock::Op::from_name(name).is_some(),
            "docs/plans-and-presets.md's `op` row names `{name}`, which no interface table has"
        );
    }
    Ok(())
}
