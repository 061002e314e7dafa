//! The diagnostic sink every validation shares: errors collected with their spans, `${ARG}`
//! interpolation of spec values, and the checks of path values.

use std::collections::BTreeMap;

use serde_spanned::Spanned;

use crate::diag::{self, Code, Diagnostic, SourceFile};
use crate::interp::{self, ExpandError, Unknown};
use crate::ir::Span;
use crate::limits::{Budget, MAX_ERRORS};
use crate::spec::OneOrMany;

/// Collects diagnostics and answers questions every stage asks (arg values, stage names).
pub struct Checker<'a> {
    /// The spec file.
    pub file: &'a SourceFile,
    /// Build args with their effective values.
    pub args: BTreeMap<String, String>,
    /// Every stage name, in spec order.
    pub stage_names: Vec<String>,
    /// Errors found so far.
    pub errors: Vec<Diagnostic>,
    /// What `${ARG}` expansion may still add to the spec's values.
    pub budget: Budget,
    /// Errors found past [`MAX_ERRORS`], counted, not kept.
    pub left_out: usize,
    /// Findings that do not stop the build.
    pub warnings: Vec<Diagnostic>,
}

impl Checker<'_> {
    /// Records an error (the first [`MAX_ERRORS`] are kept, the rest counted).
    pub fn error(&mut self, diagnostic: Diagnostic) {
        if self.is_full() {
            self.left_out += 1;
        } else {
            self.errors.push(diagnostic);
        }
    }

    /// Whether errors are no longer kept: callers skip the costly part of making one (a
    /// "did you mean" among many names).
    pub fn is_full(&self) -> bool {
        self.errors.len() >= MAX_ERRORS
    }

    /// Interpolates `${NAME}` args in a spec value; an unknown name is an error at its place
    /// (and the value is returned as written).
    pub fn value(&mut self, value: &Spanned<String>) -> String {
        self.expanded(value)
            .unwrap_or_else(|| value.get_ref().clone())
    }

    /// [`Self::value`], or `None` when it failed (the error is recorded): for values whose
    /// own check would only repeat that error (an image reference holding `${NOPE}`).
    pub fn expanded(&mut self, value: &Spanned<String>) -> Option<String> {
        let text = value.get_ref();
        let lookup = |name: &str| self.args.get(name).cloned();
        let max_len = self.budget.max_len(text.len());
        match interp::expand(text, &lookup, Unknown::Fail, false, max_len) {
            Ok(expanded) => {
                self.budget
                    .charge(expanded.len().saturating_sub(text.len()));
                Some(expanded)
            }
            Err(ExpandError::TooLong) => {
                self.over_budget(value.span());
                None
            }
            Err(ExpandError::Unknown(_)) if self.is_full() => {
                self.left_out += 1;
                None
            }
            Err(ExpandError::Unknown(unknown)) => {
                let span = value.span();
                let start = self.locate_in_value(&span, unknown.offset);
                let names: Vec<&str> = self.args.keys().map(String::as_str).collect();
                let diagnostic = Diagnostic::error(
                    Code::UnknownArg,
                    format!("`${{{}}}` names no build arg", unknown.name),
                    Some(start..start + unknown.name.len() + 3),
                )
                .with_suggestion(&unknown.name, names.iter().copied());
                let diagnostic = if diagnostic.help.is_none() {
                    diagnostic.with_help(format!(
                        "declare it under [args], e.g. `{} = \"...\"`, or write `$$` for a literal `$`",
                        unknown.name
                    ))
                } else {
                    diagnostic
                };
                self.error(diagnostic);
                None
            }
        }
    }

    /// A shell script (a `run` command, the script of an exec-form `sh -c`): nothing is
    /// replaced, so an arg's value can never become script text. `$$` becomes `$`, CRLF line
    /// ends (a spec saved on Windows) become LF, and every `${NAME}` stays for the shell. Returns
    /// the script and `(NAME, value)` of each build arg it names, for the step's environment
    /// (each value counts against the expansion budget).
    pub fn shell(&mut self, text: &str, span: &Span) -> (String, Vec<(String, String)>) {
        let text = text.replace("\r\n", "\n");
        let (script, names) = interp::shell_script(&text, &|name| self.args.contains_key(name));
        let mut env = Vec::new();
        for name in names {
            let Some(value) = self.args.get(&name).cloned() else {
                continue;
            };
            if !self.budget.charge(value.len()) {
                self.over_budget(span.clone());
                break;
            }
            env.push((name, value));
        }
        (script, env)
    }

    /// Interpolates args in a value that is data for BuildKit or a program (exec-form
    /// arguments, mount targets and ids, a step's env, workdir and user), leaving other `$`
    /// uses as written.
    pub fn command(&mut self, text: &str, span: &Span) -> String {
        let lookup = |name: &str| self.args.get(name).cloned();
        let max_len = self.budget.max_len(text.len());
        match interp::expand(text, &lookup, Unknown::Keep, false, max_len) {
            Ok(expanded) => {
                self.budget
                    .charge(expanded.len().saturating_sub(text.len()));
                expanded
            }
            Err(_) => {
                self.over_budget(span.clone());
                text.to_owned()
            }
        }
    }

    /// Records that expansion went past its budget at `span` (reported once).
    fn over_budget(&mut self, span: Span) {
        self.budget.charge(usize::MAX);
        if self.budget.first_excess() {
            self.error(diag::expansion_limit(Some(span)));
        }
    }

    /// Byte offset of `offset` (in the value's text) within the file, assuming a basic string.
    fn locate_in_value(&self, span: &Span, offset: usize) -> usize {
        let raw = self.file.text.get(span.clone()).unwrap_or("");
        (span.start + raw_offset(raw, offset)).min(span.end)
    }

    /// A context-relative path, normalized (`./a/` is `a`, `.` is empty); `..` and `/` are refused.
    pub fn context_path(&mut self, value: &Spanned<String>, key: &str) -> String {
        let text = self.value(value);
        let trimmed = text.trim_start_matches("./").trim_end_matches('/');
        if text.starts_with('/') || trimmed.split('/').any(|part| part == "..") {
            self.error(
                Diagnostic::error(
                    Code::InvalidPath,
                    format!("`{key}` must be a path inside the build context"),
                    Some(value.span()),
                )
                .with_help("write it relative to the context root, without `..`"),
            );
        }
        if trimmed == "." {
            String::new()
        } else {
            trimmed.to_owned()
        }
    }

    /// An output: absolute, or relative to the workdir (normalized, without `..`).
    pub fn output_path(&mut self, value: &Spanned<String>) -> String {
        let text = self.value(value);
        let trimmed = text.trim_start_matches("./").trim_end_matches('/');
        if trimmed.is_empty() || trimmed == "." || trimmed.split('/').any(|part| part == "..") {
            self.error(
                Diagnostic::error(
                    Code::InvalidPath,
                    format!("`{text}` is not an output path"),
                    Some(value.span()),
                )
                .with_help(
                    "name a directory or file the stage produces, e.g. outputs = [\"dist/\"]",
                ),
            );
        }
        trimmed.to_owned()
    }

    /// An absolute path; a relative one is an error whose help gives the absolute form.
    pub fn absolute(&mut self, value: &Spanned<String>, key: &str) -> String {
        let text = self.value(value);
        if !text.starts_with('/') {
            self.error(
                Diagnostic::error(
                    Code::InvalidPath,
                    format!("`{key}` must be an absolute path"),
                    Some(value.span()),
                )
                .with_help(format!(
                    "e.g. {key} = \"/{}\"",
                    text.trim_start_matches("./")
                )),
            );
        }
        text
    }
}

/// Where byte `target` of a TOML string's value is in the string as written (`raw`, with its
/// quotes): escapes (`\u0041` is one byte of value, six of text) and a multi-line string's
/// first newline and line-ending backslashes are stepped over, so a caret lands on the text
/// it names.
pub fn raw_offset(raw: &str, target: usize) -> usize {
    let (open, literal) = match raw {
        _ if raw.starts_with("\"\"\"") => (3, false),
        _ if raw.starts_with("'''") => (3, true),
        _ if raw.starts_with('"') => (1, false),
        _ if raw.starts_with('\'') => (1, true),
        _ => (0, true),
    };
    let mut at = open;
    if open == 3 {
        at += [("\r\n", 2), ("\n", 1)]
            .iter()
            .find(|(newline, _)| raw[at..].starts_with(newline))
            .map_or(0, |(_, len)| *len);
    }
    let mut decoded = 0;
    loop {
        let rest = &raw[at..];
        let Some(c) = rest.chars().next() else {
            break;
        };
        // A line-ending backslash right at the target adds nothing: step over it too.
        let line_end = !literal && c == '\\' && rest[1..].starts_with(char::is_whitespace);
        if decoded >= target && !line_end {
            break;
        }
        if literal || c != '\\' {
            at += c.len_utf8();
            decoded += c.len_utf8();
            continue;
        }
        let (text, value) = match rest[1..].chars().next() {
            Some('u') => (6, hex_char(rest.get(2..6))),
            Some('U') => (10, hex_char(rest.get(2..10))),
            Some('x') => (4, hex_char(rest.get(2..4))),
            // A line-ending backslash: the newline and the white space after it are dropped.
            Some(w) if w.is_whitespace() => {
                let skipped = rest[1..].len() - rest[1..].trim_start().len();
                (1 + skipped, 0)
            }
            _ => (2, 1),
        };
        at += text;
        decoded += value;
    }
    at.min(raw.len())
}

/// The UTF-8 length of the character a hex escape names (1 when it names none).
fn hex_char(hex: Option<&str>) -> usize {
    hex.and_then(|h| u32::from_str_radix(h, 16).ok())
        .and_then(char::from_u32)
        .map_or(1, char::len_utf8)
}

/// The items of a one-or-many value, each with the span of the whole value.
pub fn spanned_list(value: &Option<Spanned<OneOrMany<String>>>) -> Vec<Spanned<String>> {
    value
        .as_ref()
        .map(|v| {
            v.get_ref()
                .to_vec()
                .into_iter()
                .map(|item| Spanned::new(v.span(), item))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::raw_offset;

    #[test]
    fn offsets_step_over_escapes() {
        // `AB${NOPE}`: the `$` is byte 2 of the value, byte 13 of the text.
        assert_eq!(raw_offset(r#""\u0041\u0042${NOPE}""#, 2), 13);
        assert_eq!(raw_offset(r#""a\tb${X}""#, 3), 5);
        assert_eq!(raw_offset(r#""\u00e9${X}""#, 2), 7);
        assert_eq!(raw_offset(r#"'\u0041${X}'"#, 6), 7);
        assert_eq!(raw_offset("\"\"\"\nab \\\n   ${X}\"\"\"", 3), 12);
        assert_eq!(raw_offset(r#""plain""#, 2), 3);
    }
}
