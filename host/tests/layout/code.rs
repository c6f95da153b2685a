//! Reading a file's imports out of its code: the `crate::`, `super::` and `self::` paths of
//! its `use` items and the ones written inline (`super::report::evidence(..)`), with
//! comments, doc comments and literals left out (a doc link or a message naming a path is
//! no import). Each path comes with the inline modules around it, so that a `super::` in a
//! `mod tests { .. }` names the file itself.

/// A file's code: its comments, doc comments, string and char literals blanked out.
pub fn code_of(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let after_ident = i > 0 && is_ident(chars[i - 1]);
        if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && at(i + 1) == '*' {
            // Block comments nest.
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    (depth, i) = (depth + 1, i + 2);
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    (depth, i) = (depth - 1, i + 2);
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
            continue;
        }
        if !after_ident && let Some(end) = raw_string_end(&chars, i) {
            out.push(' ');
            i = end;
            continue;
        }
        if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            out.push(' ');
            i += 1;
            continue;
        }
        if c == '\'' && at(i + 1) == '\\' {
            i += 3;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            out.push(' ');
            i += 1;
            continue;
        }
        if c == '\'' && at(i + 2) == '\'' {
            out.push(' ');
            i += 3;
            continue;
        }
        // Anything else, a lifetime's quote too, is code.
        out.push(c);
        i += 1;
    }
    out
}

/// Where the raw string literal starting at `i` (`r"..."`, `br#"..."#`, `cr"..."`) ends.
fn raw_string_end(chars: &[char], i: usize) -> Option<usize> {
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let mut j = i;
    if matches!(at(j), 'b' | 'c') {
        j += 1;
    }
    if at(j) != 'r' {
        return None;
    }
    j += 1;
    let hashes = chars[j..].iter().take_while(|c| **c == '#').count();
    j += hashes;
    if at(j) != '"' {
        return None;
    }
    j += 1;
    while j < chars.len() {
        if chars[j] == '"' && (1..=hashes).all(|k| at(j + k) == '#') {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(j)
}

/// A word, a `::`, or any other character of code.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    PathSep,
    Punct(char),
}

fn tokens(code: &str) -> Vec<Token> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token::Word(chars[start..i].iter().collect()));
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push(Token::PathSep);
            i += 2;
        } else {
            out.push(Token::Punct(c));
            i += 1;
        }
    }
    out
}

/// `a::{b, c::{d, e}}` as `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
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
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(p).into_iter().map(move |e| format!("{prefix}{e}")))
        .collect()
}

/// A path named in a file: the inline modules it sits in, and its segments from its first
/// `crate`, `super` or `self`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// The inline `mod name { .. }` blocks around it, outermost first.
    pub inline: Vec<String>,
    /// `["super", "report", "evidence"]`.
    pub segments: Vec<String>,
}

/// The `crate::`, `super::` and `self::` paths of a file's code ([`code_of`]): those of its
/// `use` items (use trees expanded, `as` renames dropped) and those written inline.
pub fn paths(code: &str) -> Vec<Named> {
    let tokens = tokens(code);
    let word = |i: usize| match tokens.get(i) {
        Some(Token::Word(w)) => Some(w.as_str()),
        _ => None,
    };
    let relative = |w: Option<&str>| matches!(w, Some("crate" | "super" | "self"));
    // The inline modules open at this point, each with the brace depth of its body.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut out = Vec::new();
    let named = |inline: &[(String, usize)], path: &str| Named {
        inline: inline.iter().map(|(name, _)| name.clone()).collect(),
        segments: path.split("::").map(str::to_string).collect(),
    };
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Word(w) if w == "mod" && tokens.get(i + 2) == Some(&Token::Punct('{')) => {
                if let Some(name) = word(i + 1) {
                    depth += 1;
                    inline.push((name.to_string(), depth));
                }
                i += 3;
                continue;
            }
            Token::Word(w) if w == "use" => {
                let mut tree = String::new();
                i += 1;
                while i < tokens.len() && tokens[i] != Token::Punct(';') {
                    match &tokens[i] {
                        Token::Word(w) if w == "as" => i += 1,
                        Token::Word(w) => tree += w,
                        Token::PathSep => tree += "::",
                        Token::Punct(c) => tree.push(*c),
                    }
                    i += 1;
                }
                for path in expand(&tree) {
                    if relative(path.split("::").next()) {
                        out.push(named(&inline, &path));
                    }
                }
            }
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth -= 1;
            }
            Token::Word(_)
                if relative(word(i))
                    && tokens.get(i + 1) == Some(&Token::PathSep)
                    && (i == 0 || tokens[i - 1] != Token::PathSep) =>
            {
                let mut path = word(i).unwrap_or_default().to_string();
                while tokens.get(i + 1) == Some(&Token::PathSep)
                    && let Some(next) = word(i + 2)
                {
                    path = format!("{path}::{next}");
                    i += 2;
                }
                out.push(named(&inline, &path));
            }
            _ => {}
        }
        i += 1;
    }
    out
}

#[test]
fn comments_and_literals_name_no_path() {
    let text = "/// [`X`](crate::x::X)\n// super::a\n/* crate::b /* nested */ crate::c */\n\
                let s = \"crate::d\"; let r = r#\"super::e\"#; let c = '\"'; let l: &'a str;\n\
                crate::f::g();";
    let found: Vec<Vec<String>> = paths(&code_of(text))
        .into_iter()
        .map(|n| n.segments)
        .collect();
    assert_eq!(found, [["crate", "f", "g"]]);
}

#[test]
fn use_trees_and_inline_paths_are_both_read() {
    let text = "use super::{a::{B, C as D}, e};\nfn f() { crate::g::h(); }\n\
                mod tests { use super::*; }\nfn i() -> self::j::K { todo!() }";
    let found: Vec<(Vec<String>, String)> = paths(&code_of(text))
        .into_iter()
        .map(|n| (n.inline, n.segments.join("::")))
        .collect();
    let outside = Vec::new;
    assert_eq!(
        found,
        [
            (outside(), "super::a::B".to_string()),
            (outside(), "super::a::C".to_string()),
            (outside(), "super::e".to_string()),
            (outside(), "crate::g::h".to_string()),
            (vec!["tests".to_string()], "super::*".to_string()),
            (outside(), "self::j::K".to_string()),
        ]
    );
}
