//! The code's shape, checked: no import circles between the library's files, no file
//! importing what `lib.rs` re-exports (a back-arrow through the crate root), and no file
//! of `host/src` over 500 lines. Imports are read from the `use` lines of each file.

use anyhow::{Context, Result, bail};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
const GUEST_SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../guest/src");
/// The longest a file of `host/src` may be.
const MAX_LINES: usize = 500;

/// Every `.rs` file under `dir`, relative to it, in order.
fn files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path.strip_prefix(dir)?.to_path_buf());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The module path of a file: `wasi/mod.rs` is `wasi`, `wasi/udp.rs` is `wasi::udp`.
fn module_of(file: &Path, roots: &[&str]) -> Vec<String> {
    let mut parts: Vec<String> = file
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || roots.contains(&p.as_str()))
    {
        parts.pop();
    }
    parts
}

/// `a::{b, c::{d, e}}` as `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.to_string()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let (mut depth, mut start, mut parts) = (0, 0, Vec::new());
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(|p| expand(p).into_iter().map(move |e| format!("{prefix}{e}")))
        .collect()
}

/// The `use` paths of a file's text.
fn uses(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("use ") {
        let before = &rest[..at];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let lead = before[line_start..].trim();
        let statement = lead.is_empty() || lead.starts_with("pub");
        rest = &rest[at + 4..];
        if !statement {
            continue;
        }
        let Some(end) = rest.find(';') else { break };
        out.extend(expand(&rest[..end].replace(char::is_whitespace, "")));
        rest = &rest[end..];
    }
    out
}

/// The file a module path names: the deepest existing module along it.
fn resolve(modules: &BTreeMap<Vec<String>, PathBuf>, path: &[String]) -> Option<PathBuf> {
    (0..=path.len())
        .rev()
        .find_map(|n| modules.get(&path[..n]).cloned())
}

/// Import edges between the files under `dir` (`crate::`, `super::`, `self::` paths).
fn edges(dir: &Path, roots: &[&str]) -> Result<BTreeMap<PathBuf, BTreeSet<PathBuf>>> {
    let files = files(dir)?;
    let modules: BTreeMap<Vec<String>, PathBuf> = files
        .iter()
        .map(|f| (module_of(f, roots), f.clone()))
        .collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(dir.join(file))?;
        let here = module_of(file, roots);
        let mut to = BTreeSet::new();
        for path in uses(&text) {
            let mut segments: Vec<&str> = path.split("::").collect();
            let mut base: Vec<String> = match segments.first() {
                Some(&"crate") => Vec::new(),
                Some(&"super") | Some(&"self") => here.clone(),
                _ => continue,
            };
            if segments[0] == "crate" {
                segments.remove(0);
            }
            for segment in segments {
                match segment {
                    "super" => {
                        base.pop();
                    }
                    "self" => {}
                    s => base.push(s.split(" as ").next().unwrap_or(s).to_string()),
                }
            }
            if let Some(target) = resolve(&modules, &base)
                && target != *file
            {
                to.insert(target);
            }
        }
        graph.insert(file.clone(), to);
    }
    Ok(graph)
}

/// The import circles: strongly connected sets of more than one file (Tarjan).
fn circles(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct Tarjan<'a> {
        graph: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        out: Vec<Vec<PathBuf>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a PathBuf) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.graph.get(v).into_iter().flatten() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut set = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    set.push(w.clone());
                    if w == v {
                        break;
                    }
                }
                if set.len() > 1 {
                    set.sort();
                    self.out.push(set);
                }
            }
        }
    }
    let mut t = Tarjan {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.out
}

fn check_circles(dir: &str, roots: &[&str]) -> Result<()> {
    let graph = edges(Path::new(dir), roots)?;
    let found = circles(&graph);
    if !found.is_empty() {
        bail!("import circles under {dir}: {found:#?}");
    }
    Ok(())
}

#[test]
fn the_library_has_no_import_circles_and_no_back_arrows() -> Result<()> {
    check_circles(SRC, &["lib", "main"])?;
    let graph = edges(Path::new(SRC), &["lib", "main"])?;
    let back: Vec<&PathBuf> = graph
        .iter()
        .filter(|(file, to)| {
            file.as_os_str() != "lib.rs"
                && file.as_os_str() != "main.rs"
                && to.contains(Path::new("lib.rs"))
        })
        .map(|(file, _)| file)
        .collect();
    if !back.is_empty() {
        bail!("files importing through lib.rs's re-exports (use the defining module): {back:?}");
    }
    Ok(())
}

#[test]
fn the_guest_library_has_no_import_circles() -> Result<()> {
    check_circles(GUEST_SRC, &["lib"])
}

#[test]
fn no_file_of_the_host_is_over_500_lines() -> Result<()> {
    for file in files(Path::new(SRC))? {
        let lines = std::fs::read_to_string(Path::new(SRC).join(&file))?
            .lines()
            .count();
        if lines > MAX_LINES {
            bail!(
                "host/src/{} has {lines} lines (at most {MAX_LINES})",
                file.display()
            );
        }
    }
    Ok(())
}
