//! Whether the build context, as the build sees it, holds a file the library scan would read
//! as an ELF file: the context's own source op solved (its transfer is the build's), listed
//! a level of directories at a time, and the first bytes of the few candidates read. When it
//! holds none, the compiler keeps the workdir's scan off the source copy, so a source edit
//! does not run it again (`llb_gen::ContextSource::Local`'s `without_elf`).

use bollard_buildkit_proto::moby::buildkit::v1::frontend::{
    FileRange, ReadDirRequest, ReadFileRequest,
};
use llb_gen::ContextSource;
use llb_gen::elf::{HEAD_BYTES, MAX_CANDIDATES, MAX_DIRS, is_candidate, is_elf};
use tokio::task::JoinSet;

use crate::Bridge;
use crate::caps::{Caps, id};
use crate::solve::solve_ref;

/// Requests in flight at once.
const CONCURRENT: usize = 64;

/// Go's `os.ModeDir`, as fsutil's `Stat.mode` carries it.
const MODE_DIR: u32 = 1 << 31;

/// Go's `os.ModeType`: a directory, symlink, pipe, socket, device or irregular file.
const MODE_TYPE: u32 = MODE_DIR | 1 << 27 | 1 << 26 | 1 << 25 | 1 << 24 | 1 << 21 | 1 << 19;

/// Whether the context holds no ELF file the scan would read. Anything that stops the check
/// (a missing cap, a failed request, a context past [`MAX_DIRS`] or [`MAX_CANDIDATES`]) counts
/// as "it may": the scan then reads the source copy, as it does without the check.
pub async fn context_without_elf(client: &Bridge, caps: &Caps, context: &ContextSource) -> bool {
    if !caps.has(id::READ_DIR) || !caps.has(id::READ_FILE) {
        return false;
    }
    let definition = llb_gen::lower::context_definition(context);
    let reference = match solve_ref(&mut client.clone(), caps, definition, &[]).await {
        Ok(reference) => reference.id,
        Err(error) => {
            crate::log!("reading the build context for ELF files failed: {error}");
            return false;
        }
    };
    let Some(candidates) = candidates(client, &reference).await else {
        return false;
    };
    for chunk in candidates.chunks(CONCURRENT) {
        let mut reads = JoinSet::new();
        for path in chunk {
            let mut client = client.clone();
            let request = ReadFileRequest {
                r#ref: reference.clone(),
                file_path: path.clone(),
                range: Some(FileRange {
                    offset: 0,
                    length: HEAD_BYTES as i64,
                }),
                ..Default::default()
            };
            reads.spawn(async move { client.read_file(request).await });
        }
        while let Some(read) = reads.join_next().await {
            let Ok(Ok(response)) = read else {
                return false;
            };
            if is_elf(&response.into_inner().data) {
                return false;
            }
        }
    }
    true
}

/// The context's regular files that the scan would look at, or `None` when they could not all
/// be listed (a failed request, past a limit).
async fn candidates(client: &Bridge, reference: &str) -> Option<Vec<String>> {
    let mut found = Vec::new();
    let mut level = vec![String::new()];
    let mut listed = 0;
    while !level.is_empty() {
        listed += level.len();
        if listed > MAX_DIRS {
            return None;
        }
        let mut next = Vec::new();
        for chunk in level.chunks(CONCURRENT) {
            let mut reads = JoinSet::new();
            for dir in chunk {
                let mut client = client.clone();
                let request = ReadDirRequest {
                    r#ref: reference.to_owned(),
                    dir_path: dir.clone(),
                    ..Default::default()
                };
                let dir = dir.clone();
                reads.spawn(async move { (dir, client.read_dir(request).await) });
            }
            while let Some(read) = reads.join_next().await {
                let (dir, Ok(response)) = read.ok()? else {
                    return None;
                };
                for entry in response.into_inner().entries {
                    let name = entry.path.rsplit('/').next().unwrap_or_default();
                    let path = if dir.is_empty() {
                        name.to_owned()
                    } else {
                        format!("{dir}/{name}")
                    };
                    if entry.mode & MODE_DIR != 0 {
                        next.push(path);
                    } else if entry.mode & MODE_TYPE == 0 && is_candidate(name, entry.mode) {
                        found.push(path);
                        if found.len() > MAX_CANDIDATES {
                            return None;
                        }
                    }
                }
            }
        }
        level = next;
    }
    Some(found)
}
