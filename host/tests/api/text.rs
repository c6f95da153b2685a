//! Reading Rust source as the API count needs it: lines with strings and comments
//! blanked (so braces inside them do not count), `use` trees expanded, and the names in
//! declarations and impl headers.

/// One line of source with its strings blanked and its comments removed.
pub(crate) struct Line {
    /// The code, strings as `""`, comments gone.
    pub(crate) code: String,
    /// Whether the line is an outer doc comment (`///`).
    pub(crate) doc: bool,
    /// The info string of a code fence in that doc comment (`no_run` in ```` ```no_run ````).
    pub(crate) fence: Option<String>,
}

/// Splits a file into [`Line`]s: a small lexer for comments, strings, raw strings and
/// character literals, so braces inside them do not count.
pub(crate) fn lines(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    for raw in text.lines() {
        let trimmed = raw.trim_start();
        let doc = trimmed.starts_with("///") && !trimmed.starts_with("////");
        out.push(Line {
            code: String::new(),
            doc,
            fence: trimmed
                .strip_prefix("///")
                .filter(|_| doc)
                .and_then(|d| d.trim_start().strip_prefix("```"))
                .map(|info| info.trim().to_string()),
        });
    }
    let chars: Vec<char> = text.chars().collect();
    let (mut i, mut line) = (0, 0);
    let mut block = 0usize;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\n' {
            line += 1;
            i += 1;
            continue;
        }
        if block > 0 {
            if c == '*' && next == Some('/') {
                block -= 1;
                i += 2;
            } else if c == '/' && next == Some('*') {
                block += 1;
                i += 2;
            } else {
                i += 1;
            }
            continue;
        }
        match c {
            '/' if next == Some('/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if next == Some('*') => {
                block = 1;
                i += 2;
            }
            'r' if matches!(next, Some('"') | Some('#'))
                && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')) =>
            {
                let mut j = i + 1;
                let mut hashes = 0;
                while chars.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if chars.get(j) != Some(&'"') {
                    out[line].code.push(c);
                    i += 1;
                    continue;
                }
                j += 1;
                loop {
                    match chars.get(j) {
                        None => break,
                        Some('\n') => line += 1,
                        Some('"') if (1..=hashes).all(|h| chars.get(j + h) == Some(&'#')) => {
                            j += 1 + hashes;
                            break;
                        }
                        _ => {}
                    }
                    j += 1;
                }
                out[line].code.push_str("\"\"");
                i = j;
            }
            '"' => {
                let mut j = i + 1;
                while j < chars.len() && chars[j] != '"' {
                    if chars[j] == '\\' {
                        j += 1;
                    }
                    if chars.get(j) == Some(&'\n') {
                        line += 1;
                    }
                    j += 1;
                }
                out[line].code.push_str("\"\"");
                i = j + 1;
            }
            // A character literal ('{', '\'', '\u{7f}'), not a lifetime ('a).
            '\'' if next == Some('\\') => {
                let mut j = i + 2;
                while j < chars.len() && chars[j] != '\'' {
                    j += 1;
                }
                out[line].code.push_str("' '");
                i = j + 1;
            }
            '\'' if chars.get(i + 2) == Some(&'\'') => {
                out[line].code.push_str("' '");
                i += 3;
            }
            _ => {
                out[line].code.push(c);
                i += 1;
            }
        }
    }
    out
}

/// `a::{b, c::{d as e}}` as (`b`, `a::b`) and (`e`, `a::c::d`).
pub(crate) fn expand(tree: &str) -> Vec<(String, Vec<String>)> {
    fn go(prefix: &[String], tree: &str, out: &mut Vec<(String, Vec<String>)>) {
        let tree = tree.trim();
        if let Some(open) = tree.find('{') {
            let mut base = prefix.to_vec();
            base.extend(
                tree[..open]
                    .split("::")
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from),
            );
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let (mut depth, mut start) = (0, 0);
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        go(&base, &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            go(&base, &inner[start..], out);
            return;
        }
        if tree.is_empty() {
            return;
        }
        let (path, alias) = match tree.split_once(" as ") {
            Some((p, a)) => (p.trim(), Some(a.trim().to_string())),
            None => (tree, None),
        };
        let mut full = prefix.to_vec();
        full.extend(path.split("::").map(|s| s.trim().to_string()));
        if full.last().is_some_and(|s| s == "self") {
            full.pop();
        }
        let name = alias.unwrap_or_else(|| full.last().cloned().unwrap_or_default());
        out.push((name, full));
    }
    let mut out = Vec::new();
    go(&[], tree, &mut out);
    out
}

/// The identifier at the start of `s`.
pub(crate) fn ident(s: &str) -> String {
    s.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The type an impl header names: `impl<'a> Foo<'a> {` is `Foo`; a trait impl is `None`.
pub(crate) fn inherent_type(header: &str) -> Option<String> {
    let mut rest = header.trim().strip_prefix("impl")?;
    if rest.trim_start().starts_with('<') {
        let mut depth = 0;
        for (i, c) in rest.char_indices() {
            match c {
                '<' => depth += 1,
                '>' => {
                    depth -= 1;
                    if depth == 0 {
                        rest = &rest[i + 1..];
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    let head = rest.split('{').next()?.split(" where ").next()?;
    if head.contains(" for ") {
        return None;
    }
    let path = head.trim().split('<').next()?.trim();
    Some(path.rsplit("::").next()?.to_string())
}

/// Whether a code block with this info string is a doc test that runs or compiles
/// (` ```text ` and ` ```toml ` are not examples of a call).
pub(crate) fn runs(info: &str) -> bool {
    info.split(',')
        .map(str::trim)
        .all(|t| matches!(t, "" | "rust" | "no_run" | "should_panic") || t.starts_with("edition"))
}

/// A declaration without the qualifiers of a function: `const fn f` is `fn f`.
pub(crate) fn unqualified(mut s: &str) -> &str {
    loop {
        let next = ["const ", "async ", "unsafe "]
            .iter()
            .find_map(|q| s.strip_prefix(q))
            .filter(|r| {
                r.starts_with("fn ") || r.starts_with("async ") || r.starts_with("unsafe ")
            });
        match next {
            Some(r) => s = r,
            None => return s,
        }
    }
}

pub(crate) fn brace_delta(code: &str) -> i32 {
    code.matches('{').count() as i32 - code.matches('}').count() as i32
}
