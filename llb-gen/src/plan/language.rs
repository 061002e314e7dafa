//! A stage's language: which one (at most one key), its version, the package manager the
//! spec names, and the keys that need a language, or another one. What each language accepts
//! comes from `lang`; nothing here names a language.

use serde_spanned::Spanned;

use super::LanguagePlan;
use crate::check::Checker;
use crate::diag::{Code, Diagnostic};
use crate::ir::Span;
use crate::lang::{Lang, StageContext};
use crate::spec;

/// Keys every language stage accepts and plain stages refuse.
const LANGUAGE_STAGE_KEYS: [&str; 7] = [
    "package_manager",
    "install",
    "source",
    "root",
    "build_apt",
    "runtime",
    "install_secrets",
];

/// The language a stage declares, before its own keys are validated.
pub(super) struct Declared {
    /// The language.
    pub lang: Lang,
    /// Its version, interpolated.
    pub version: String,
    /// Span of the language key's value.
    pub span: Span,
    /// The package manager the spec names, if it is one of this language's.
    pub manager: Option<&'static str>,
}

/// Which language the stage is, with the generic checks; `None` for a plain stage.
pub(super) fn declared(checker: &mut Checker, stage: &spec::Stage) -> Option<Declared> {
    let declared: Vec<(Lang, &Spanned<String>)> = Lang::ALL
        .into_iter()
        .filter_map(|lang| lang.value(stage).map(|value| (lang, value)))
        .collect();
    if let [_, (second, value), ..] = declared.as_slice() {
        checker.error(
            Diagnostic::error(
                Code::TwoLanguages,
                format!(
                    "a stage has one language; `{}` is a second one",
                    second.def().key
                ),
                Some(value.span()),
            )
            .with_help(
                "split the work into one stage per language and copy between them with `from`",
            ),
        );
    }
    let named = stage
        .package_manager
        .as_ref()
        .and_then(|m| named_manager(checker, m));
    let Some((lang, version)) = declared.first().copied() else {
        let every_language_key = Lang::ALL.iter().flat_map(|l| l.def().keys);
        for key in every_language_key.chain(&LANGUAGE_STAGE_KEYS) {
            if let Some(span) = stage.key_span(key) {
                checker.error(
                    Diagnostic::error(
                        Code::MisplacedKey,
                        format!("`{key}` needs a language stage"),
                        Some(span),
                    )
                    .with_help(format!("add {} to this stage", language_examples())),
                );
            }
        }
        return None;
    };
    for other in Lang::ALL.into_iter().filter(|other| *other != lang) {
        for key in other.def().keys {
            if let Some(span) = stage.key_span(key) {
                checker.error(
                    Diagnostic::error(
                        Code::MisplacedKey,
                        format!(
                            "`{key}` is for {} stages; this is a {} stage",
                            other.def().title,
                            lang.def().key
                        ),
                        Some(span),
                    )
                    .with_help(format!(
                        "remove `{key}`, or move it to a {} stage",
                        other.def().title
                    )),
                );
            }
        }
    }
    let manager = match named {
        Some((name, of, span)) if of != lang => {
            checker.error(
                Diagnostic::error(
                    Code::UnknownPackageManager,
                    format!("`{name}` is not a {} package manager", lang.def().key),
                    Some(span),
                )
                .with_help(format!("use one of: {}", lang.manager_names().join(", "))),
            );
            None
        }
        Some((name, _, _)) => Some(name),
        None => None,
    };
    let expanded = checker.expanded(version);
    let failed = expanded.is_none();
    let version_text = expanded.unwrap_or_else(|| version.get_ref().clone());
    // The version is the image's tag: `3.11;rm` or `$(id)` makes no image reference.
    let tag_ok = crate::reference::normalize(&lang.image(&version_text)).is_ok();
    let bad =
        version_text.trim().is_empty() || version_text.contains(char::is_whitespace) || !tag_ok;
    if bad && !failed {
        let def = lang.def();
        checker.error(
            Diagnostic::error(
                Code::InvalidVersion,
                format!(
                    "`{}` needs a version such as \"{}\"",
                    def.key, def.example_version
                ),
                Some(version.span()),
            )
            .with_help(format!(
                "the version picks the base image, e.g. {} = \"{}\" means {}",
                def.key,
                def.example_version,
                lang.image(def.example_version)
            )),
        );
    }
    Some(Declared {
        lang,
        version: version_text,
        span: version.span(),
        manager,
    })
}

/// `package_manager`: a name from some language's rows.
fn named_manager(
    checker: &mut Checker,
    value: &Spanned<String>,
) -> Option<(&'static str, Lang, Span)> {
    let rows: Vec<(&'static str, Lang)> = Lang::ALL
        .into_iter()
        .flat_map(|lang| {
            lang.manager_names()
                .into_iter()
                .map(move |name| (name, lang))
        })
        .collect();
    let found = rows
        .iter()
        .find(|(name, _)| *name == value.get_ref().as_str());
    if found.is_none() {
        checker.error(
            Diagnostic::error(
                Code::UnknownPackageManager,
                format!("unknown package manager `{}`", value.get_ref()),
                Some(value.span()),
            )
            .with_suggestion(value.get_ref(), rows.iter().map(|(name, _)| *name)),
        );
    }
    found.map(|(name, lang)| (*name, *lang, value.span()))
}

/// `python = "3.11"`, `node = "20"` or `ruby = "3.1"`.
fn language_examples() -> String {
    let examples: Vec<String> = Lang::ALL
        .iter()
        .map(|lang| format!("`{} = \"{}\"`", lang.def().key, lang.def().example_version))
        .collect();
    match examples.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The language plan: the language's own keys validated.
pub(super) fn language_plan(
    checker: &mut Checker,
    stage: &spec::Stage,
    declared: Declared,
    name: &str,
    workdir: &str,
) -> LanguagePlan {
    let context = StageContext {
        name,
        workdir,
        named: declared.manager,
    };
    LanguagePlan {
        settings: declared.lang.settings(checker, stage, &context),
        version: declared.version,
        span: declared.span,
        manager: declared.manager,
        install: stage.install.as_ref().is_none_or(|i| *i.get_ref()),
        install_secrets: stage
            .install_secrets
            .iter()
            .map(|secret| super::run::secret_mount(checker, &secret.get_ref().0, &secret.span()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key this module refers to by name is one `spec::Stage::key_span` answers for, so
    /// a language key added without it cannot be silently accepted on the wrong stage.
    #[test]
    fn every_key_checked_by_name_has_a_span() {
        let samples = [
            ("requirements", "\"r.txt\""),
            ("venv", "\"/v\""),
            ("installer", "\"pip\""),
            ("package_layers", "true"),
            ("package", "{ tool = \"pex\", entry = \"a\" }"),
            ("package_manager", "\"pip\""),
            ("install", "false"),
            ("source", "false"),
            ("root", "\"r\""),
            ("build_apt", "[\"gcc\"]"),
            ("runtime", "\"minimal\""),
            ("install_secrets", "[\"token\"]"),
        ];
        let keys = Lang::ALL.iter().flat_map(|l| l.def().keys);
        for key in keys.chain(&LANGUAGE_STAGE_KEYS) {
            let (_, value) = samples
                .iter()
                .find(|(k, _)| k == key)
                .unwrap_or_else(|| panic!("add `{key}` to spec::Stage::key_span and here"));
            let stage: spec::Stage = toml::from_str(&format!("{key} = {value}")).unwrap();
            assert!(
                stage.key_span(key).is_some(),
                "key_span does not know `{key}`"
            );
        }
    }
}
