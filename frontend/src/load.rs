//! Reading from the client: the spec file from the `dockerfile` local (or a frontend input), and
//! from the build context its `.dockerignore`, which detection paths exist in it, and the text
//! of the few files the compiler reads (requirement files).

use std::collections::{BTreeMap, BTreeSet};

use bollard_buildkit_proto::moby::buildkit::v1::frontend::{
    FileRange, InputsRequest, ReadDirRequest, ReadDirResponse, ReadFileRequest, ReadFileResponse,
};
use llb_gen::probe::normalized;
use llb_gen::{KnownPaths, SourceFile, pb};
use tokio::task::JoinSet;

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
    // The Dockerfile frontend that read the `# syntax=` line before forwarding to us solved
    // this very source (same attributes: the file and its `<file>.dockerignore`), so BuildKit
    // shares that vertex instead of transferring the spec from the client again.
    let local = LocalSource {
        name: opts.dockerfile_local.clone(),
        session_id: opts.session_for(&opts.dockerfile_local, session_id),
        follow_paths: vec![
            opts.filename.clone(),
            format!("{}.dockerignore", opts.filename),
        ],
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

/// What the frontend reads from the build context before compiling.
#[derive(Debug, Default)]
pub struct ContextFiles {
    /// `.dockerignore` patterns, when asked for (empty when the file does not exist).
    pub dockerignore: Option<Vec<String>>,
    /// Which of the probed paths exist.
    pub found: BTreeSet<String>,
    /// Texts of the existing files among the paths to read.
    pub texts: BTreeMap<String, String>,
}

/// Reads the build context's `.dockerignore` (when `dockerignore` is set), which of `paths`
/// exist and the existing ones among `texts` (at most [`llb_gen::probe::READ_LIMIT`] bytes
/// each), with one transfer of only those files from the client, then every read at once (one
/// listing per directory, not a request per path: each request may mount the snapshot): a
/// fully cached build pays one round trip to the client for both, as the Dockerfile frontend
/// does for its `.dockerignore` alone.
pub async fn context_files(
    client: &Bridge,
    caps: &Caps,
    opts: &Options,
    session_id: &str,
    paths: &BTreeSet<String>,
    texts: &BTreeSet<String>,
    dockerignore: bool,
) -> Result<ContextFiles, FrontendError> {
    const IGNORE: &str = ".dockerignore";
    let paths: Vec<String> = paths
        .iter()
        .map(|p| normalized(p).to_owned())
        .filter(|p| !p.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if paths.is_empty() && !dockerignore {
        return Ok(ContextFiles::default());
    }
    if !paths.is_empty() {
        caps.require(id::READ_DIR, "detecting lockfiles in the build context")?;
    }
    let mut wanted = paths.clone();
    if dockerignore {
        wanted.insert(0, IGNORE.to_owned());
    }
    let custom_name = match (dockerignore, paths.is_empty()) {
        (true, true) => "[internal] load .dockerignore",
        (true, false) => "[internal] load .dockerignore and detection files",
        (false, _) => "[internal] load build context: detection files",
    };
    let local = LocalSource {
        name: opts.context_local.clone(),
        session_id: opts.session_for(&opts.context_local, session_id),
        follow_paths: wanted.clone(),
        include_patterns: wanted,
        // Its own key: sharing the main context's would make the two transfers evict each other.
        shared_key_hint: format!("{}-stagefile-probe", opts.context_local),
        differ_none: true,
        custom_name: custom_name.to_owned(),
    }
    .definition();
    let mut bridge = client.clone();
    let reference = solve_ref(&mut bridge, caps, local.definition, &[])
        .await
        .map_err(|e| {
            e.context("failed to load .dockerignore and lockfiles from the build context")
        })?;

    let mut reads = JoinSet::new();
    if dockerignore {
        let mut client = client.clone();
        let request = ReadFileRequest {
            r#ref: reference.id.clone(),
            file_path: IGNORE.to_owned(),
            range: Some(first_bytes(llb_gen::ignore::MAX_DOCKERIGNORE_BYTES)),
            ..Default::default()
        };
        reads.spawn(async move { Read::Ignore(client.read_file(request).await) });
    }
    for (dir, names) in by_dir(&paths) {
        let mut client = client.clone();
        let request = ReadDirRequest {
            r#ref: reference.id.clone(),
            dir_path: dir.clone(),
            ..Default::default()
        };
        reads.spawn(async move { Read::Dir(dir, names, client.read_dir(request).await) });
    }
    // The texts are read with the listings, in one round: a file that turns out not to
    // exist is dropped below.
    for path in texts {
        let mut client = client.clone();
        let request = ReadFileRequest {
            r#ref: reference.id.clone(),
            file_path: normalized(path).to_owned(),
            range: Some(FileRange {
                offset: 0,
                length: i64::try_from(llb_gen::probe::READ_LIMIT).unwrap_or(i64::MAX),
            }),
            ..Default::default()
        };
        let path = path.clone();
        reads.spawn(async move { Read::Text(path, client.read_file(request).await) });
    }
    let mut files = ContextFiles::default();
    let mut text_reads = Vec::new();
    while let Some(read) = reads.join_next().await {
        match read.map_err(|e| FrontendError::msg(format!("a context read failed: {e}")))? {
            Read::Ignore(Ok(response)) => {
                let data = response.into_inner().data;
                files.dockerignore = Some(
                    llb_gen::ignore::decode_dockerignore(&data).map_err(FrontendError::Message)?,
                );
            }
            Read::Ignore(Err(status)) if is_not_found(&status) => {
                files.dockerignore = Some(Vec::new());
            }
            Read::Ignore(Err(status)) => {
                return Err(FrontendError::from(status).context("failed to read .dockerignore"));
            }
            Read::Dir(dir, names, Ok(response)) => {
                for entry in response.into_inner().entries {
                    let name = entry.path.rsplit('/').next().unwrap_or_default();
                    if names.contains(name) {
                        files.found.insert(join(&dir, name));
                    }
                }
            }
            Read::Dir(_, _, Err(status)) if is_not_found(&status) => {}
            Read::Dir(dir, _, Err(status)) => crate::log!(
                "listing {dir:?} in the build context failed: {}",
                status.message()
            ),
            Read::Text(path, answer) => text_reads.push((path, answer)),
        }
    }
    // The texts of the files among `texts` that exist.
    for (path, answer) in text_reads {
        if !files.found.contains(normalized(&path)) {
            continue;
        }
        match answer {
            Ok(response) => {
                let data = response.into_inner().data;
                files
                    .texts
                    .insert(path, String::from_utf8_lossy(&data).into_owned());
            }
            Err(status) => crate::log!(
                "reading {path} in the build context failed: {}",
                status.message()
            ),
        }
    }
    Ok(files)
}

/// The first `limit + 1` bytes of a file: one more than a limit, so that going past it is
/// seen (and refused) without transferring the rest.
fn first_bytes(limit: usize) -> FileRange {
    FileRange {
        offset: 0,
        length: i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1),
    }
}

/// One read of [`context_files`], with its answer.
enum Read {
    Ignore(Result<tonic::Response<ReadFileResponse>, tonic::Status>),
    /// A directory and the names asked about in it.
    Dir(
        String,
        BTreeSet<String>,
        Result<tonic::Response<ReadDirResponse>, tonic::Status>,
    ),
    /// A file whose text the compiler reads, if it exists.
    Text(
        String,
        Result<tonic::Response<ReadFileResponse>, tonic::Status>,
    ),
}

/// The paths grouped by their directory (`""` for the root): the names asked about in each.
fn by_dir(paths: &[String]) -> BTreeMap<String, BTreeSet<String>> {
    let mut dirs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in paths {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        dirs.entry(dir.to_owned())
            .or_default()
            .insert(name.to_owned());
    }
    dirs
}

/// `dir/name`, or `name` at the root.
fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// The probe the compiler asks.
pub fn known_paths(found: &BTreeSet<String>, texts: &BTreeMap<String, String>) -> KnownPaths {
    KnownPaths::new(found.iter().cloned()).with_texts(texts.clone())
}

fn is_not_found(status: &tonic::Status) -> bool {
    status.code() == tonic::Code::NotFound
        || status.message().contains("no such file or directory")
        || status.message().contains("not found")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_paths_are_listed_once_per_directory() {
        let paths: Vec<String> = [
            "uv.lock",
            "app/requirements.txt",
            "app/uv.lock",
            "vendor/cache",
        ]
        .map(str::to_owned)
        .into();
        let dirs = by_dir(&paths);
        assert_eq!(dirs.len(), 3);
        assert_eq!(
            dirs[""].iter().map(String::as_str).collect::<Vec<_>>(),
            ["uv.lock"]
        );
        assert_eq!(
            dirs["app"].iter().map(String::as_str).collect::<Vec<_>>(),
            ["requirements.txt", "uv.lock"]
        );
        assert_eq!(join("vendor", "cache"), "vendor/cache");
        assert_eq!(join("", "uv.lock"), "uv.lock");
    }
}
