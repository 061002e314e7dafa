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

    /// Interpolates `${NAME}` args in a spec value; an unknown name is an error at its place.
    pub fn value(&mut self, value: &Spanned<String>) -> String {
        let text = value.get_ref();
        let lookup = |name: &str| self.args.get(name).cloned();
        let max_len = self.budget.max_len(text.len());
        match interp::expand(text, &lookup, Unknown::Fail, false, max_len) {
            Ok(expanded) => {
                self.budget
                    .charge(expanded.len().saturating_sub(text.len()));
                expanded
            }
            Err(ExpandError::TooLong) => {
                self.over_budget(value.span());
                text.clone()
            }
            Err(ExpandError::Unknown(_)) if self.is_full() => {
                self.left_out += 1;
                text.clone()
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
                text.clone()
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
        let raw = &self.file.text[span.clone()];
        let quote = usize::from(raw.starts_with(['"', '\'']));
        (span.start + quote + offset).min(span.end)
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
