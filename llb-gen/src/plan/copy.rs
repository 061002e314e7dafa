//! `copy` entries: where from, what, where to, owner and mode.

use serde_spanned::Spanned;

use super::UserSetting;
use crate::check::{Checker, spanned_list};
use crate::diag::{Code, Diagnostic};
use crate::ir::{CopyFrom, FileCopy, Owner};
use crate::reference;
use crate::spec;

fn copy_from(checker: &mut Checker, from: &Spanned<String>) -> CopyFrom {
    let Some(text) = checker.expanded(from) else {
        return CopyFrom::Context;
    };
    if let Some(index) = checker.stage_names.iter().position(|n| *n == text) {
        return CopyFrom::Stage(index);
    }
    match reference::normalize(&text) {
        Ok(reference) if text.contains([':', '/', '@']) => CopyFrom::Image(reference),
        _ if checker.is_full() => {
            checker.left_out += 1;
            CopyFrom::Context
        }
        _ => {
            let names: Vec<&str> = checker.stage_names.iter().map(String::as_str).collect();
            let diagnostic = Diagnostic::error(
                Code::UnknownStage,
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

/// A `copy` entry, validated. Its `dest` stays as written when relative (`""` when it copies a
/// stage's outputs without one): the directory it is under, the workdir or a workspace member's
/// directory there, is known only to recipes ([`super::under`]).
pub(super) fn copy_plan(
    checker: &mut Checker,
    copy: &Spanned<spec::CopyTable>,
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
                    Code::InvalidCopy,
                    "`path` is shorthand for `src` and `dest`; give one or the other",
                    Some(path.span()),
                )
                .with_help("remove `path`, or remove `src` and `dest`"),
            );
        }
        let text = checker.absolute(path, "path");
        src = vec![text.clone()];
        dest = Some(text);
    }
    match &from {
        CopyFrom::Context if src.is_empty() => checker.error(
            Diagnostic::error(Code::InvalidCopy, "a copy from the build context needs `src`", Some(copy.span()))
                .with_help("e.g. { src = \".\", dest = \"/app/\" }"),
        ),
        CopyFrom::Image(_) if src.is_empty() => checker.error(
            Diagnostic::error(Code::InvalidCopy, "a copy from an image needs `src`", Some(copy.span()))
                .with_help("name the files to take, e.g. { from = \"busybox:1.36\", src = \"/bin/busybox\", dest = \"/bin/\" }"),
        ),
        CopyFrom::Context if src.iter().any(|s| s.split('/').any(|part| part == "..")) => checker.error(
            Diagnostic::error(Code::InvalidPath, "copies from the build context cannot leave it (`..`)", Some(copy.span()))
                .with_help("move the files into the context, or pass another directory with --build-context"),
        ),
        _ => {}
    }
    let dest = match dest {
        Some(d) => d,
        None if src.is_empty() => String::new(),
        None => {
            checker.error(
                Diagnostic::error(
                    Code::InvalidCopy,
                    "this copy needs `dest`",
                    Some(copy.span()),
                )
                .with_help(
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
                        Code::InvalidMode,
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
            Diagnostic::error(
                Code::InvalidOwner,
                format!("`{text}` is not an owner"),
                Some(owner.span()),
            )
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
