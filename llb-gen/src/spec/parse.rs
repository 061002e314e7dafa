//! Reading TOML into [`Spec`], with serde's errors turned into helpful diagnostics.

use super::tables::Spec;
use crate::diag::{Code, Diagnostic, Diagnostics, SourceFile, did_you_mean};

/// Parses a spec file; a syntax error or an unknown key becomes a located diagnostic.
pub fn parse(file: &SourceFile) -> Result<Spec, Diagnostics> {
    if file.text.len() > crate::limits::MAX_SPEC_BYTES {
        return Err(Diagnostics::single(file, crate::diag::size_error(file)));
    }
    toml::from_str::<Spec>(&file.text).map_err(|error| {
        let span = error.span();
        let key = span.as_ref().and_then(|s| key_before(&file.text, s.start));
        Diagnostics::single(file, explain(error.message(), span, key.as_deref()))
    })
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
const SYNONYMS: [(&str, &str); 16] = [
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
];

/// The known key closest to `field`, directly or through a synonym (`comand` -> `cmd`).
fn suggest<'a>(field: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = field.to_ascii_lowercase();
    let exact = SYNONYMS.iter().find(|(word, _)| *word == lower);
    if let Some(key) = exact.and_then(|(_, meant)| known.iter().copied().find(|k| k == meant)) {
        return Some(key);
    }
    if let Some(best) = did_you_mean(field, known.iter().copied()) {
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
    let help = if first_line.contains("duplicate key") {
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
