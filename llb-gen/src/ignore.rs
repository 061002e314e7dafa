//! `.dockerignore`: patterns of context files that are never sent to the build.
//!
//! The CLI (from the disk) and the frontend (from BuildKit) both read the file's bytes through
//! [`decode_dockerignore`], so both exclude the same files: a file that is not UTF-8 is read
//! lossily (its ASCII patterns, such as `.env`, still apply), never dropped.

/// The largest `.dockerignore` read: its patterns go into the build definition.
pub const MAX_DOCKERIGNORE_BYTES: usize = 1024 * 1024;

/// The exclude patterns of a `.dockerignore` file's bytes; an error when it is larger than
/// [`MAX_DOCKERIGNORE_BYTES`]. Bytes that are not UTF-8 become U+FFFD, as Docker reads them.
pub fn decode_dockerignore(bytes: &[u8]) -> Result<Vec<String>, String> {
    if bytes.len() > MAX_DOCKERIGNORE_BYTES {
        return Err(format!(
            ".dockerignore is larger than {}, the most Stagefile reads",
            crate::limits::size(MAX_DOCKERIGNORE_BYTES)
        ));
    }
    Ok(parse_dockerignore(&String::from_utf8_lossy(bytes)))
}

/// The exclude patterns of a `.dockerignore` file, in order (`!` re-includes), as BuildKit's
/// local source takes them: comments and blank lines dropped, leading `/` and `./` removed.
pub fn parse_dockerignore(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let (negated, pattern) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let pattern = pattern.trim_start_matches("./").trim_start_matches('/');
            let pattern = pattern.trim_end_matches('/');
            if pattern.is_empty() || pattern == "." {
                return None;
            }
            Some(if negated {
                format!("!{pattern}")
            } else {
                pattern.to_owned()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_not_utf8_is_read_lossily_not_dropped() {
        let bytes = b"# caf\xe9\n.env\nsecrets\xff/\n";
        assert_eq!(
            decode_dockerignore(bytes).unwrap(),
            [".env", "secrets\u{fffd}"]
        );
        assert!(decode_dockerignore(&vec![b'a'; MAX_DOCKERIGNORE_BYTES + 1]).is_err());
    }

    #[test]
    fn keeps_patterns_in_order() {
        let text = "# secrets\n.env\n/node_modules/\n\n./dist\n*.log\n!keep.log\n";
        assert_eq!(
            parse_dockerignore(text),
            [".env", "node_modules", "dist", "*.log", "!keep.log"]
        );
    }
}
