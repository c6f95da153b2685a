//! Command lines as a POSIX shell reads them back: the one quoting of every command the
//! command prints or writes (replay lines in plan files, JUnit reports and the HTML page),
//! so a line pasted from any of them runs the same words.

use std::borrow::Cow;

/// `word` as a shell reads it back: as it is when it is plain, else in single quotes, or
/// as bash's `$'...'` when it holds control characters.
pub fn shell_quote(word: &str) -> Cow<'_, str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return Cow::Borrowed(word);
    }
    if word.chars().any(char::is_control) {
        return Cow::Owned(ansi_c_quote(word));
    }
    Cow::Owned(format!("'{}'", word.replace('\'', r"'\''")))
}

/// A word with control characters (CR, NUL, an escape) as bash's `$'...'`: the line that
/// holds it stays one line of printable text, in a terminal and in a TOML comment.
fn ansi_c_quote(word: &str) -> String {
    let mut quoted = String::from("$'");
    for c in word.chars() {
        match c {
            '\\' | '\'' => quoted.extend(['\\', c]),
            '\n' => quoted.push_str(r"\n"),
            '\r' => quoted.push_str(r"\r"),
            '\t' => quoted.push_str(r"\t"),
            c if c.is_ascii_control() => quoted.push_str(&format!("\\x{:02x}", u32::from(c))),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('\'');
    quoted
}

/// Words as one shell command line, each quoted as needed.
pub fn shell_words<S: AsRef<str>>(words: impl IntoIterator<Item = S>) -> String {
    let quoted: Vec<String> = words
        .into_iter()
        .map(|w| shell_quote(w.as_ref()).into_owned())
        .collect();
    quoted.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_as_they_are_and_others_are_single_quoted() {
        assert_eq!(shell_quote("udp-send.wasm"), "udp-send.wasm");
        assert_eq!(
            shell_quote("my findings/it's.toml"),
            r#"'my findings/it'\''s.toml'"#
        );
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn quoted_words_read_back_as_the_same_words() {
        let words = [
            "wouldblock",
            "run",
            "--plan",
            "a b/it's \"x\".toml",
            "--",
            "{peer}",
        ];
        let line = shell_words(words);
        assert_eq!(
            line,
            r#"wouldblock run --plan 'a b/it'\''s "x".toml' -- '{peer}'"#
        );
    }
}
