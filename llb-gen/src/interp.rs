//! `${NAME}` interpolation of build args, and `$NAME` expansion in env values.
//!
//! - Spec values (versions, images, paths): `${NAME}` must name a build arg.
//! - Run commands: `${NAME}` of a build arg is replaced; anything else is left to the shell.
//! - Env values: `$NAME` and `${NAME}` see the build args and the env defined so far, like a
//!   Dockerfile's `ENV`; unknown names expand to nothing.
//!
//! - Shell scripts (a `run` command, the script of `sh -c` in exec form): nothing is replaced.
//!   `${NAME}` stays for the shell, and [`shell_script`] lists the build args it names so the
//!   step can set them in its environment: a value is data, never script text.
//!
//! `$$` is a literal `$` everywhere.

/// How names that are not found are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    /// An error (spec values).
    Fail,
    /// Left as written (run commands).
    Keep,
    /// Replaced with nothing (env values).
    Empty,
}

/// A `${NAME}` that names no build arg, with its byte offset in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    /// The name.
    pub name: String,
    /// Byte offset of the `$` in the text.
    pub offset: usize,
}

/// Why an expansion failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpandError {
    /// `${NAME}` names nothing (with [`Unknown::Fail`]).
    Unknown(UnknownName),
    /// The result would be longer than allowed.
    TooLong,
}

/// Expands `${NAME}` (and `$NAME` when `bare` is true) using `lookup`, into at most
/// `max_len` bytes: the expansion stops as soon as it would grow past them.
pub fn expand(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    unknown: Unknown,
    bare: bool,
    max_len: usize,
) -> Result<String, ExpandError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut offset = 0;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let (name, consumed) = if after.starts_with('$') {
            out.push('$');
            advance(&mut rest, &mut offset, pos + 2);
            continue;
        } else if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) if is_identifier(&inner[..end]) => (&inner[..end], end + 3),
                _ => ("", 1),
            }
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let name = &after[..len];
            if bare && is_identifier(name) {
                (name, len + 1)
            } else {
                ("", 1)
            }
        };
        if name.is_empty() {
            out.push('$');
            advance(&mut rest, &mut offset, pos + 1);
            continue;
        }
        match lookup(name) {
            Some(value) if out.len() + value.len() > max_len => return Err(ExpandError::TooLong),
            Some(value) => out.push_str(&value),
            None => match unknown {
                Unknown::Fail => {
                    return Err(ExpandError::Unknown(UnknownName {
                        name: name.to_owned(),
                        offset: offset + pos,
                    }));
                }
                Unknown::Keep => out.push_str(&rest[pos..pos + consumed]),
                Unknown::Empty => {}
            },
        }
        advance(&mut rest, &mut offset, pos + consumed);
    }
    if out.len() + rest.len() > max_len {
        return Err(ExpandError::TooLong);
    }
    out.push_str(rest);
    Ok(out)
}

/// A shell script with every `$$` made `$` and everything else as written, with the build args
/// (names `is_arg` accepts) its `${NAME}`s refer to, each once, in order of first use.
pub fn shell_script(text: &str, is_arg: &dyn Fn(&str) -> bool) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut names: Vec<String> = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if after.starts_with('$') {
            out.push('$');
            advance(&mut rest, &mut offset, pos + 2);
            continue;
        }
        let name = after
            .strip_prefix('{')
            .and_then(|inner| inner.find('}').map(|end| &inner[..end]))
            .filter(|name| is_identifier(name));
        match name {
            Some(name) => {
                out.push_str(&rest[pos..pos + name.len() + 3]);
                if is_arg(name) && !names.iter().any(|n| n == name) {
                    names.push(name.to_owned());
                }
                advance(&mut rest, &mut offset, pos + name.len() + 3);
            }
            None => {
                out.push('$');
                advance(&mut rest, &mut offset, pos + 1);
            }
        }
    }
    out.push_str(rest);
    (out, names)
}

fn advance(rest: &mut &str, offset: &mut usize, by: usize) {
    *rest = &rest[by..];
    *offset += by;
}

/// Whether `text` is a name for args and env vars: letters, digits and `_`, not starting with
/// a digit.
pub fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(name: &str) -> Option<String> {
        (name == "PY").then(|| "3.11".to_owned())
    }

    #[test]
    fn strict_fails_on_unknown_names() {
        assert_eq!(
            expand("python:${PY}-slim", &args, Unknown::Fail, false, 100).unwrap(),
            "python:3.11-slim"
        );
        let err = expand("a ${NOPE}", &args, Unknown::Fail, false, 100).unwrap_err();
        assert_eq!(
            err,
            ExpandError::Unknown(UnknownName {
                name: "NOPE".into(),
                offset: 2
            })
        );
    }

    #[test]
    fn keep_leaves_shell_variables_alone() {
        let text = "echo ${PY} $HOME ${HOME} $$ $1";
        assert_eq!(
            expand(text, &args, Unknown::Keep, false, 100).unwrap(),
            "echo 3.11 $HOME ${HOME} $ $1"
        );
    }

    #[test]
    fn shell_scripts_keep_names_and_list_the_args() {
        let is_arg = |n: &str| n == "PY" || n == "X";
        let (script, names) = shell_script(
            "echo \"${X}\" '${PY}' $$HOME ${HOME} ${X} $${PY} ${ bad}",
            &is_arg,
        );
        assert_eq!(
            script,
            "echo \"${X}\" '${PY}' $HOME ${HOME} ${X} ${PY} ${ bad}"
        );
        assert_eq!(names, ["X", "PY"]);
    }

    #[test]
    fn env_mode_expands_bare_names() {
        let lookup = |n: &str| (n == "PATH").then(|| "/bin".to_owned());
        assert_eq!(
            expand("/venv/bin:$PATH", &lookup, Unknown::Empty, true, 100).unwrap(),
            "/venv/bin:/bin"
        );
        assert_eq!(
            expand("${X}y", &lookup, Unknown::Empty, true, 100).unwrap(),
            "y"
        );
    }

    #[test]
    fn expansion_stops_at_its_limit() {
        let lookup = |_: &str| Some("x".repeat(1000));
        let text = "${A}".repeat(1_000_000);
        let limit = Unknown::Keep;
        assert_eq!(
            expand(&text, &lookup, limit, false, 10_000),
            Err(ExpandError::TooLong)
        );
        assert_eq!(
            expand("${A}", &lookup, limit, false, 1000).unwrap().len(),
            1000
        );
        assert_eq!(
            expand("ab", &lookup, limit, false, 1),
            Err(ExpandError::TooLong)
        );
    }
}
