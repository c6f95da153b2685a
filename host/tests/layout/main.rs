//! The code's shape, checked: no import circles between the library's files, nor between
//! its folders at any level (a sub-folder taken as one); no file importing what `lib.rs`
//! re-exports (a back-arrow through the crate root); and no file of `host/src` over 500
//! lines. A file's imports are the `crate::`, `super::` and `self::` paths of its code, in
//! `use` items and inline ([`code`]).

mod code;

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

/// The module path of a file: `wasi/mod.rs` is `wasi`, `wasi/udp.rs` is `wasi::udp`, a
/// crate root is the empty path.
fn module_of(file: &Path) -> Vec<String> {
    let mut parts: Vec<String> = file
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || (parts.len() == 1 && (p == "lib" || p == "main")))
    {
        parts.pop();
    }
    parts
}

/// The files under one `src` folder, and which crate each is in: `main.rs` and the modules
/// it declares make the binary, the rest is `lib.rs`'s.
struct Source {
    files: Vec<PathBuf>,
    /// Every module but the crate roots, by path.
    modules: BTreeMap<Vec<String>, PathBuf>,
    /// The top-level modules of `main.rs`.
    binary: BTreeSet<String>,
}

impl Source {
    fn read(dir: &Path) -> Result<Self> {
        let files = files(dir)?;
        let modules = files
            .iter()
            .map(|f| (module_of(f), f.clone()))
            .filter(|(m, _)| !m.is_empty())
            .collect();
        let mut binary = BTreeSet::new();
        if let Ok(main) = std::fs::read_to_string(dir.join("main.rs")) {
            for line in main.lines() {
                let line = line.trim().trim_start_matches("pub ");
                if let Some(name) = line.strip_prefix("mod ").and_then(|l| l.strip_suffix(';')) {
                    binary.insert(name.trim().to_string());
                }
            }
        }
        Ok(Self {
            files,
            modules,
            binary,
        })
    }

    /// The root of the crate `file` is in.
    fn root_of(&self, file: &Path) -> PathBuf {
        let top = module_of(file).into_iter().next();
        let in_binary =
            file == Path::new("main.rs") || top.is_some_and(|t| self.binary.contains(&t));
        PathBuf::from(if in_binary { "main.rs" } else { "lib.rs" })
    }

    /// The file a path named in `file` is defined in: the deepest existing module along it,
    /// or the crate root. Paths outside the crate are `None`.
    fn resolve(&self, file: &Path, named: &code::Named) -> Option<PathBuf> {
        let mut base = match named.segments.first().map(String::as_str) {
            Some("crate") => Vec::new(),
            Some("super" | "self") => {
                let mut here = module_of(file);
                here.extend(named.inline.iter().cloned());
                here
            }
            _ => return None,
        };
        for segment in &named.segments {
            match segment.as_str() {
                "super" => {
                    base.pop();
                }
                "crate" | "self" => {}
                s => base.push(s.to_string()),
            }
        }
        let deepest = (1..=base.len())
            .rev()
            .find_map(|n| self.modules.get(&base[..n]).cloned());
        Some(deepest.unwrap_or_else(|| self.root_of(file)))
    }
}

/// Import edges between the files under `dir`.
fn edges(dir: &Path) -> Result<BTreeMap<PathBuf, BTreeSet<PathBuf>>> {
    let source = Source::read(dir)?;
    let mut graph = BTreeMap::new();
    for file in &source.files {
        let text = std::fs::read_to_string(dir.join(file))?;
        let to: BTreeSet<PathBuf> = code::paths(&code::code_of(&text))
            .iter()
            .filter_map(|named| source.resolve(file, named))
            .filter(|target| target != file)
            .collect();
        graph.insert(file.clone(), to);
    }
    Ok(graph)
}

/// The strongly connected sets of more than one node (Tarjan): the circles.
fn circles<T: Ord + Clone>(graph: &BTreeMap<T, BTreeSet<T>>) -> Vec<Vec<T>> {
    struct Tarjan<'a, T> {
        graph: &'a BTreeMap<T, BTreeSet<T>>,
        index: BTreeMap<&'a T, usize>,
        low: BTreeMap<&'a T, usize>,
        stack: Vec<&'a T>,
        on_stack: BTreeSet<&'a T>,
        out: Vec<Vec<T>>,
    }
    impl<'a, T: Ord + Clone> Tarjan<'a, T> {
        fn visit(&mut self, v: &'a T) {
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

/// A file's place among the folders: its path's parts, `x.rs` beside a folder `x/` taken
/// as `x/mod.rs` (the module is the folder).
fn place(file: &Path, folders: &BTreeSet<PathBuf>) -> Vec<String> {
    let mut parts: Vec<String> = file
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if folders.contains(&file.with_extension("")) {
        parts.push("mod".to_string());
    }
    parts
}

/// An import graph between entries (files, or folders taken whole), each edge with the
/// first import between two files that makes it.
type Lifted = BTreeMap<String, BTreeMap<String, (PathBuf, PathBuf)>>;

/// The import graph seen from each folder: an import between two files becomes an edge
/// between the two entries of their nearest common folder that hold them, a file (named
/// `a/b.rs`) or a sub-folder (named `a/c/`). An edge between two files of one folder stays.
fn folder_graph(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Lifted {
    let folders: BTreeSet<PathBuf> = graph
        .iter()
        .flat_map(|(from, to)| std::iter::once(from).chain(to))
        .flat_map(|f| f.ancestors().skip(1).map(Path::to_path_buf))
        .collect();
    let entry = |file: &Path, place: &[String], depth: usize| {
        if depth + 1 == place.len() {
            file.display().to_string()
        } else {
            format!("{}/", place[..=depth].join("/"))
        }
    };
    let mut lifted = Lifted::new();
    for (from, to) in graph {
        let a = place(from, &folders);
        for target in to {
            let b = place(target, &folders);
            let common = a[..a.len() - 1]
                .iter()
                .zip(&b[..b.len() - 1])
                .take_while(|(x, y)| x == y)
                .count();
            let (x, y) = (entry(from, &a, common), entry(target, &b, common));
            if x != y {
                let edges = lifted.entry(x).or_default();
                edges.entry(y).or_insert((from.clone(), target.clone()));
            }
        }
    }
    lifted
}

/// The circles of a lifted graph, each as its entries.
fn lifted_circles(lifted: &Lifted) -> Vec<Vec<String>> {
    let graph: BTreeMap<String, BTreeSet<String>> = lifted
        .iter()
        .map(|(from, to)| (from.clone(), to.keys().cloned().collect()))
        .collect();
    circles(&graph)
}

/// A circle as people fix it: its entries, then an import behind each of its edges.
fn explain(lifted: &Lifted, circle: &[String]) -> String {
    let mut text = circle.join(" <-> ");
    for from in circle {
        for (to, (a, b)) in &lifted[from] {
            if circle.contains(to) {
                text += &format!(
                    "\n    {from} -> {to}: {} imports {}",
                    a.display(),
                    b.display()
                );
            }
        }
    }
    text
}

/// Every circle under `dir`, between files and between folders at any level, each
/// explained ([`explain`]).
fn circles_under(dir: &str) -> Result<Vec<String>> {
    let graph = edges(Path::new(dir))?;
    let lifted = folder_graph(&graph);
    // Lifting keeps the edges between two files of one folder: a circle between files is
    // a circle of `lifted` too, within one folder.
    Ok(lifted_circles(&lifted)
        .into_iter()
        .map(|set| explain(&lifted, &set))
        .collect())
}

/// The files of `dir` other than the crate roots that import from `lib.rs`.
fn back_arrows(dir: &str) -> Result<Vec<PathBuf>> {
    let graph = edges(Path::new(dir))?;
    let roots = [Path::new("lib.rs"), Path::new("main.rs")];
    Ok(graph
        .into_iter()
        .filter(|(file, to)| !roots.contains(&file.as_path()) && to.contains(roots[0]))
        .map(|(file, _)| file)
        .collect())
}

#[test]
fn the_library_has_no_import_circles_and_no_back_arrows() -> Result<()> {
    let found = circles_under(SRC)?;
    let back = back_arrows(SRC)?;
    if !found.is_empty() || !back.is_empty() {
        bail!(
            "{} import circle(s) under host/src:\n  {}\n{} file(s) importing through lib.rs's \
             re-exports (use the defining module): {back:#?}",
            found.len(),
            found.join("\n  "),
            back.len()
        );
    }
    Ok(())
}

#[test]
fn the_guest_library_has_no_import_circles() -> Result<()> {
    let found = circles_under(GUEST_SRC)?;
    if !found.is_empty() {
        bail!(
            "{} import circle(s) under guest/src: {found:#?}",
            found.len()
        );
    }
    Ok(())
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

#[test]
fn two_folders_importing_each_other_make_a_circle_though_no_two_files_do() {
    let graph: BTreeMap<PathBuf, BTreeSet<PathBuf>> = [
        ("a/x.rs", "b/y.rs"),
        ("b/z.rs", "a/w.rs"),
        // Beside its folder, `c.rs` is the folder's module: `c/` is one with it.
        ("c.rs", "a/w.rs"),
        ("a/w.rs", "c/d.rs"),
    ]
    .into_iter()
    .map(|(from, to)| (PathBuf::from(from), BTreeSet::from([PathBuf::from(to)])))
    .collect();
    assert!(circles(&graph).is_empty());
    assert_eq!(
        lifted_circles(&folder_graph(&graph)),
        [["a/", "b/", "c/"].map(String::from)]
    );
}

#[test]
fn a_sub_folder_may_import_its_parent_folder_s_files() {
    let graph: BTreeMap<PathBuf, BTreeSet<PathBuf>> =
        [("a/mod.rs", "a/b/x.rs"), ("a/b/x.rs", "a/types.rs")]
            .into_iter()
            .map(|(from, to)| (PathBuf::from(from), BTreeSet::from([PathBuf::from(to)])))
            .collect();
    assert!(lifted_circles(&folder_graph(&graph)).is_empty());
}
