//! Compiler warnings (and options this frontend ignores) sent as gateway warnings, which buildx
//! lists after the build ("N warnings found").

use bollard_buildkit_proto::moby::buildkit::v1::frontend::WarnRequest;
use llb_gen::{Diagnostic, pb};

use crate::Bridge;
use crate::caps::{Caps, id};
use crate::load::LoadedSpec;

/// Warning level BuildKit's Dockerfile frontend uses.
const LEVEL_WARNING: i64 = 1;

/// The request for one diagnostic, located in the spec.
pub fn request(spec: &LoadedSpec, warning: &Diagnostic) -> WarnRequest {
    let ranges = warning
        .line_range(&spec.file)
        .map(|(start, end)| {
            vec![pb::Range {
                start: Some(pb::Position {
                    line: clamp(start),
                    character: 0,
                }),
                end: Some(pb::Position {
                    line: clamp(end),
                    character: 0,
                }),
            }]
        })
        .unwrap_or_default();
    WarnRequest {
        digest: spec.digest.clone(),
        level: LEVEL_WARNING,
        // As BuildKit's linter words its warnings: the rule, then the finding.
        short: format!("{}: {}", warning.code, warning.message).into_bytes(),
        detail: warning
            .help
            .iter()
            .map(|h| h.clone().into_bytes())
            .collect(),
        url: String::new(),
        info: Some(pb::SourceInfo {
            filename: spec.file.name.clone(),
            data: spec.file.text.clone().into_bytes(),
            definition: (!spec.digest.is_empty()).then(|| spec.definition.clone()),
            language: "TOML".to_owned(),
        }),
        ranges,
    }
}

/// Sends the warnings when the engine supports them; a failed send is only logged.
pub async fn send(client: &mut Bridge, caps: &Caps, spec: &LoadedSpec, warnings: &[Diagnostic]) {
    if warnings.is_empty() {
        return;
    }
    if !caps.has(id::WARNINGS) {
        for w in warnings {
            crate::log!("warning: {}", w.message);
        }
        return;
    }
    for w in warnings {
        if let Err(status) = client.warn(request(spec, w)).await {
            crate::log!("sending a warning failed: {}", status.message());
        }
    }
}

fn clamp(line: usize) -> i32 {
    i32::try_from(line).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use llb_gen::SourceFile;
    use llb_gen::diag::RUNS_AS_ROOT;

    #[test]
    fn located_warning() {
        let spec = LoadedSpec {
            file: SourceFile::new("Stagefile.toml", "[stage.app]\nfrom = \"python\"\n"),
            definition: pb::Definition::default(),
            digest: "sha256:abc".into(),
        };
        let w = Diagnostic::warning(&RUNS_AS_ROOT, "stage `app` runs as root", Some(19..27))
            .with_help("remove `user`");
        let req = request(&spec, &w);
        assert_eq!(req.digest, "sha256:abc");
        assert_eq!(req.level, 1);
        assert_eq!(req.short, b"RunsAsRoot: stage `app` runs as root");
        assert_eq!(req.detail, vec![b"remove `user`".to_vec()]);
        assert_eq!(req.ranges[0].start.as_ref().unwrap().line, 2);
        assert_eq!(req.info.unwrap().language, "TOML");
    }
}
