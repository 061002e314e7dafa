//! `.dockerignore`: patterns of context files that are never sent to the build.

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
    use super::parse_dockerignore;

    #[test]
    fn keeps_patterns_in_order() {
        let text = "# secrets\n.env\n/node_modules/\n\n./dist\n*.log\n!keep.log\n";
        assert_eq!(
            parse_dockerignore(text),
            [".env", "node_modules", "dist", "*.log", "!keep.log"]
        );
    }
}
