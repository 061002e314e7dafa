//! Diagnostics: what went wrong, where in the Stagefile, and how to fix it.
//!
//! Every phase reports problems as [`Diagnostic`]s carrying a byte span into the
//! [`SourceFile`]. They are rendered like cargo's errors (with `annotate-snippets`) and can be
//! turned into 1-based line ranges for BuildKit's source-located errors.

use std::fmt;
use std::ops::Range;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::limits::{self, MAX_ERRORS, MAX_EXPANSION_BYTES, MAX_SPEC_BYTES, count};
pub use crate::source::SourceFile;
use crate::source::floor_char_boundary;

impl SourceFile {
    /// A spec file from the bytes read: refused, with the place, when it is larger than
    /// [`MAX_SPEC_BYTES`] or not UTF-8 (TOML is UTF-8). The CLI and the frontend read specs
    /// through this, so both report the same errors.
    pub fn from_bytes(name: impl Into<String>, mut bytes: Vec<u8>) -> Result<Self, Diagnostics> {
        let name = name.into();
        let too_large = bytes.len() > MAX_SPEC_BYTES;
        bytes.truncate(MAX_SPEC_BYTES);
        let error = match String::from_utf8(bytes) {
            Ok(text) if !too_large => return Ok(Self::new(name, text)),
            Ok(text) => {
                let file = Self::new(name, text);
                return Err(Diagnostics::single(&file, size_error(&file)));
            }
            Err(error) => error,
        };
        let at = error.utf8_error().valid_up_to();
        // A character cut at the size limit is not the file's fault: that error is the size.
        if too_large && error.utf8_error().error_len().is_none() {
            let file = Self::new(name, String::from_utf8_lossy(&error.as_bytes()[..at]));
            return Err(Diagnostics::single(&file, size_error(&file)));
        }
        let file = Self::new(name, String::from_utf8_lossy(error.as_bytes()));
        // The lossy text has U+FFFD (3 bytes) where the first bad bytes were.
        let diagnostic = Diagnostic::error(
            Code::TomlSyntax,
            "the file is not valid UTF-8 here",
            Some(at..at + 3),
        )
        .with_help("TOML files are UTF-8: save the file as UTF-8");
        Err(Diagnostics::single(&file, diagnostic))
    }
}

/// The error for a spec cut at [`MAX_SPEC_BYTES`], at its end.
pub(crate) fn size_error(file: &SourceFile) -> Diagnostic {
    let end = floor_char_boundary(&file.text, MAX_SPEC_BYTES.min(file.text.len()));
    let start = floor_char_boundary(&file.text, end.saturating_sub(1));
    Diagnostic::error(
        Code::LimitExceeded,
        format!(
            "{} is larger than {}, the most Stagefile reads",
            file.name,
            limits::size(MAX_SPEC_BYTES)
        ),
        Some(start..end),
    )
    .with_help("a spec describes the build; keep data in the build context and read it from files")
}

/// The error for the value at `span` whose `${ARG}` or env expansion went past
/// [`MAX_EXPANSION_BYTES`].
pub fn expansion_limit(span: Option<Range<usize>>) -> Diagnostic {
    Diagnostic::error(
        Code::LimitExceeded,
        format!(
            "build args and env values expand to more than {} here",
            limits::size(MAX_EXPANSION_BYTES)
        ),
        span,
    )
    .with_help(
        "expansion may add at most that much to the spec's values in all (a build arg counts once per use); pass large data as a file in the build context or as a secret",
    )
}

/// `errors` cut to [`MAX_ERRORS`], with one more saying how many were left out.
pub fn capped(mut errors: Vec<Diagnostic>, left_out: usize) -> Vec<Diagnostic> {
    let left_out = left_out + errors.len().saturating_sub(MAX_ERRORS);
    errors.truncate(MAX_ERRORS);
    if left_out > 0 {
        errors.push(
            Diagnostic::error(
                Code::LimitExceeded,
                format!("{} more errors are not shown", count(left_out)),
                None,
            )
            .with_help(format!(
                "Stagefile reports the first {MAX_ERRORS}; fix them and build again"
            )),
        );
    }
    errors
}

/// Severity of a diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The build cannot go on.
    Error,
    /// The build goes on, but the user should know.
    Warning,
}

/// Defines [`Code`]: each variant with the one line the docs' error table gives it.
macro_rules! codes {
    ($($name:ident: $summary:literal,)*) => {
        /// What kind of error a diagnostic is: a stable name, shown as `error[Name]`, that
        /// tools and users can match on while the message wording changes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        pub enum Code {
            $(#[doc = $summary] $name,)*
        }

        impl Code {
            /// Every code, in the order `docs/stagefile.md` lists them.
            pub const ALL: &'static [Code] = &[$(Code::$name),*];

            /// The stable name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Code::$name => stringify!($name),)*
                }
            }

            /// One line on what the code means.
            pub fn summary(self) -> &'static str {
                match self {
                    $(Code::$name => $summary,)*
                }
            }
        }
    };
}

codes! {
    TomlSyntax: "The file is not valid TOML (or has a duplicate key).",
    UnknownKey: "A table has a key it does not accept.",
    MissingKey: "A table lacks a key it requires.",
    WrongType: "A value has the wrong type (a string where a list belongs, say).",
    NulCharacter: "A string holds a NUL character, which no command, path or env value can carry.",
    NoStage: "The spec defines no stage.",
    InvalidName: "A stage, build arg, env var or user name, or a secret, ssh or cache id, has characters it may not have.",
    UnknownArg: "`${NAME}` names no build arg.",
    InvalidArg: "A build arg's default is not a string, number or boolean.",
    ArgInScript: "`${NAME}` is written into the shell script of `cmd` or `entrypoint`, where its value would run as code.",
    TwoDefaults: "More than one stage is marked `default = true`.",
    UnknownTarget: "`--target` names no stage.",
    DependencyCycle: "Stages use each other in a cycle, or a stage starts from itself.",
    NoBase: "A stage has neither `from` nor a language.",
    InvalidImage: "`from` is neither a stage nor a valid image reference.",
    TwoLanguages: "A stage sets more than one language.",
    MisplacedKey: "A key belongs to language stages, or to another language.",
    InvalidVersion: "A language version is empty or has spaces.",
    UnknownPackageManager: "`package_manager` names no manager, or one of another language.",
    RequirementsNotPip: "`requirements` is set together with a manager other than pip.",
    MissingFile: "A file the package manager needs is not in the build context.",
    NoLockfile: "A project manifest has no lockfile, so the install could not be frozen.",
    InvalidPath: "A path is relative where it must be absolute, leaves the build context, a requirement file, or a local package a requirement file or `uv.lock` installs, lies outside the directory the build copies (the stage's `root`, or its uv workspace's), or `Gemfile.lock` has a path gem outside the build context.",
    InvalidPackage: "An `apt` entry is not a Debian package name.",
    InvalidPort: "An `expose` entry is not a port.",
    EmptyCommand: "A run step, `cmd` or `entrypoint` is empty.",
    InvalidDuration: "A health check duration is not like `30s` or `1m30s`.",
    InvalidCopy: "A copy lacks `src` or `dest`, or mixes `path` with them.",
    UnknownStage: "A copy's `from` names no stage, or a stage's `from` is a bare name one typo away from a stage.",
    NoOutputs: "A copy takes a stage's outputs, but the stage declares none.",
    InvalidOwner: "A copy's `owner` is not `user`, `user:group` or `uid:gid`.",
    InvalidMode: "A copy's `mode` is not an octal file mode.",
    UnknownValue: "A value is not one of the words its key accepts.",
    OutOfRange: "A number is outside the range it may take (health check `retries`, `SOURCE_DATE_EPOCH`).",
    InvalidEntry: "A package's `entry` is not `module:function` or a module.",
    InstallerMismatch: "`installer` names a tool that cannot install the project's lockfile.",
    InvalidUser: "`user` is empty, or the user to create has an invalid name, id or home.",
    LimitExceeded: "The spec, its expanded values or the build it describes exceed a size limit.",
    Unsupported: "The project is set up in a way Stagefile cannot build into a working image yet (Yarn's Plug'n'Play).",
    Internal: "Stagefile failed at something that should not fail: please report it.",
}

/// A warning rule: findings that do not stop the build, each with its name, its level and
/// a section of `docs/stagefile.md` that explains it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable name, BuildKit's `ruleName` in `--call=check`.
    pub name: &'static str,
    /// One line on what it finds.
    pub description: &'static str,
    /// The anchor of its section in `docs/stagefile.md`.
    pub docs: &'static str,
}

/// The warning rules, in the order `docs/stagefile.md` lists them.
pub const RULES: [&Rule; 7] = [
    &RUNS_AS_ROOT,
    &PIP_KEPT,
    &UNLOCKED_DEPENDENCIES,
    &PYTHON_VERSION_MISMATCH,
    &PACKAGE_LAYERS_UNUSED,
    &UNSUPPORTED_OPTION,
    &ARG_IN_SINGLE_QUOTES,
];

/// The target image runs as root.
pub const RUNS_AS_ROOT: Rule = Rule {
    name: "RunsAsRoot",
    description: "The final image runs as root instead of the non-root user Stagefile creates.",
    docs: "runsasroot",
};

/// pip installs a Python stage's dependencies instead of uv, without the spec asking.
pub const PIP_KEPT: Rule = Rule {
    name: "PipKept",
    description: "pip installs a Python stage's dependencies instead of uv, because a requirement file or a run step needs it.",
    docs: "pipkept",
};

/// A Python project without a lockfile is installed: its dependencies are not pinned.
pub const UNLOCKED_DEPENDENCIES: Rule = Rule {
    name: "UnlockedDependencies",
    description: "A Python stage installs a project that has no lockfile, so a rebuild may get other versions of its dependencies.",
    docs: "unlockeddependencies",
};

/// A Python stage runs another Python than the one its project asks for.
pub const PYTHON_VERSION_MISMATCH: Rule = Rule {
    name: "PythonVersionMismatch",
    description: "A Python stage runs another Python version than its Pipfile or pyproject.toml asks for.",
    docs: "pythonversionmismatch",
};

/// `package_layers = true` where no image holds the virtualenv.
pub const PACKAGE_LAYERS_UNUSED: Rule = Rule {
    name: "PackageLayersUnused",
    description: "A Python stage sets package_layers, but no image gets its virtualenv by copies, so it changes nothing.",
    docs: "packagelayersunused",
};

/// A build option the frontend does not support was given and ignored.
pub const UNSUPPORTED_OPTION: Rule = Rule {
    name: "UnsupportedOption",
    description: "A build option the Stagefile frontend does not support was ignored.",
    docs: "unsupportedoption",
};

/// A shell script names a build arg inside single quotes, where the shell does not expand it.
pub const ARG_IN_SINGLE_QUOTES: Rule = Rule {
    name: "ArgInSingleQuotes",
    description: "A run step's shell script writes a build arg inside single quotes, where the shell leaves it unexpanded.",
    docs: "arginsinglequotes",
};

/// One problem found in a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The error's [`Code`] or the warning's [`Rule`] name.
    pub code: &'static str,
    /// What is wrong, in one sentence.
    pub message: String,
    /// Where (byte range in the spec); `None` for problems of the whole file or of the options.
    pub span: Option<Range<usize>>,
    /// A label shown under the highlighted text.
    pub label: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error of a kind at a span.
    pub fn error(code: Code, message: impl Into<String>, span: Option<Range<usize>>) -> Self {
        Self {
            severity: Severity::Error,
            code: code.name(),
            message: message.into(),
            span,
            label: None,
            help: None,
        }
    }

    /// A warning of a rule at a span.
    pub fn warning(rule: &Rule, message: impl Into<String>, span: Option<Range<usize>>) -> Self {
        Self {
            severity: Severity::Warning,
            code: rule.name,
            message: message.into(),
            span,
            label: None,
            help: None,
        }
    }

    /// Adds a label under the highlighted text.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Adds advice on how to fix the problem.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds advice unless a "did you mean" hint is already there.
    pub fn with_help_if_none(self, help: impl Into<String>) -> Self {
        if self.help.is_some() {
            self
        } else {
            self.with_help(help)
        }
    }

    /// Adds a "did you mean" hint when a known name is close to `got`.
    pub fn with_suggestion<'a>(self, got: &str, known: impl IntoIterator<Item = &'a str>) -> Self {
        match did_you_mean(got, known) {
            Some(best) => self.with_help(format!("did you mean `{best}`?")),
            None => self,
        }
    }

    /// 1-based first and last line of the span, if it has one.
    pub fn line_range(&self, file: &SourceFile) -> Option<(usize, usize)> {
        let span = self.span.as_ref()?;
        let (start, _) = file.line_col(span.start);
        let end_offset = span.end.max(span.start + 1) - 1;
        let (end, _) = file.line_col(end_offset.max(span.start));
        Some((start, end.max(start)))
    }
}

/// The closest known name to `got`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(got: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(got, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, candidate)| candidate)
}

/// All problems found in one spec, with the file they refer to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics {
    /// The spec the spans point into.
    pub file: SourceFile,
    /// The problems, in the order they were found.
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// A set holding one diagnostic.
    pub fn single(file: &SourceFile, diagnostic: Diagnostic) -> Self {
        Self {
            file: file.clone(),
            items: vec![diagnostic],
        }
    }

    /// Renders every diagnostic like cargo does; `color` adds ANSI styles.
    pub fn render(&self, color: bool) -> String {
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let mut out = String::new();
        for item in &self.items {
            out.push_str(&render_one(&renderer, &self.file, item));
            out.push('\n');
        }
        let errors = self
            .items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        if errors > 1 {
            out.push_str(&format!(
                "error: {} could not be compiled: {errors} errors\n",
                self.file.name
            ));
        }
        out
    }

    /// A one-line summary: the first error's location and message.
    pub fn summary(&self) -> String {
        let Some(first) = self.items.first() else {
            return format!("{}: invalid spec", self.file.name);
        };
        let location = match &first.span {
            Some(span) => {
                let (line, col) = self.file.line_col(span.start);
                format!("{}:{line}:{col}", self.file.name)
            }
            None => self.file.name.clone(),
        };
        let more = match self.items.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        format!("{location}: {}{more}", first.message)
    }
}

/// The most bytes of source lines one diagnostic shows.
const LONGEST_SHOWN_LINES: usize = 16 * 1024;

fn render_one(renderer: &Renderer, file: &SourceFile, item: &Diagnostic) -> String {
    let level = match item.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let title = level.primary_title(item.message.as_str()).id(item.code);
    let mut group = Group::with_title(title);
    if let Some(span) = &item.span {
        let span = clamp_span(&file.text, span.clone());
        // Only the lines the span touches go to the renderer, which reads all it is given:
        // fifty errors in a large spec would otherwise scan it fifty times.
        let first = file.text[..span.start].rfind('\n').map_or(0, |i| i + 1);
        let last = file.text[span.end..]
            .find('\n')
            .map_or(file.text.len(), |i| span.end + i);
        if last - first > LONGEST_SHOWN_LINES {
            // Rendering reads every character of the lines shown: a line of a megabyte, once
            // per error, is the place only.
            let (line, column) = file.line_col(span.start);
            group = group.element(Level::NOTE.message(format!(
                "at {}:{line}:{column} (the line is too long to show)",
                file.name
            )));
        } else {
            let mut annotation = AnnotationKind::Primary.span(span.start - first..span.end - first);
            if let Some(label) = &item.label {
                annotation = annotation.label(label.as_str());
            }
            group = group.element(
                Snippet::source(&file.text[first..last])
                    .line_start(file.line_col(first).0)
                    .path(file.name.as_str())
                    .fold(true)
                    .annotation(annotation),
            );
        }
    } else {
        group = group.element(Level::NOTE.message(format!("in {}", file.name)));
    }
    if let Some(help) = &item.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    renderer.render(&[group])
}

fn clamp_span(text: &str, span: Range<usize>) -> Range<usize> {
    let start = floor_char_boundary(text, span.start.min(text.len()));
    let end = floor_char_boundary(text, span.end.min(text.len())).max(start);
    start..end
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let known = ["requirements", "python", "node"];
        assert_eq!(did_you_mean("requirments", known), Some("requirements"));
        assert_eq!(did_you_mean("zzz", known), None);
    }

    #[test]
    fn renders_location_and_help() {
        let file = SourceFile::new("Stagefile.toml", "[stage.a]\npyton = \"3.11\"\n");
        let diag = Diagnostic::error(Code::UnknownKey, "unknown key `pyton`", Some(10..15))
            .with_suggestion("pyton", ["python"]);
        let text = Diagnostics::single(&file, diag).render(false);
        assert!(text.contains("Stagefile.toml:2:1"), "{text}");
        assert!(text.contains("did you mean `python`?"), "{text}");
    }
}
