//! Shell text the compiler writes: quoting the values it puts into recipe scripts, and
//! finding the script of a `sh -c` command in exec form.

use std::borrow::Cow;

/// `text` as one shell word: unchanged when it is made only of characters no shell treats
/// specially, else in single quotes (each `'` written as `'\''`). Paths and names that
/// recipes put into scripts go through this, so a space or a `;` in a spec value is data.
pub fn quote(text: &str) -> Cow<'_, str> {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:@%+,-".contains(c));
    if plain {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(single_quoted(text))
    }
}

/// `text` in single quotes, whatever it holds (each `'` written as `'\''`).
pub fn single_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Shells whose `-c` argument is a script.
const SHELLS: [&str; 8] = ["sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox"];

/// In an exec-form command, the index of the argument a shell runs as a script: the first
/// operand after an option cluster with `c` (`sh -c`, `bash -ec`, `sh -e -c`), when the
/// program is a shell. Arguments after the script are the script's `$0`, `$1`...: data.
pub fn script_index(args: &[String]) -> Option<usize> {
    let program = args.first()?;
    let name = program.rsplit('/').next().unwrap_or(program);
    if !SHELLS.contains(&name) {
        return None;
    }
    // `busybox sh -c ...` names the shell as its first argument.
    let skip = usize::from(name == "busybox" && args.get(1).is_some_and(|a| a == "sh"));
    let mut command = false;
    let mut options = args.iter().enumerate().skip(1 + skip);
    while let Some((index, arg)) = options.next() {
        if arg == "--" {
            return None;
        }
        if arg == "-o" || arg == "+o" {
            options.next();
            continue;
        }
        if let Some(cluster) = arg.strip_prefix('-').filter(|c| !c.starts_with('-')) {
            command |= cluster.contains('c');
            continue;
        }
        if arg.starts_with('-') || (arg.starts_with('+') && arg.len() > 1) {
            continue;
        }
        return command.then_some(index);
    }
    None
}

/// The `${NAME}`s (names `is_name` accepts) a POSIX shell reads inside single quotes, where
/// it does not expand them, in a script as written in the spec (`$$` is a literal `$`). A
/// scan of quotes and backslashes only: good enough for a warning, not a shell parser.
pub fn single_quoted_names(script: &str, is_name: &dyn Fn(&str) -> bool) -> Vec<String> {
    #[derive(PartialEq)]
    enum State {
        Plain,
        Single,
        Double,
    }
    let mut state = State::Plain;
    let mut found: Vec<String> = Vec::new();
    let mut chars = script.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match (&state, c) {
            (_, '$') if script[at..].starts_with("$$") => {
                chars.next();
            }
            (State::Single, '$') => {
                let name = script[at + 1..]
                    .strip_prefix('{')
                    .and_then(|inner| inner.split_once('}'))
                    .map(|(name, _)| name)
                    .filter(|name| is_name(name));
                if let Some(name) = name
                    && !found.iter().any(|f| f == name)
                {
                    found.push(name.to_owned());
                }
            }
            (State::Plain, '\'') => state = State::Single,
            (State::Single, '\'') => state = State::Plain,
            (State::Plain, '"') => state = State::Double,
            (State::Double, '"') => state = State::Plain,
            (State::Plain | State::Double, '\\') => {
                chars.next();
            }
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(quote("/venv"), "/venv");
        assert_eq!(quote("libpq-dev"), "libpq-dev");
        assert_eq!(quote("/opt/my venv"), "'/opt/my venv'");
        assert_eq!(quote("a'b"), r"'a'\''b'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("$(id)"), "'$(id)'");
        assert_eq!(quote("x=1"), "'x=1'");
    }

    #[test]
    fn finds_names_in_single_quotes() {
        let is_name = |n: &str| n == "X";
        let names = |script| single_quoted_names(script, &is_name);
        assert_eq!(names("echo '${X}'"), ["X"]);
        assert!(names("echo \"${X}\" ${X} '$${X}' \\'${X}").is_empty());
        assert!(names("echo \"it's ${X}\" '${Y}'").is_empty());
    }

    #[test]
    fn finds_the_script_of_a_shell() {
        assert_eq!(script_index(&args(&["sh", "-c", "echo", "a"])), Some(2));
        assert_eq!(script_index(&args(&["/bin/bash", "-ec", "x"])), Some(2));
        assert_eq!(script_index(&args(&["sh", "-e", "-c", "x"])), Some(3));
        assert_eq!(
            script_index(&args(&["sh", "-o", "pipefail", "-c", "x"])),
            Some(4)
        );
        assert_eq!(script_index(&args(&["busybox", "sh", "-c", "x"])), Some(3));
        assert_eq!(script_index(&args(&["sh", "script.sh", "-c"])), None);
        assert_eq!(script_index(&args(&["echo", "-c", "x"])), None);
        assert_eq!(script_index(&args(&["bash", "--rcfile", "f"])), None);
    }
}
