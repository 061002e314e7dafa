//! Validating a stage's `user`: an existing user, or a user and group the stage creates.

use serde_spanned::Spanned;

use super::UserSetting;
use crate::check::Checker;
use crate::diag::{Code, Diagnostic};
use crate::ir::{APP_UID, NewUser, Owner};
use crate::spec::{NewUserTable, UserValue};

/// The stage's user setting; errors are reported to `checker`.
pub(super) fn user_setting(
    checker: &mut Checker,
    user: Option<&Spanned<UserValue>>,
) -> UserSetting {
    let Some(user) = user else {
        return UserSetting::Default;
    };
    match user.get_ref() {
        UserValue::Existing(name) if name.trim().is_empty() => {
            checker.error(
                Diagnostic::error(Code::InvalidUser, "`user` is empty", Some(user.span()))
                    .with_help("remove it to run as the created `app` user, or name a user"),
            );
            UserSetting::Default
        }
        UserValue::Existing(name) => {
            let name = Spanned::new(user.span(), name.clone());
            UserSetting::Explicit(checker.value(&name))
        }
        UserValue::Create(new) => match new_user(checker, new, user.span()) {
            Some(plan) => UserSetting::Create(plan),
            None => UserSetting::Default,
        },
    }
}

/// The owner a copy's `owner` names, with the stage's created user resolved to its ids.
pub(super) fn created_owner(
    setting: &UserSetting,
    user: &str,
    group: Option<&str>,
) -> Option<Owner> {
    let UserSetting::Create(created) = setting else {
        return None;
    };
    (user == created.name && group.is_none_or(|g| g == created.group))
        .then_some(Owner::Ids(created.uid, created.gid))
}

fn new_user(checker: &mut Checker, new: &NewUserTable, span: crate::ir::Span) -> Option<NewUser> {
    let mut ok = true;
    let mut fail = |checker: &mut Checker, message: String, help: &str| {
        checker.error(
            Diagnostic::error(Code::InvalidUser, message, Some(span.clone())).with_help(help),
        );
        ok = false;
    };
    let group = new.group.clone().unwrap_or_else(|| new.name.clone());
    let named = [("user", Some(&new.name)), ("group", new.group.as_ref())];
    for (what, name) in named.into_iter().filter_map(|(w, n)| Some((w, n?))) {
        if !is_account_name(name) {
            fail(
                checker,
                format!("`{name}` is not a valid {what} name"),
                "use lower-case letters, digits, `_` and `-`, starting with a letter or `_` (at most 32)",
            );
        }
    }
    let mut id = |checker: &mut Checker, what: &str, value: Option<i64>, default: u32| match value {
        None => default,
        Some(0) => {
            fail(
                checker,
                format!("`{what} = 0` is root"),
                "pick a non-root id such as 10001, or set `user = \"root\"` if you must",
            );
            default
        }
        Some(v) if (1..=i64::from(i32::MAX)).contains(&v) => v as u32,
        Some(v) => {
            fail(
                checker,
                format!("`{what} = {v}` is out of range"),
                "ids are between 1 and 2147483647",
            );
            default
        }
    };
    let uid = id(checker, "uid", new.uid, APP_UID);
    let gid = id(checker, "gid", new.gid, uid);
    let home = new
        .home
        .clone()
        .unwrap_or_else(|| format!("/home/{}", new.name));
    if home.contains([':', '\n']) || home.chars().any(char::is_control) {
        fail(
            checker,
            format!("`home = {home:?}` has a character /etc/passwd cannot hold"),
            "write a path without `:`, line breaks or control characters",
        );
    } else if !home.starts_with('/') || home.split('/').any(|part| part == "..") {
        fail(
            checker,
            format!("`home = \"{home}\"` is not an absolute path"),
            "write an absolute path such as \"/home/svc\"",
        );
    }
    ok.then(|| NewUser {
        name: new.name.clone(),
        uid,
        group,
        gid,
        home,
    })
}

/// A name `useradd` accepts on Debian without `--badname`.
fn is_account_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        && name.len() <= 32
}
