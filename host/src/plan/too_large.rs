//! A number in a plan file past TOML's 64-bit integers (2^63 and above): TOML refuses it
//! before the plan's own checks see it, so it is said here as they say an out-of-range
//! count.

/// The message when the text at `span` is a whole number TOML could not hold, named by
/// its key, with counts up to `max`; `None` for any other error.
pub(super) fn too_large(text: &str, span: std::ops::Range<usize>, max: u64) -> Option<String> {
    let number = text.get(span.clone())?.trim();
    let digits = number.strip_prefix('+').unwrap_or(number);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'_') {
        return None;
    }
    let line_start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let key = text[line_start..span.start].trim_end().strip_suffix('=')?;
    Some(format!(
        "field `{}`: {} is out of range (a whole number from 0 to {max})",
        key.trim().trim_matches('"'),
        digits.replace('_', "")
    ))
}
