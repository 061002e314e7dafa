//! Reading from the client: the spec file from the `dockerfile` local (or a frontend input),
//! which detection paths exist in the build context, and the text of the few files the
//! compiler reads (requirement files).

use std::collections::{BTreeMap, BTreeSet};

use bollard_buildkit_proto::moby::buildkit::v1::frontend::{
    FileRange, InputsRequest, ReadFileRequest, StatFileRequest,
};
use llb_gen::{KnownPaths, SourceFile, pb};

use crate::Bridge;
use crate::caps::{Caps, id};
use crate::errors::FrontendError;
use crate::localsrc::LocalSource;
use crate::options::Options;
use crate::solve::solve_ref;

/// The spec file and the vertex it was loaded by.
#[derive(Debug, Clone)]
pub struct LoadedSpec {
    /// Its name and text.
    pub file: SourceFile,
    /// The definition that loaded it (sent with warnings, as the Dockerfile frontend does).
    pub definition: pb::Definition,
    /// Digest of its source op (warnings hang off that vertex).
    pub digest: String,
}

/// Loads the spec: from the `dockerfile` frontend input when the engine forwarded one, else
/// from the `dockerfile` local.
pub async fn load_spec(
    client: &mut Bridge,
    caps: &Caps,
    opts: &Options,
    session_id: &str,
) -> Result<LoadedSpec, FrontendError> {
    let local = LocalSource {
        name: opts.dockerfile_local.clone(),
        session_id: opts.session_for(&opts.dockerfile_local, session_id),
        follow_paths: vec![opts.filename.clone()],
        shared_key_hint: opts.dockerfile_local.clone(),
        differ_none: true,
        custom_name: format!("[internal] load build definition from {}", opts.filename),
        ..Default::default()
    }
    .definition();

    let mut definition = local.definition;
    let mut digest = local.digest;
    if caps.has(id::FRONTEND_INPUTS) {
        let inputs = client
            .inputs(InputsRequest {})
            .await
            .map_err(|e| FrontendError::from(e).context("failed to get frontend inputs"))?
            .into_inner()
            .definitions;
        if inputs.contains_key(&opts.context_local) {
            return Err(FrontendError::msg(
                "a build context given as a frontend input is not supported by the Stagefile frontend; \
                 pass the context as a local directory",
            ));
        }
        if !opts.dockerfile_local_forced
            && let Some(input) = inputs.get(&opts.dockerfile_local)
        {
            definition = input.clone();
            digest = String::new();
        }
    }

    let reference = solve_ref(client, caps, definition.clone(), &[])
        .await
        .map_err(|e| e.context(&format!("failed to load {}", opts.filename)))?;
    let data = client
        .read_file(ReadFileRequest {
            r#ref: reference.id,
            file_path: opts.filename.clone(),
            range: Some(first_bytes(llb_gen::limits::MAX_SPEC_BYTES)),
            ..Default::default()
        })
        .await
        .map_err(|e| FrontendError::from(e).context(&format!("failed to read {}", opts.filename)))?
        .into_inner()
        .data;
    // Refused with a location when too large or not UTF-8, as the CLI refuses it.
    let file = SourceFile::from_bytes(opts.filename.clone(), data)?;
    Ok(LoadedSpec {
        file,
        definition,
        digest,
    })
}

/// The build context's `.dockerignore` patterns (none when the file does not exist).
pub async fn load_dockerignore(
    client: &mut Bridge,
    caps: &Caps,
    opts: &Options,
    session_id: &str,
) -> Result<Vec<String>, FrontendError> {
    let name = ".dockerignore".to_owned();
    let local = LocalSource {
        name: opts.context_local.clone(),
        session_id: opts.session_for(&opts.context_local, session_id),
        follow_paths: vec![name.clone()],
        include_patterns: vec![name.clone()],
        shared_key_hint: format!("{}-dockerignore", opts.context_local),
        differ_none: true,
        custom_name: "[internal] load .dockerignore".to_owned(),
    }
    .definition();
    let reference = solve_ref(client, caps, local.definition, &[])
        .await
        .map_err(|e| e.context("failed to load .dockerignore"))?;
    let request = ReadFileRequest {
        r#ref: reference.id,
        file_path: name,
        range: Some(first_bytes(llb_gen::ignore::MAX_DOCKERIGNORE_BYTES)),
        ..Default::default()
    };
    match client.read_file(request).await {
        Ok(response) => llb_gen::ignore::decode_dockerignore(&response.into_inner().data)
            .map_err(FrontendError::Message),
        Err(status) if is_not_found(&status) => Ok(Vec::new()),
        Err(status) => Err(FrontendError::from(status).context("failed to read .dockerignore")),
    }
}

/// What the detection probe learned: the paths that exist, and the texts of those to read.
#[derive(Debug, Default)]
pub struct Probed {
    /// Paths that exist.
    pub found: BTreeSet<String>,
    /// Texts of the existing files among the paths to read.
    pub texts: BTreeMap<String, String>,
}

/// Answers which of `paths` exist in the build context, transferring only those paths, and
/// reads the existing ones among `reads` (at most [`llb_gen::probe::READ_LIMIT`] bytes each).
pub async fn probe_context(
    client: &mut Bridge,
    caps: &Caps,
    opts: &Options,
    session_id: &str,
    paths: &BTreeSet<String>,
    reads: &BTreeSet<String>,
) -> Result<Probed, FrontendError> {
    let paths: Vec<String> = paths
        .iter()
        .map(|p| p.trim_start_matches("./").trim_matches('/').to_owned())
        .filter(|p| !p.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if paths.is_empty() {
        return Ok(Probed::default());
    }
    caps.require(id::STAT_FILE, "detecting lockfiles in the build context")?;
    let local = LocalSource {
        name: opts.context_local.clone(),
        session_id: opts.session_for(&opts.context_local, session_id),
        follow_paths: paths.clone(),
        include_patterns: paths.clone(),
        // Its own key: sharing the main context's would make the two transfers evict each other.
        shared_key_hint: format!("{}-stagefile-detect", opts.context_local),
        differ_none: true,
        custom_name: "[internal] load build context: detection files".to_owned(),
    }
    .definition();
    let reference = solve_ref(client, caps, local.definition, &[])
        .await
        .map_err(|e| e.context("failed to load the build context"))?;

    let mut found = BTreeSet::new();
    for path in paths {
        let request = StatFileRequest {
            r#ref: reference.id.clone(),
            path: path.clone(),
            ..Default::default()
        };
        match client.stat_file(request).await {
            Ok(response) if response.get_ref().stat.is_some() => {
                found.insert(path);
            }
            Ok(_) => {}
            Err(status) if is_not_found(&status) => {}
            Err(status) => crate::log!(
                "stat {path} in the build context failed: {}",
                status.message()
            ),
        }
    }
    let mut texts = BTreeMap::new();
    for path in reads.iter().filter(|path| found.contains(*path)) {
        let request = ReadFileRequest {
            r#ref: reference.id.clone(),
            file_path: path.clone(),
            range: Some(FileRange {
                offset: 0,
                length: llb_gen::probe::READ_LIMIT as i64,
            }),
            ..Default::default()
        };
        match client.read_file(request).await {
            Ok(response) => {
                let data = response.into_inner().data;
                texts.insert(path.clone(), String::from_utf8_lossy(&data).into_owned());
            }
            Err(status) => crate::log!(
                "reading {path} in the build context failed: {}",
                status.message()
            ),
        }
    }
    Ok(Probed { found, texts })
}

/// The first `limit + 1` bytes of a file: one more than a limit, so that going past it is
/// seen (and refused) without transferring the rest.
fn first_bytes(limit: usize) -> FileRange {
    FileRange {
        offset: 0,
        length: i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1),
    }
}

/// The probe the compiler asks.
pub fn known_paths(probed: &Probed) -> KnownPaths {
    KnownPaths::new(probed.found.iter().cloned()).with_texts(probed.texts.clone())
}

fn is_not_found(status: &tonic::Status) -> bool {
    status.code() == tonic::Code::NotFound
        || status.message().contains("no such file or directory")
        || status.message().contains("not found")
}
