//! Reading TOML into [`Spec`], with serde's errors turned into helpful diagnostics.

use serde::Deserialize;
use toml::de::{DeTable, Deserializer};

use super::tables::Spec;
use super::tree;
use crate::diag::{Code, Diagnostic, Diagnostics, SourceFile, did_you_mean};
use crate::limits::{MAX_ERRORS, MAX_VALUES};

/// `toml`'s nesting limit (dotted keys, tables, arrays): past it, it reports "recursion limit".
const TOML_NESTING: usize = 80;

/// Parses a spec file; a syntax error, every unknown key (not only the first) and every NUL
/// character in a string become located diagnostics.
pub fn parse(file: &SourceFile) -> Result<Spec, Diagnostics> {
    if file.text.len() > crate::limits::MAX_SPEC_BYTES {
        return Err(Diagnostics::single(file, crate::diag::size_error(file)));
    }
    let fail = |items: Vec<Diagnostic>| Diagnostics {
        file: file.clone(),
        items,
    };
    let parse = || DeTable::parse(&file.text).map_err(|error| fail(vec![diagnose(file, &error)]));
    let root = parse()?;
    // Every value costs far more as a typed spec than as text: count before going on.
    if let Some(span) = tree::nth_value(root.get_ref(), MAX_VALUES) {
        let diagnostic = Diagnostic::error(
            Code::LimitExceeded,
            format!(
                "a spec may hold {} values (strings, numbers, tables...); this is one more",
                crate::limits::count(MAX_VALUES)
            ),
            Some(span),
        )
        .with_help(
            "a spec describes the build; keep data in the build context and read it from files",
        );
        return Err(fail(vec![diagnostic]));
    }
    let nul = tree::nul_strings(root.get_ref());
    let left_out = nul.len().saturating_sub(MAX_ERRORS);
    let mut errors: Vec<Diagnostic> = nul
        .into_iter()
        .take(MAX_ERRORS)
        .map(|span| {
            Diagnostic::error(
                Code::NulCharacter,
                "this string holds a NUL character (`\\u0000`)",
                Some(span),
            )
            .with_help("no command, path, name or env value can hold one: remove it")
        })
        .collect();
    let mut root = if errors.is_empty() {
        // A valid spec is read once, from the tree itself rather than a copy of it.
        match Spec::deserialize(Deserializer::from(root)) {
            Ok(spec) => return Ok(spec),
            // Read again below, from the tree parsed again, to report every error.
            Err(_) => parse()?,
        }
    } else {
        root
    };
    // serde stops at the first unknown key: each is reported, removed, and the rest read again.
    for _ in 0..MAX_ERRORS {
        let error = match Spec::deserialize(Deserializer::from(root.clone())) {
            Ok(spec) if errors.is_empty() => return Ok(spec),
            Ok(_) => break,
            Err(error) => error,
        };
        let diagnostic = diagnose(file, &error);
        if let (Some(missing), Some(table)) = (missing_field(error.message()), error.span()) {
            // `healthcheck = { test = [...] }`: `test` was reported with "did you mean
            // `cmd`?" and removed; that `cmd` is then missing says nothing more.
            let said = format!("did you mean `{missing}`?");
            let cascade = errors.iter().any(|d| {
                d.help.as_deref() == Some(said.as_str())
                    && d.span.as_ref().is_some_and(|s| table.contains(&s.start))
            });
            // The table goes instead, so that what follows it is read too.
            if cascade && tree::remove_value(root.get_mut(), &table) {
                continue;
            }
        }
        let removed = diagnostic.code == Code::UnknownKey.name()
            && error
                .span()
                .is_some_and(|span| tree::remove_key(root.get_mut(), &span));
        errors.push(diagnostic);
        if !removed {
            break;
        }
    }
    errors.sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
    Err(fail(crate::diag::capped(errors, left_out)))
}

/// The field a "missing field" error names.
fn missing_field(message: &str) -> Option<&str> {
    message
        .trim()
        .strip_prefix("missing field `")?
        .split('`')
        .next()
}

/// A `toml` error as a diagnostic, placed even when `toml` gives no location.
fn diagnose(file: &SourceFile, error: &toml::de::Error) -> Diagnostic {
    let span = error.span().or_else(|| {
        error
            .message()
            .contains("recursion limit")
            .then(|| tree::deep_key(&file.text, TOML_NESTING))
            .flatten()
    });
    let key = span.as_ref().and_then(|s| key_before(&file.text, s.start));
    explain(error.message(), span, key.as_deref())
}

/// The key a value belongs to: the text before `=` on the value's line, or in an inline table.
fn key_before(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset)?;
    let eq = before.rfind('=')?;
    let start = before[..eq].rfind(['\n', '{', ',']).map_or(0, |i| i + 1);
    let key = before[start..eq].trim().trim_matches('"');
    (!key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)))
    .then(|| key.to_owned())
}

/// An example of the right type for a key, for type errors.
fn example_for(key: &str, expected: &str) -> String {
    match key {
        "cmd" | "entrypoint" => {
            format!("{key} = [\"python\", \"app.py\"] (exec form: a list of strings)")
        }
        "run" => "run = [\"npm run build\"] (a list of commands)".to_owned(),
        "apt" => "apt = [\"libpq5\", \"curl\"]".to_owned(),
        "copy" => "copy = [{ src = \".\", dest = \"/app/\" }]".to_owned(),
        "expose" => "expose = [8000]".to_owned(),
        "mode" => "mode = \"0755\" (octal, as a string)".to_owned(),
        "python" | "node" | "ruby" => format!("{key} = \"3.11\" (the version, as a string)"),
        _ if expected.contains("sequence") => format!("{key} = [\"...\"]"),
        _ if expected.contains("string") => format!("{key} = \"...\""),
        _ if expected.contains("bool") => format!("{key} = true"),
        _ if expected.contains("i64") || expected.contains("integer") => format!("{key} = 3"),
        _ => format!("{key} = ... (see docs/stagefile.md)"),
    }
}

/// Words people write for a key, from Dockerfiles and other tools, and the key they mean.
/// Dockerfile instructions that are Stagefile keys in upper case (`RUN`, `FROM`, `COPY`,
/// `CMD`, `USER`, `ENTRYPOINT`, `EXPOSE`, `ENV`, `WORKDIR`, `HEALTHCHECK`) need no row:
/// [`suggest`] compares in lower case.
const SYNONYMS: [(&str, &str); 25] = [
    ("command", "cmd"),
    ("commands", "run"),
    ("steps", "run"),
    ("build", "run"),
    ("script", "run"),
    ("image", "from"),
    ("base", "from"),
    ("packages", "apt"),
    ("apt_packages", "apt"),
    ("ports", "expose"),
    ("environment", "env"),
    ("label", "labels"),
    ("working_dir", "workdir"),
    ("target", "dest"),
    ("destination", "dest"),
    ("source", "src"),
    // Dockerfile words.
    ("arg", "args"),
    ("add", "copy"),
    ("chown", "owner"),
    ("chmod", "mode"),
    ("test", "cmd"),
    ("stopsignal", "stop_signal"),
    ("mount", "cache"),
    ("mounts", "cache"),
    ("maintainer", "labels"),
];

/// The known key closest to `field`, directly or through a synonym (`comand` -> `cmd`), in
/// any case (`RUN` -> `run`).
fn suggest<'a>(field: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = field.to_ascii_lowercase();
    if let Some(key) = known.iter().copied().find(|k| *k == lower) {
        return Some(key);
    }
    let exact = SYNONYMS.iter().find(|(word, _)| *word == lower);
    if let Some(key) = exact.and_then(|(_, meant)| known.iter().copied().find(|k| k == meant)) {
        return Some(key);
    }
    if let Some(best) = did_you_mean(&lower, known.iter().copied()) {
        return Some(best);
    }
    let words = SYNONYMS.iter().map(|(word, _)| *word);
    let word = did_you_mean(&lower, words)?;
    let meant = SYNONYMS.iter().find(|(w, _)| *w == word)?.1;
    known.iter().copied().find(|k| *k == meant)
}

/// Rewrites serde's wording into a diagnostic with advice.
fn explain(message: &str, span: Option<std::ops::Range<usize>>, key: Option<&str>) -> Diagnostic {
    let message = message.trim();
    if let Some(rest) = message.strip_prefix("invalid type: ")
        && let Some((found, expected)) = rest.split_once(", expected ")
    {
        let expected = expected.trim_end_matches('.');
        let subject = key.map_or_else(|| "this value".to_owned(), |k| format!("`{k}`"));
        let wanted = match expected {
            "a sequence" => "a list",
            "i64" => "an integer",
            other => other,
        };
        return Diagnostic::error(
            Code::WrongType,
            format!("{subject} must be {wanted}, not {found}"),
            span,
        )
        .with_help(format!(
            "write it as {}",
            example_for(key.unwrap_or("key"), expected)
        ));
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        let mut diagnostic =
            Diagnostic::error(Code::UnknownKey, format!("unknown key `{field}`"), span)
                .with_label("not a key of this table");
        diagnostic.help = Some(match suggest(field, &known) {
            Some(best) => format!("did you mean `{best}`?"),
            None if known.is_empty() => "remove this key".to_owned(),
            None => format!("known keys here: {}", known.join(", ")),
        });
        return diagnostic;
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        return Diagnostic::error(Code::MissingKey, format!("missing key `{field}`"), span)
            .with_help(format!("add `{field} = ...` to this table"));
    }
    let first_line = message.lines().next().unwrap_or(message);
    let help = if first_line.contains("recurs") {
        "tables, arrays and dotted keys nest at most 80 deep here; a Stagefile needs a few levels"
    } else if first_line.contains("duplicate key") {
        "each key may appear once per table: remove or merge the second one"
    } else if key.is_none() || first_line.contains("expected") || first_line.contains("invalid") {
        "check the TOML syntax here: quotes around strings, `[...]` for lists, `{ ... }` on one line for inline tables"
    } else {
        "see docs/stagefile.md for the keys and value types each table accepts"
    };
    Diagnostic::error(Code::TomlSyntax, first_line.to_owned(), span).with_help(help)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> Diagnostic {
        let file = SourceFile::new("Stagefile.toml", text);
        parse(&file).unwrap_err().items.remove(0)
    }

    #[test]
    fn misspelled_stage_key_suggests_the_right_one() {
        let d = error_of("[stage.app]\npyton = \"3.11\"\n");
        assert_eq!(d.message, "unknown key `pyton`");
        assert_eq!(d.help.as_deref(), Some("did you mean `python`?"));
        assert_eq!(d.span, Some(12..17));
    }

    #[test]
    fn misspelled_key_in_run_table_is_found() {
        let d = error_of("[stage.app]\nrun = [{ cmd = \"x\", cahce = [\"/c\"] }]\n");
        assert_eq!(d.message, "unknown key `cahce`");
        assert_eq!(d.help.as_deref(), Some("did you mean `cache`?"));
    }

    #[test]
    fn synonyms_lead_to_the_key() {
        let d = error_of("[stage.app]\ncomand = [\"true\"]\n");
        assert_eq!(d.help.as_deref(), Some("did you mean `cmd`?"));
        let d = error_of("[stage.app]\npackages = [\"curl\"]\n");
        assert_eq!(d.help.as_deref(), Some("did you mean `apt`?"));
    }

    #[test]
    fn dockerfile_words_lead_to_the_key() {
        for (text, key) in [
            ("[stage.a]\nRUN = [\"x\"]\n", "run"),
            ("[stage.a]\nFROM = \"x\"\n", "from"),
            ("[stage.a]\nCOPY = []\n", "copy"),
            ("[stage.a]\nCMD = []\n", "cmd"),
            ("[stage.a]\nUSER = \"x\"\n", "user"),
            ("[stage.a]\nENTRYPOINT = []\n", "entrypoint"),
            ("[stage.a]\nEXPOSE = []\n", "expose"),
            ("ARG = 1\n", "args"),
            (
                "[stage.a]\ncopy = [{ src = \".\", dest = \"/\", chown = \"app\" }]\n",
                "owner",
            ),
            (
                "[stage.a]\ncopy = [{ src = \".\", dest = \"/\", chmod = \"0755\" }]\n",
                "mode",
            ),
            ("[stage.a]\nhealthcheck = { cmd = [], test = [] }\n", "cmd"),
        ] {
            let d = error_of(text);
            assert_eq!(d.help, Some(format!("did you mean `{key}`?")), "{text}");
        }
        // `cmd` is then missing: not reported again.
        let file = SourceFile::new("S.toml", "[stage.a]\nhealthcheck = { test = [\"true\"] }\n");
        let errors = parse(&file).unwrap_err().items;
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].help.as_deref(), Some("did you mean `cmd`?"));
    }

    #[test]
    fn every_unknown_key_is_reported_in_order() {
        let file = SourceFile::new(
            "S.toml",
            "[stage.a]\nRUN = [\"x\"]\nfrm = \"y\"\ncopy = [{ src = \".\", dest = \"/\", chown = \"app\" }]\n",
        );
        let errors = parse(&file).unwrap_err().items;
        let messages: Vec<&str> = errors.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "unknown key `RUN`",
                "unknown key `frm`",
                "unknown key `chown`"
            ]
        );
    }

    #[test]
    fn nul_characters_and_deep_keys_are_located() {
        let d = error_of("[stage.a]\nrun = [\"echo a\\u0000b\"]\n");
        assert_eq!(d.code, "NulCharacter");
        assert_eq!(d.span, Some(17..32));
        let deep = format!("[stage.a]\n{} = 1\n", vec!["k"; 100].join("."));
        let d = error_of(&deep);
        assert_eq!(d.message, "recursion limit");
        assert_eq!(d.span.map(|s| s.start), Some(10));
    }

    #[test]
    fn syntax_errors_have_a_span() {
        let d = error_of("[stage.app\n");
        assert!(d.span.is_some());
    }

    #[test]
    fn accepts_short_and_long_forms() {
        let file = SourceFile::new(
            "S.toml",
            r#"
[args]
PY = "3.11"
[stage.a]
python = "${PY}"
requirements = "requirements.txt"
source = false
expose = [8000, "53/udp"]
run = ["echo hi", { cmd = ["make"], cache = ["/c", { target = "/d", sharing = "locked" }], secret = ["tok"], ssh = true }]
"#,
        );
        let spec = parse(&file).unwrap();
        let stage = &spec.stage[0];
        assert_eq!(stage.get_ref().run.len(), 2);
        assert_eq!(stage.get_ref().expose.len(), 2);
    }
}
