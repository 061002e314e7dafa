//! Validating one `[stage.NAME]` table into a [`StagePlan`].

use serde_spanned::Spanned;

use super::build::Checker;
use super::{
    Base, ImageSettings, Language, LanguagePlan, Manager, PackagePlan, PackageTool, RunPlan,
    StagePlan, UserSetting,
};
use crate::diag::Diagnostic;
use crate::image::HealthConfig;
use crate::ir::{CopyFrom, FileCopy, Mount, Network, Owner, Sharing, Span};
use crate::options::CompileOptions;
use crate::reference;
use crate::spec::{self, MountList, OneOrMany, SourceSetting, SshSetting};

/// Files a language stage's default source copy leaves out.
pub const DEFAULT_EXCLUDES: [&str; 9] = [
    ".git",
    "**/node_modules",
    "**/__pycache__",
    "**/*.pyc",
    ".venv",
    ".bundle",
    "vendor/bundle",
    "Stagefile.toml",
    ".dockerignore",
];

pub(super) fn build(
    checker: &mut Checker,
    index: usize,
    name: &Spanned<String>,
    table: &Spanned<spec::Stage>,
    options: &CompileOptions,
) -> StagePlan {
    let stage = table.get_ref();
    check_stage_name(checker, name);
    let mut language = language(checker, stage);
    let base = base(checker, index, name, stage, language.as_ref());
    let root = match &stage.root {
        Some(root) => context_path(checker, root, "root"),
        None => String::new(),
    };
    let workdir = match &stage.workdir {
        Some(dir) => Some(absolute(checker, dir, "workdir")),
        None => language.as_ref().map(|_| "/app".to_owned()),
    };
    if let (Some(lang), Some(package)) = (language.as_mut(), &stage.package)
        && lang.kind == Language::Python
    {
        let workdir = workdir.as_deref().unwrap_or("/app");
        lang.package = package_plan(checker, package, name.get_ref(), workdir);
    }
    let user = super::user::user_setting(checker, stage.user.as_ref());
    let copies = stage
        .copy
        .iter()
        .map(|copy| copy_plan(checker, copy, workdir.as_deref(), &user))
        .collect();
    let runs: Vec<RunPlan> = stage.run.iter().map(|run| run_plan(checker, run)).collect();
    let image = image_settings(checker, stage);
    let source = source_plan(
        checker,
        stage,
        language.as_ref(),
        &root,
        &runs,
        &image,
        workdir.as_deref(),
    );
    let apt: Vec<String> = stage.apt.iter().map(|p| checker.value(p)).collect();
    for (package, written) in apt.iter().zip(&stage.apt) {
        if package.is_empty()
            || !package
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.:=~_*".contains(c))
        {
            checker.error(
                Diagnostic::error(
                    format!("`{package}` is not a Debian package name"),
                    Some(written.span()),
                )
                .with_help("write one package per string, e.g. apt = [\"libpq5\", \"curl\"]"),
            );
        }
    }
    let outputs = stage
        .outputs
        .iter()
        .map(|output| output_path(checker, output))
        .collect();
    let env = stage
        .env
        .iter()
        .map(|(key, value)| {
            if !is_env_name(key.get_ref()) {
                checker.error(
                    Diagnostic::error(
                        format!("`{}` is not a valid env var name", key.get_ref()),
                        Some(key.span()),
                    )
                    .with_help("use letters, digits and `_`, starting with a letter or `_`"),
                );
            }
            // Kept as written: lowering expands `$NAME` once, against the env so far and the args.
            let text = value.get_ref().clone();
            (
                key.get_ref().clone(),
                text,
                key.span().start..value.span().end,
            )
        })
        .collect();
    StagePlan {
        name: name.get_ref().clone(),
        span: name.span(),
        description: stage.description.as_ref().map(|d| d.get_ref().clone()),
        is_default: stage.default.as_ref().is_some_and(|d| *d.get_ref()),
        base,
        language,
        root,
        apt,
        apt_span: stage.apt.first().map_or(name.span(), |first| {
            first.span().start..stage.apt.last().map_or(first.span().end, |l| l.span().end)
        }),
        workdir,
        source,
        copies,
        runs,
        outputs,
        env,
        image,
        user,
        replaced: options.named_contexts.contains_key(name.get_ref()),
        no_cache: options
            .no_cache
            .as_ref()
            .is_some_and(|stages| stages.is_empty() || stages.contains(name.get_ref())),
    }
}

fn check_stage_name(checker: &mut Checker, name: &Spanned<String>) {
    let text = name.get_ref();
    let valid = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
    if !valid {
        checker.error(
            Diagnostic::error(
                format!("`{text}` is not a valid stage name"),
                Some(name.span()),
            )
            .with_help("use lower-case letters, digits, `-`, `_` and `.`, e.g. [stage.app]"),
        );
    }
}

fn language(checker: &mut Checker, stage: &spec::Stage) -> Option<LanguagePlan> {
    let declared: Vec<(Language, &Spanned<String>)> = [
        (Language::Python, &stage.python),
        (Language::Node, &stage.node),
        (Language::Ruby, &stage.ruby),
    ]
    .into_iter()
    .filter_map(|(lang, value)| value.as_ref().map(|v| (lang, v)))
    .collect();
    if let [_, (second, value), ..] = declared.as_slice() {
        checker.error(
            Diagnostic::error(
                format!(
                    "a stage has one language; `{}` is a second one",
                    second.name()
                ),
                Some(value.span()),
            )
            .with_help(
                "split the work into one stage per language and copy between them with `from`",
            ),
        );
    }
    let manager = stage.package_manager.as_ref().and_then(|m| {
        let found = Manager::ALL
            .iter()
            .find(|(_, name, _)| *name == m.get_ref().as_str());
        if found.is_none() {
            let names = Manager::ALL.iter().map(|(_, name, _)| *name);
            checker.error(
                Diagnostic::error(
                    format!("unknown package manager `{}`", m.get_ref()),
                    Some(m.span()),
                )
                .with_suggestion(m.get_ref(), names),
            );
        }
        found.map(|(manager, _, lang)| (*manager, *lang, m.span()))
    });
    let Some((kind, version)) = declared.first().copied() else {
        for (key, span) in python_only_keys(stage)
            .into_iter()
            .chain(language_only_keys(stage))
        {
            checker.error(
                Diagnostic::error(format!("`{key}` needs a language stage"), Some(span)).with_help(
                    "add `python = \"3.11\"`, `node = \"20\"` or `ruby = \"3.1\"` to this stage",
                ),
            );
        }
        return None;
    };
    if kind != Language::Python {
        for (key, span) in python_only_keys(stage) {
            checker.error(
                Diagnostic::error(
                    format!(
                        "`{key}` is for Python stages; this is a {} stage",
                        kind.name()
                    ),
                    Some(span),
                )
                .with_help(format!("remove `{key}`, or move it to a Python stage")),
            );
        }
    }
    let manager = match manager {
        Some((manager, lang, span)) if lang != kind => {
            checker.error(
                Diagnostic::error(
                    format!(
                        "`{}` is not a {} package manager",
                        manager.name(),
                        kind.name()
                    ),
                    Some(span),
                )
                .with_help(format!(
                    "use one of: {}",
                    Manager::ALL
                        .iter()
                        .filter(|(_, _, l)| *l == kind)
                        .map(|(_, n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
            None
        }
        Some((manager, _, _)) => Some(manager),
        None => None,
    };
    let requirements: Vec<String> = spanned_list(&stage.requirements)
        .iter()
        .map(|path| context_path(checker, path, "requirements"))
        .collect();
    let manager = match manager {
        None if !requirements.is_empty() => Some(Manager::Pip),
        Some(m) if m != Manager::Pip && !requirements.is_empty() => {
            let span = stage.requirements.as_ref().map(|r| r.span());
            checker.error(
                Diagnostic::error(format!("`requirements` is for pip, but the package manager is `{}`", m.name()), span)
                    .with_help("remove `requirements` (the lockfile lists the dependencies) or set package_manager = \"pip\""),
            );
            Some(m)
        }
        other => other,
    };
    let version_text = checker.value(version);
    if version_text.trim().is_empty() || version_text.contains(char::is_whitespace) {
        checker.error(
            Diagnostic::error(
                format!("`{}` needs a version such as \"3.11\"", kind.name()),
                Some(version.span()),
            )
            .with_help(
                "the version picks the base image, e.g. python = \"3.11\" means python:3.11-slim",
            ),
        );
    }
    Some(LanguagePlan {
        kind,
        version: version_text,
        span: version.span(),
        manager,
        deps_span: stage
            .requirements
            .as_ref()
            .map_or(version.span(), |r| r.span()),
        requirements,
        install: stage.install.as_ref().is_none_or(|i| *i.get_ref()),
        package: None,
        venv: match &stage.venv {
            Some(venv) => absolute(checker, venv, "venv"),
            None => "/venv".to_owned(),
        },
    })
}

fn python_only_keys(stage: &spec::Stage) -> Vec<(&'static str, Span)> {
    let mut keys = Vec::new();
    if let Some(r) = &stage.requirements {
        keys.push(("requirements", r.span()));
    }
    if let Some(v) = &stage.venv {
        keys.push(("venv", v.span()));
    }
    if let Some(p) = &stage.package {
        keys.push(("package", p.span()));
    }
    keys
}

/// The executable file a Python stage packs, with its default output under the workdir.
fn package_plan(
    checker: &mut Checker,
    package: &Spanned<spec::Package>,
    stage: &str,
    workdir: &str,
) -> Option<PackagePlan> {
    let p = package.get_ref();
    let tool = match p.tool.get_ref().as_str() {
        "pex" => PackageTool::Pex,
        "zipapp" => PackageTool::Zipapp,
        other => {
            let diagnostic = Diagnostic::error(
                format!("unknown packaging tool `{other}`"),
                Some(p.tool.span()),
            )
            .with_suggestion(other, ["pex", "zipapp"]);
            let diagnostic = match diagnostic.help {
                Some(_) => diagnostic,
                None => diagnostic.with_help(
                    "use \"pex\" (C extensions work) or \"zipapp\" (pure-Python dependencies only)",
                ),
            };
            checker.error(diagnostic);
            return None;
        }
    };
    let entry = checker.value(&p.entry);
    let valid_entry = !entry.is_empty()
        && entry.split(':').count() <= 2
        && entry.split([':', '.']).all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if !valid_entry {
        checker.error(
            Diagnostic::error(
                format!("`{entry}` is not an entry point"),
                Some(p.entry.span()),
            )
            .with_help("write `module:function` (e.g. \"app.main:run\") or a module name"),
        );
    }
    let extension = if tool == PackageTool::Pex {
        "pex"
    } else {
        "pyz"
    };
    let output = match &p.output {
        Some(output) => absolute(checker, output, "output"),
        None => format!("{}/{stage}.{extension}", workdir.trim_end_matches('/')),
    };
    Some(PackagePlan {
        tool,
        entry,
        output,
        span: package.span(),
    })
}

fn language_only_keys(stage: &spec::Stage) -> Vec<(&'static str, Span)> {
    let mut keys = Vec::new();
    if let Some(m) = &stage.package_manager {
        keys.push(("package_manager", m.span()));
    }
    if let Some(i) = &stage.install {
        keys.push(("install", i.span()));
    }
    if let Some(s) = &stage.source {
        keys.push(("source", s.span()));
    }
    if let Some(r) = &stage.root {
        keys.push(("root", r.span()));
    }
    keys
}

fn base(
    checker: &mut Checker,
    index: usize,
    name: &Spanned<String>,
    stage: &spec::Stage,
    language: Option<&LanguagePlan>,
) -> Base {
    if let Some(from) = &stage.from {
        let text = checker.value(from);
        return resolve_from(checker, index, &text, from.span());
    }
    match language {
        Some(lang) => {
            let written = format!("{}:{}-slim", lang.kind.name(), lang.version);
            let reference = reference::normalize(&written).unwrap_or_else(|_| written.clone());
            Base::Image {
                reference,
                written,
                span: lang.span.clone(),
            }
        }
        None => {
            let message = format!("stage `{}` has no base", name.get_ref());
            checker.error(Diagnostic::error(message, Some(name.span())).with_help(
                "add `from = \"<image or stage>\"`, or a language such as `python = \"3.11\"`",
            ));
            Base::Scratch { span: 0..0 }
        }
    }
}

fn resolve_from(checker: &mut Checker, index: usize, text: &str, span: Span) -> Base {
    if text == "scratch" {
        return Base::Scratch { span };
    }
    if let Some(found) = checker.stage_names.iter().position(|n| n == text) {
        if found == index {
            checker.error(
                Diagnostic::error("a stage cannot start from itself", Some(span.clone()))
                    .with_help("name another stage or an image in `from`"),
            );
        }
        return Base::Stage { index: found, span };
    }
    match reference::normalize(text) {
        Ok(reference) => Base::Image {
            reference,
            written: text.to_owned(),
            span,
        },
        Err(error) => {
            let names: Vec<&str> = checker.stage_names.iter().map(String::as_str).collect();
            let diagnostic = Diagnostic::error(
                format!(
                    "`{text}` is neither a stage nor a valid image: {}",
                    error.reason
                ),
                Some(span),
            );
            checker.error(diagnostic.with_suggestion(text, names.iter().copied()));
            Base::Scratch { span: 0..0 }
        }
    }
}

fn copy_from(checker: &mut Checker, from: &Spanned<String>) -> CopyFrom {
    let text = checker.value(from);
    if let Some(index) = checker.stage_names.iter().position(|n| *n == text) {
        return CopyFrom::Stage(index);
    }
    match reference::normalize(&text) {
        Ok(reference) if text.contains([':', '/', '@']) => CopyFrom::Image(reference),
        _ => {
            let names: Vec<&str> = checker.stage_names.iter().map(String::as_str).collect();
            let diagnostic = Diagnostic::error(
                format!("copy from `{text}`: no stage has this name"),
                Some(from.span()),
            )
            .with_suggestion(&text, names.iter().copied());
            let diagnostic = if diagnostic.help.is_none() {
                diagnostic
                    .with_help("name a stage, or an image with its tag (e.g. `python:3.11-slim`)")
            } else {
                diagnostic
            };
            checker.error(diagnostic);
            CopyFrom::Context
        }
    }
}

fn copy_plan(
    checker: &mut Checker,
    copy: &Spanned<spec::CopyTable>,
    workdir: Option<&str>,
    user: &UserSetting,
) -> FileCopy {
    let c = copy.get_ref();
    let from = match &c.from {
        Some(from) => copy_from(checker, from),
        None => CopyFrom::Context,
    };
    let mut src: Vec<String> = spanned_list(&c.src)
        .iter()
        .map(|s| checker.value(s))
        .collect();
    let mut dest = c.dest.as_ref().map(|d| checker.value(d));
    if let Some(path) = &c.path {
        if c.src.is_some() || c.dest.is_some() {
            checker.error(
                Diagnostic::error(
                    "`path` is shorthand for `src` and `dest`; give one or the other",
                    Some(path.span()),
                )
                .with_help("remove `path`, or remove `src` and `dest`"),
            );
        }
        let text = absolute(checker, path, "path");
        src = vec![text.clone()];
        dest = Some(text);
    }
    match &from {
        CopyFrom::Context if src.is_empty() => checker.error(
            Diagnostic::error("a copy from the build context needs `src`", Some(copy.span()))
                .with_help("e.g. { src = \".\", dest = \"/app/\" }"),
        ),
        CopyFrom::Image(_) if src.is_empty() => checker.error(
            Diagnostic::error("a copy from an image needs `src`", Some(copy.span()))
                .with_help("name the files to take, e.g. { from = \"busybox:1.36\", src = \"/bin/busybox\", dest = \"/bin/\" }"),
        ),
        CopyFrom::Context if src.iter().any(|s| s.split('/').any(|part| part == "..")) => checker.error(
            Diagnostic::error("copies from the build context cannot leave it (`..`)", Some(copy.span()))
                .with_help("move the files into the context, or pass another directory with --build-context"),
        ),
        _ => {}
    }
    let dest = match dest {
        Some(d) if d.starts_with('/') => d,
        Some(d) => match workdir {
            Some(w) => format!("{}/{}", w.trim_end_matches('/'), d.trim_start_matches("./")),
            None => format!("/{}", d.trim_start_matches("./")),
        },
        None if src.is_empty() => workdir.unwrap_or("/").to_owned(),
        None => {
            checker.error(
                Diagnostic::error("this copy needs `dest`", Some(copy.span())).with_help(
                    "add `dest = \"/app/\"` (or use `path` to copy a directory to the same place)",
                ),
            );
            "/".to_owned()
        }
    };
    let owner = c.owner.as_ref().and_then(|o| parse_owner(checker, o, user));
    let mode = c.mode.as_ref().and_then(|m| {
        match u32::from_str_radix(m.get_ref().trim_start_matches("0o"), 8) {
            Ok(mode) if mode <= 0o7777 => Some(mode),
            _ => {
                checker.error(
                    Diagnostic::error(
                        format!("`{}` is not an octal file mode", m.get_ref()),
                        Some(m.span()),
                    )
                    .with_help("write it as a string, e.g. mode = \"0755\""),
                );
                None
            }
        }
    });
    FileCopy {
        from,
        src,
        dest,
        include: c.include.iter().map(|p| checker.value(p)).collect(),
        exclude: c.exclude.iter().map(|p| checker.value(p)).collect(),
        owner,
        mode,
        span: copy.span(),
    }
}

fn parse_owner(
    checker: &mut Checker,
    owner: &Spanned<String>,
    stage_user: &UserSetting,
) -> Option<Owner> {
    let text = checker.value(owner);
    let (user, group) = match text.split_once(':') {
        Some((u, g)) => (u.to_owned(), Some(g.to_owned())),
        None => (text.clone(), None),
    };
    if user.is_empty() || group.as_deref() == Some("") {
        checker.error(
            Diagnostic::error(format!("`{text}` is not an owner"), Some(owner.span()))
                .with_help("write `user`, `user:group`, or numeric `uid:gid`"),
        );
        return None;
    }
    if let Some(created) = super::user::created_owner(stage_user, &user, group.as_deref()) {
        return Some(created);
    }
    if user == crate::ir::APP_USER && group.as_deref().is_none_or(|g| g == crate::ir::APP_USER) {
        return Some(Owner::Ids(crate::ir::APP_UID, crate::ir::APP_UID));
    }
    match (user.parse::<u32>(), group.as_deref().map(str::parse::<u32>)) {
        (Ok(uid), None) => Some(Owner::Ids(uid, uid)),
        (Ok(uid), Some(Ok(gid))) => Some(Owner::Ids(uid, gid)),
        _ => Some(Owner::Names(user, group)),
    }
}

fn run_plan(checker: &mut Checker, run: &Spanned<spec::RunEntry>) -> RunPlan {
    let table = &run.get_ref().0;
    let span = run.span();
    let (args, display) = match &table.cmd {
        OneOrMany::One(shell) => {
            let command = checker.command(shell);
            (
                vec!["/bin/sh".to_owned(), "-c".to_owned(), command.clone()],
                command,
            )
        }
        OneOrMany::Many(args) => {
            let args: Vec<String> = args.iter().map(|a| checker.command(a)).collect();
            (args.clone(), args.join(" "))
        }
    };
    if args.is_empty() || display.trim().is_empty() {
        checker.error(
            Diagnostic::error("empty command", Some(span.clone()))
                .with_help("write the command to run, e.g. \"npm run build\""),
        );
    }
    let mut mounts = Vec::new();
    for MountList(cache) in &table.cache {
        let sharing = match cache.sharing.as_deref() {
            None | Some("shared") => Sharing::Shared,
            Some("private") => Sharing::Private,
            Some("locked") => Sharing::Locked,
            Some(other) => {
                checker.error(
                    Diagnostic::error(
                        format!("unknown cache sharing `{other}`"),
                        Some(span.clone()),
                    )
                    .with_suggestion(other, ["shared", "private", "locked"]),
                );
                Sharing::Shared
            }
        };
        if !cache.target.starts_with('/') {
            checker.error(
                Diagnostic::error(
                    format!("cache target `{}` must be an absolute path", cache.target),
                    Some(span.clone()),
                )
                .with_help("e.g. cache = [\"/root/.cache/pip\"]"),
            );
        }
        mounts.push(Mount::Cache {
            id: checker.command(cache.id.as_ref().unwrap_or(&cache.target)),
            target: checker.command(&cache.target),
            sharing,
        });
    }
    for MountList(secret) in &table.secret {
        let target = match (&secret.target, &secret.env) {
            (Some(t), _) => Some(t.clone()),
            (None, Some(_)) => None,
            (None, None) => Some(format!("/run/secrets/{}", secret.id)),
        };
        if let Some(env) = &secret.env
            && !is_env_name(env)
        {
            checker.error(
                Diagnostic::error(
                    format!("`{env}` is not a valid env var name"),
                    Some(span.clone()),
                )
                .with_help("use letters, digits and `_`"),
            );
        }
        mounts.push(Mount::Secret {
            id: secret.id.clone(),
            target,
            env: secret.env.clone(),
            required: secret.required.unwrap_or(true),
        });
    }
    match &table.ssh {
        Some(SshSetting::Default(true)) => mounts.push(Mount::Ssh {
            id: "default".into(),
        }),
        Some(SshSetting::Ids(ids)) => {
            mounts.extend(ids.iter().map(|id| Mount::Ssh { id: id.clone() }))
        }
        _ => {}
    }
    for target in &table.tmpfs {
        let target = checker.command(target);
        if !target.starts_with('/') {
            checker.error(
                Diagnostic::error(
                    format!("tmpfs target `{target}` must be an absolute path"),
                    Some(span.clone()),
                )
                .with_help("e.g. tmpfs = [\"/tmp\"]"),
            );
        }
        mounts.push(Mount::Tmpfs { target });
    }
    let network = match table.network.as_deref() {
        None | Some("default") | Some("sandbox") => Network::Sandbox,
        Some("none") => Network::None,
        Some("host") => Network::Host,
        Some(other) => {
            checker.error(
                Diagnostic::error(format!("unknown network `{other}`"), Some(span.clone()))
                    .with_suggestion(other, ["default", "none", "host"]),
            );
            Network::Sandbox
        }
    };
    RunPlan {
        args,
        display,
        mounts,
        env: table
            .env
            .iter()
            .map(|(k, v)| (k.clone(), checker.command(v)))
            .collect(),
        network,
        workdir: table.workdir.as_deref().map(|w| checker.command(w)),
        user: table.user.as_deref().map(|u| checker.command(u)),
        before_source: table.before_source,
        span,
    }
}

fn source_plan(
    checker: &mut Checker,
    stage: &spec::Stage,
    language: Option<&LanguagePlan>,
    root: &str,
    runs: &[RunPlan],
    image: &ImageSettings,
    workdir: Option<&str>,
) -> Option<FileCopy> {
    language?;
    let dest = workdir.unwrap_or("/app").to_owned();
    // Bundler installs from `vendor/cache` through a mount; the `.gem` files stay out.
    let vendored_gems = language.is_some_and(|l| l.kind == Language::Ruby && l.install);
    let with_defaults = |src: String, include: Vec<String>, extra: Vec<String>, span: Span| {
        let mut exclude: Vec<String> = DEFAULT_EXCLUDES.iter().map(|s| (*s).to_owned()).collect();
        if vendored_gems {
            exclude.push("vendor/cache".to_owned());
        }
        exclude.extend(extra);
        FileCopy {
            from: CopyFrom::Context,
            src: vec![src],
            dest: dest.clone(),
            include,
            exclude,
            owner: None,
            mode: None,
            span,
        }
    };
    let root_or_dot = if root.is_empty() {
        ".".to_owned()
    } else {
        root.to_owned()
    };
    match &stage.source {
        Some(setting) => match setting.get_ref() {
            SourceSetting::Off => None,
            SourceSetting::Path(path) => {
                let path = context_path(
                    checker,
                    &Spanned::new(setting.span(), path.clone()),
                    "source",
                );
                Some(with_defaults(
                    in_project(root, &path),
                    Vec::new(),
                    Vec::new(),
                    setting.span(),
                ))
            }
            SourceSetting::Table(table) => {
                let src = match &table.src {
                    Some(src) => {
                        let path = context_path(
                            checker,
                            &Spanned::new(setting.span(), src.clone()),
                            "source",
                        );
                        in_project(root, &path)
                    }
                    None => root_or_dot.clone(),
                };
                Some(with_defaults(
                    src,
                    table.include.clone(),
                    table.exclude.clone(),
                    setting.span(),
                ))
            }
        },
        None => {
            let needs_source = !runs.is_empty()
                || image.cmd.is_some()
                || image.entrypoint.is_some()
                || stage.package.is_some();
            let span = language.map_or(0..0, |l| l.span.clone());
            needs_source.then(|| with_defaults(root_or_dot, Vec::new(), Vec::new(), span))
        }
    }
}

fn image_settings(checker: &mut Checker, stage: &spec::Stage) -> ImageSettings {
    let expose = stage
        .expose
        .iter()
        .filter_map(|port| {
            let text = port.get_ref().0.clone();
            let (number, proto) = text.split_once('/').unwrap_or((&text, "tcp"));
            match (number.parse::<u16>(), proto) {
                (Ok(n), "tcp" | "udp" | "sctp") if n > 0 => Some(format!("{n}/{proto}")),
                _ => {
                    checker.error(Diagnostic::error(format!("`{text}` is not a port"), Some(port.span())).with_help("write a number from 1 to 65535, optionally with /tcp, /udp or /sctp"));
                    None
                }
            }
        })
        .collect();
    let exec_form = |checker: &mut Checker, value: &Option<Spanned<Vec<String>>>, key: &str| {
        value.as_ref().map(|v| {
            if v.get_ref().is_empty() {
                checker.error(Diagnostic::error(format!("`{key}` is empty"), Some(v.span())).with_help(format!("give the program and its arguments, e.g. {key} = [\"python\", \"app.py\"]")));
            }
            v.get_ref().iter().map(|a| checker.command(a)).collect()
        })
    };
    let entrypoint = exec_form(checker, &stage.entrypoint, "entrypoint");
    let cmd = exec_form(checker, &stage.cmd, "cmd");
    let healthcheck = stage.healthcheck.as_ref().map(|h| {
        let h = h.get_ref();
        let mut duration = |value: &Option<Spanned<String>>| {
            value
                .as_ref()
                .map_or(0, |v| match parse_duration(v.get_ref()) {
                    Some(ns) => ns,
                    None => {
                        checker.error(
                            Diagnostic::error(
                                format!("`{}` is not a duration", v.get_ref()),
                                Some(v.span()),
                            )
                            .with_help("write e.g. \"30s\", \"1m30s\" or \"500ms\""),
                        );
                        0
                    }
                })
        };
        let interval = duration(&h.interval);
        let timeout = duration(&h.timeout);
        let start_period = duration(&h.start_period);
        let mut test = vec!["CMD".to_owned()];
        test.extend(h.cmd.get_ref().iter().cloned());
        HealthConfig {
            test,
            interval,
            timeout,
            start_period,
            retries: h.retries.as_ref().map_or(0, |r| *r.get_ref()),
        }
    });
    ImageSettings {
        expose,
        entrypoint,
        cmd,
        labels: stage
            .labels
            .iter()
            .map(|(k, v)| (k.get_ref().clone(), checker.value(v)))
            .collect(),
        healthcheck,
        stop_signal: stage.stop_signal.as_ref().map(|s| checker.value(s)),
    }
}

/// A path relative to the project's root as a context path (`.` for the context root).
fn in_project(root: &str, path: &str) -> String {
    match (root.is_empty(), path.is_empty()) {
        (true, true) => ".".to_owned(),
        (true, false) => path.to_owned(),
        (false, true) => root.to_owned(),
        (false, false) => format!("{root}/{path}"),
    }
}

/// Parses Go-style durations such as `30s`, `1m30s`, `500ms` into nanoseconds.
pub fn parse_duration(text: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        let number: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        total = total.checked_add(number.checked_mul(scale)?)?;
        rest = &rest[unit_len..];
    }
    Some(total)
}

/// A context-relative path, normalized (`./a/` is `a`, `.` is empty); `..` and `/` are refused.
fn context_path(checker: &mut Checker, value: &Spanned<String>, key: &str) -> String {
    let text = checker.value(value);
    let trimmed = text.trim_start_matches("./").trim_end_matches('/');
    if text.starts_with('/') || trimmed.split('/').any(|part| part == "..") {
        checker.error(
            Diagnostic::error(
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
fn output_path(checker: &mut Checker, value: &Spanned<String>) -> String {
    let text = checker.value(value);
    let trimmed = text.trim_start_matches("./").trim_end_matches('/');
    if trimmed.is_empty() || trimmed == "." || trimmed.split('/').any(|part| part == "..") {
        checker.error(
            Diagnostic::error(
                format!("`{text}` is not an output path"),
                Some(value.span()),
            )
            .with_help("name a directory or file the stage produces, e.g. outputs = [\"dist/\"]"),
        );
    }
    trimmed.to_owned()
}

fn absolute(checker: &mut Checker, value: &Spanned<String>, key: &str) -> String {
    let text = checker.value(value);
    if !text.starts_with('/') {
        checker.error(
            Diagnostic::error(
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

/// The items of a one-or-many value, each with the span of the whole value.
fn spanned_list(value: &Option<Spanned<OneOrMany<String>>>) -> Vec<Spanned<String>> {
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

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Some(30_000_000_000));
        assert_eq!(parse_duration("1m30s"), Some(90_000_000_000));
        assert_eq!(parse_duration("500ms"), Some(500_000_000));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("x"), None);
    }
}
