//! The library's public API, counted from its source: every item a user of the crate can
//! name (the `pub` items of the public modules, what `pub use` re-exports, and the `pub`
//! methods and constants of the public types' inherent impls) and whether its doc comment
//! has an example. Run with `--nocapture` to see the counts and the list. rustdoc's JSON
//! output would say the same, but it needs a nightly toolchain.

mod text;

use anyhow::{Context, Result, bail};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use text::{brace_delta, expand, ident, inherent_type, lines, runs, unqualified};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// What kind of item a declaration is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum ItemKind {
    Struct,
    Enum,
    Trait,
    Type,
    Fn,
    Const,
    Static,
    Method,
}

/// One declared item.
#[derive(Debug, Clone)]
struct Item {
    kind: ItemKind,
    /// The name; `Type::name` for a method.
    name: String,
    file: PathBuf,
    line: usize,
    /// Declared `pub` (not `pub(crate)`).
    public: bool,
    /// Its doc comment has a code block.
    example: bool,
}

/// One module: whether it is public (declared `pub` in a public parent), its children and
/// what it declares.
#[derive(Debug, Default)]
struct Module {
    public: bool,
    children: BTreeMap<String, Vec<String>>,
    /// Items by name (index into the item list).
    defs: BTreeMap<String, usize>,
    /// `use` statements: alias, path, whether `pub`.
    uses: Vec<(String, Vec<String>, bool)>,
    /// Inherent impls: the type's name as written, and the methods (item indices).
    impls: Vec<(String, Vec<usize>)>,
}

/// The crate as read: its modules by path and its items.
#[derive(Default)]
struct Crate {
    modules: BTreeMap<Vec<String>, Module>,
    items: Vec<Item>,
}

/// What a path names.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    Item(usize),
    Module(Vec<String>),
}

impl Crate {
    /// Reads one module's file and its children, recursively.
    fn load(&mut self, file: &Path, path: Vec<String>, public: bool) -> Result<()> {
        let dir = Path::new(SRC);
        let text = std::fs::read_to_string(dir.join(file))
            .with_context(|| format!("reading {}", file.display()))?;
        let mut module = Module {
            public,
            ..Module::default()
        };
        // Where the children live: beside `lib.rs` and `a/mod.rs`, in `a/` for `a.rs`.
        let child_dir = if path.is_empty() || file.file_stem().is_some_and(|s| s == "mod") {
            file.parent().unwrap_or(Path::new("")).to_path_buf()
        } else {
            file.with_extension("")
        };
        let mut depth = 0i32;
        let mut attrs: Vec<String> = Vec::new();
        let (mut in_attr, mut example, mut open) = (0i32, false, false);
        let mut pending: Option<String> = None;
        let mut impl_block: Option<(String, Vec<usize>)> = None;
        let mut children = Vec::new();
        for (n, line) in lines(&text).into_iter().enumerate() {
            if line.doc {
                if let Some(info) = &line.fence {
                    example |= !open && runs(info);
                    open = !open;
                }
                continue;
            }
            let code = line.code.trim();
            if code.is_empty() {
                continue;
            }
            if in_attr > 0 || (pending.is_none() && code.starts_with("#[")) {
                in_attr += code.matches('[').count() as i32 - code.matches(']').count() as i32;
                attrs.push(code.to_string());
                continue;
            }
            let statement = match pending.take() {
                Some(p) => format!("{p} {code}"),
                None => code.to_string(),
            };
            let (public, rest) = match statement.strip_prefix("pub ") {
                Some(rest) => (true, rest.trim_start()),
                None => (false, statement.as_str()),
            };
            let rest = unqualified(rest);
            let open_use = rest.starts_with("use ") && !rest.contains(';');
            let open_impl = rest.starts_with("impl") && !rest.contains('{') && !rest.contains(';');
            if depth == 0 && (open_use || open_impl) {
                pending = Some(statement);
                continue;
            }
            let cfg_test = attrs.iter().any(|a| a.contains("cfg(test)"));
            let hidden = attrs.iter().any(|a| a.contains("doc(hidden)"));
            let at = |name: String, kind| Item {
                kind,
                name,
                file: file.to_path_buf(),
                line: n + 1,
                public: public && !hidden,
                example,
            };
            if depth == 0 && !cfg_test {
                if let Some(r) = rest.strip_prefix("mod ") {
                    if r.trim_end().ends_with(';') {
                        children.push((ident(r), public));
                    }
                } else if let Some(r) = rest.strip_prefix("use ") {
                    for (alias, p) in expand(r.trim_end().trim_end_matches(';')) {
                        module.uses.push((alias, p, public));
                    }
                } else if rest.starts_with("impl") {
                    if let Some(ty) = inherent_type(rest) {
                        impl_block = Some((ty, Vec::new()));
                    }
                } else if let Some((kw, kind)) = KINDS.iter().find(|(kw, _)| rest.starts_with(kw)) {
                    let name = ident(&rest[kw.len()..]);
                    self.items.push(at(name.clone(), *kind));
                    module.defs.insert(name, self.items.len() - 1);
                }
            } else if depth == 1
                && public
                && !cfg_test
                && let Some((ty, methods)) = impl_block.as_mut()
                && let Some(r) = ["fn ", "const "]
                    .iter()
                    .find_map(|kw| rest.strip_prefix(kw))
            {
                self.items
                    .push(at(format!("{ty}::{}", ident(r)), ItemKind::Method));
                methods.push(self.items.len() - 1);
            }
            attrs.clear();
            (example, open) = (false, false);
            depth += brace_delta(&statement);
            if depth == 0
                && let Some(block) = impl_block.take()
            {
                module.impls.push(block);
            }
        }
        for (name, public) in children {
            let a = child_dir.join(format!("{name}.rs"));
            let file = if dir.join(&a).exists() {
                a
            } else {
                child_dir.join(&name).join("mod.rs")
            };
            let mut p = path.clone();
            p.push(name.clone());
            module.children.insert(name, p.clone());
            self.load(&file, p, public && module.public)?;
        }
        self.modules.insert(path, module);
        Ok(())
    }

    /// What `path`, written in module `from`, names (`None`: outside the crate).
    fn resolve(&self, from: &[String], path: &[String], hops: usize) -> Option<Target> {
        if hops > 16 || path.is_empty() {
            return None;
        }
        let mut base: Vec<String> = from.to_vec();
        let mut rest = path;
        match path[0].as_str() {
            "crate" => {
                base.clear();
                rest = &path[1..];
            }
            "self" => rest = &path[1..],
            "super" => {
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
            }
            _ => {}
        }
        let Some((last, within)) = rest.split_last() else {
            return Some(Target::Module(base));
        };
        for segment in within {
            match self.lookup(&base, segment, hops)? {
                Target::Module(m) => base = m,
                Target::Item(_) => return None,
            }
        }
        self.lookup(&base, last, hops)
    }

    /// A name in one module: its items, its children, then its imports.
    fn lookup(&self, module: &[String], name: &str, hops: usize) -> Option<Target> {
        let m = self.modules.get(module)?;
        if let Some(&i) = m.defs.get(name) {
            return Some(Target::Item(i));
        }
        if let Some(child) = m.children.get(name) {
            return Some(Target::Module(child.clone()));
        }
        let (_, path, _) = m.uses.iter().find(|(alias, _, _)| alias == name)?;
        self.resolve(module, path, hops + 1)
    }

    /// The public items: index and the path a user names it by.
    fn public(&self) -> BTreeMap<usize, String> {
        let mut out = BTreeMap::new();
        let show = |path: &[String], name: &str| {
            let mut p = path.to_vec();
            p.push(name.to_string());
            p.join("::")
        };
        for (path, m) in self.modules.iter().filter(|(_, m)| m.public) {
            for (name, &i) in &m.defs {
                if self.items[i].public {
                    out.entry(i).or_insert_with(|| show(path, name));
                }
            }
            for (alias, target, _) in m.uses.iter().filter(|(_, _, public)| *public) {
                if let Some(Target::Item(i)) = self.resolve(path, target, 0) {
                    out.entry(i).or_insert_with(|| show(path, alias));
                }
            }
        }
        // Keep the shortest path (the crate root's re-export over the defining module).
        for (path, m) in self.modules.iter().filter(|(_, m)| m.public) {
            for (alias, target, _) in m.uses.iter().filter(|(_, _, public)| *public) {
                if let Some(Target::Item(i)) = self.resolve(path, target, 0) {
                    let name = show(path, alias);
                    if name.len() < out[&i].len() {
                        out.insert(i, name);
                    }
                }
            }
        }
        let mut methods = BTreeMap::new();
        for (path, m) in &self.modules {
            for (ty, items) in &m.impls {
                let Some(Target::Item(t)) = self.lookup(path, ty, 0) else {
                    continue;
                };
                let Some(owner) = out.get(&t) else { continue };
                for &i in items {
                    let method = self.items[i].name.rsplit("::").next().unwrap_or("");
                    methods.insert(i, format!("{owner}::{method}"));
                }
            }
        }
        out.extend(methods);
        out
    }
}

const KINDS: &[(&str, ItemKind)] = &[
    ("struct ", ItemKind::Struct),
    ("enum ", ItemKind::Enum),
    ("trait ", ItemKind::Trait),
    ("type ", ItemKind::Type),
    ("fn ", ItemKind::Fn),
    ("const ", ItemKind::Const),
    ("static ", ItemKind::Static),
];

fn read() -> Result<(Crate, BTreeMap<usize, String>)> {
    let mut krate = Crate::default();
    krate.load(Path::new("lib.rs"), Vec::new(), true)?;
    let public = krate.public();
    Ok((krate, public))
}

#[test]
fn every_public_item_has_an_example() -> Result<()> {
    let (krate, public) = read()?;
    let mut by_kind: BTreeMap<ItemKind, (usize, usize)> = BTreeMap::new();
    let mut missing = Vec::new();
    for (&i, name) in &public {
        let item = &krate.items[i];
        let mark = if item.example { "example" } else { "-" };
        println!("{mark:8} {:?} {name}", item.kind);
        let count = by_kind.entry(item.kind).or_default();
        count.0 += 1;
        if item.example {
            count.1 += 1;
            continue;
        }
        missing.push(format!("{name} ({}:{})", item.file.display(), item.line));
    }
    let total: usize = by_kind.values().map(|c| c.0).sum();
    let with: usize = by_kind.values().map(|c| c.1).sum();
    println!("public items: {total}, with an example: {with}");
    for (kind, (n, e)) in &by_kind {
        println!("  {kind:?}: {n} ({e} with an example)");
    }
    println!("without an example ({}):", missing.len());
    for at in &missing {
        println!("  {at}");
    }
    if !missing.is_empty() {
        bail!("{} public items have no example", missing.len());
    }
    Ok(())
}

/// The reader finds what rustdoc documents and nothing it does not: a few items of each
/// kind by the path a user names them by, and crate-private ones left out. (Checked once
/// against rustdoc's own pages: 66 items and 113 methods, 179 in all, as counted here.)
#[test]
fn the_count_names_items_as_a_user_does() -> Result<()> {
    let (_, public) = read()?;
    let names: BTreeSet<&str> = public.values().map(String::as_str).collect();
    for known in [
        "Builder::new",
        "Harness::run_async",
        "Op::ALL",
        "plan::PRESETS",
        "trace::render",
        "explore::Report",
        "suite::list",
        "Kind::label",
        "TcpReport::complete",
    ] {
        if !names.contains(known) {
            bail!("{known} is public but was not found");
        }
    }
    for private in [
        "Settings",
        "Settings::check",
        "Peer::with_capacity",
        "echo_frame",
    ] {
        let suffix = format!("::{private}");
        if names.contains(private) || names.iter().any(|n| n.ends_with(&suffix)) {
            bail!("{private} is crate-private but was counted");
        }
    }
    Ok(())
}
