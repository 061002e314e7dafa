//! Readable dumps of a [`pb::Definition`]: one line per op (`--format text`, what snapshot tests
//! compare) or JSON. Works on any definition; it knows nothing of Stagefiles.

use std::collections::BTreeMap;

use prost::Message;
use serde::Serialize;

use crate::llb::digest_bytes;
use crate::pb;

/// One op of a definition, decoded.
#[derive(Debug, Clone, Serialize)]
pub struct DumpOp {
    /// Position in the definition.
    pub index: usize,
    /// `sha256:…` digest of the op's bytes.
    pub digest: String,
    /// `source`, `exec`, `file`, `merge`, `diff`, `build` or `result`.
    pub kind: &'static str,
    /// What it does, in one line.
    pub summary: String,
    /// Inputs as `#index` (with `:output` when not 0).
    pub inputs: Vec<String>,
    /// Progress name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Source lines (`first-last`) in the build file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<String>,
}

/// Decodes every op of a definition; an op that does not decode is reported as an error.
pub fn decode(definition: &pb::Definition) -> Result<Vec<DumpOp>, prost::DecodeError> {
    let mut index_of = BTreeMap::new();
    let mut ops = Vec::new();
    for (index, bytes) in definition.def.iter().enumerate() {
        let op = pb::Op::decode(bytes.as_slice())?;
        let digest = digest_bytes(bytes);
        index_of.insert(digest.clone(), index);
        let inputs = op
            .inputs
            .iter()
            .map(|input| {
                let at = index_of
                    .get(&input.digest)
                    .map_or_else(|| input.digest.clone(), |i| format!("#{i}"));
                if input.index == 0 {
                    at
                } else {
                    format!("{at}:{}", input.index)
                }
            })
            .collect();
        let metadata = definition.metadata.get(&digest);
        let lines = definition
            .source
            .as_ref()
            .and_then(|s| s.locations.get(&digest))
            .and_then(|l| l.locations.first())
            .and_then(|l| l.ranges.first())
            .map(|r| {
                let start = r.start.as_ref().map_or(0, |p| p.line);
                let end = r.end.as_ref().map_or(start, |p| p.line);
                if start == end {
                    format!("{start}")
                } else {
                    format!("{start}-{end}")
                }
            });
        let (kind, summary) = describe(&op);
        ops.push(DumpOp {
            index,
            digest,
            kind,
            summary,
            inputs,
            name: metadata.and_then(|m| m.description.get("llb.customname").cloned()),
            lines,
        });
    }
    Ok(ops)
}

/// One line per op: `#i kind summary <- inputs  "name" @lines`.
pub fn text(definition: &pb::Definition) -> Result<String, prost::DecodeError> {
    let mut out = String::new();
    for op in decode(definition)? {
        out.push_str(&format!("#{} {} {}", op.index, op.kind, op.summary));
        if !op.inputs.is_empty() {
            out.push_str(&format!(" <- {}", op.inputs.join(" ")));
        }
        if let Some(name) = &op.name {
            out.push_str(&format!("  {name:?}"));
        }
        if let Some(lines) = &op.lines {
            out.push_str(&format!(" @{lines}"));
        }
        out.push('\n');
    }
    Ok(out)
}

/// The decoded ops as pretty JSON.
pub fn json(definition: &pb::Definition) -> Result<String, prost::DecodeError> {
    Ok(serde_json::to_string_pretty(&decode(definition)?).unwrap_or_default())
}

fn describe(op: &pb::Op) -> (&'static str, String) {
    match &op.op {
        None => ("result", String::new()),
        Some(pb::op::Op::Source(source)) => {
            let attrs: Vec<String> = source
                .attrs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            (
                "source",
                join_nonempty(&[source.identifier.clone(), attrs.join(" ")]),
            )
        }
        Some(pb::op::Op::Exec(exec)) => ("exec", describe_exec(exec)),
        Some(pb::op::Op::File(file)) => {
            let actions: Vec<String> = file.actions.iter().map(describe_file_action).collect();
            ("file", actions.join("; "))
        }
        Some(pb::op::Op::Merge(merge)) => ("merge", format!("{} inputs", merge.inputs.len())),
        Some(pb::op::Op::Diff(_)) => ("diff", String::new()),
        Some(pb::op::Op::Build(_)) => ("build", String::new()),
    }
}

fn describe_exec(exec: &pb::ExecOp) -> String {
    let mut parts = Vec::new();
    if let Some(meta) = &exec.meta {
        parts.push(format!("{:?}", meta.args));
        parts.push(format!("cwd={}", meta.cwd));
        if !meta.user.is_empty() {
            parts.push(format!("user={}", meta.user));
        }
        parts.push(format!("env={:?}", meta.env));
    }
    for mount in exec.mounts.iter().skip(1) {
        let kind = pb::MountType::try_from(mount.mount_type)
            .map_or("?".to_owned(), |t| t.as_str_name().to_lowercase());
        let detail = if let Some(cache) = &mount.cache_opt {
            let sharing = pb::CacheSharingOpt::try_from(cache.sharing)
                .map_or("?".to_owned(), |s| s.as_str_name().to_lowercase());
            format!(" id={} {sharing}", cache.id)
        } else if let Some(secret) = &mount.secret_opt {
            format!(
                " id={}{}",
                secret.id,
                if secret.optional { " optional" } else { "" }
            )
        } else if let Some(ssh) = &mount.ssh_opt {
            format!(" id={}", ssh.id)
        } else if mount.mount_type == pb::MountType::Bind as i32 && mount.input >= 0 {
            format!(
                " from=input{}:{}{}",
                mount.input,
                if mount.selector.is_empty() {
                    "/"
                } else {
                    &mount.selector
                },
                if mount.readonly { " readonly" } else { "" }
            )
        } else {
            String::new()
        };
        parts.push(format!("mount={kind}:{}{detail}", mount.dest));
    }
    for secret in &exec.secretenv {
        parts.push(format!("secretenv={}={}", secret.name, secret.id));
    }
    match pb::NetMode::try_from(exec.network) {
        Ok(pb::NetMode::Unset) | Err(_) => {}
        Ok(mode) => parts.push(format!("network={}", mode.as_str_name().to_lowercase())),
    }
    parts.join(" ")
}

fn describe_file_action(action: &pb::FileAction) -> String {
    match &action.action {
        Some(pb::file_action::Action::Copy(copy)) => {
            let mut text = format!(
                "copy input{}:{} -> {}",
                action.secondary_input, copy.src, copy.dest
            );
            if let Some(owner) = &copy.owner {
                text.push_str(&format!(" owner={}", describe_owner(owner)));
            }
            if copy.mode >= 0 {
                text.push_str(&format!(" mode={:o}", copy.mode));
            }
            if !copy.include_patterns.is_empty() {
                text.push_str(&format!(" include={:?}", copy.include_patterns));
            }
            if !copy.exclude_patterns.is_empty() {
                text.push_str(&format!(" exclude={:?}", copy.exclude_patterns));
            }
            text
        }
        Some(pb::file_action::Action::Mkdir(mkdir)) => {
            format!("mkdir {} mode={:o}", mkdir.path, mkdir.mode)
        }
        Some(pb::file_action::Action::Mkfile(mkfile)) => {
            format!("mkfile {} ({} bytes)", mkfile.path, mkfile.data.len())
        }
        Some(pb::file_action::Action::Rm(rm)) => format!("rm {}", rm.path),
        Some(pb::file_action::Action::Symlink(link)) => {
            format!("symlink {} -> {}", link.newpath, link.oldpath)
        }
        None => "?".to_owned(),
    }
}

fn describe_owner(owner: &pb::ChownOpt) -> String {
    let one = |user: &Option<pb::UserOpt>| match user.as_ref().and_then(|u| u.user.as_ref()) {
        Some(pb::user_opt::User::ById(id)) => id.to_string(),
        Some(pb::user_opt::User::ByName(named)) => named.name.clone(),
        None => String::new(),
    };
    format!("{}:{}", one(&owner.user), one(&owner.group))
}

fn join_nonempty(parts: &[String]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}
