//! Every failure of the frontend, and how it is handed back to BuildKit as a `google.rpc.Status`.
//!
//! Spec problems carry BuildKit's `errdefs.Source` detail, so buildx prints the TOML lines with
//! `>>>` markers. Errors that came from the engine (a failing `Solve`, a missing image) are passed
//! through with their code, message and details unchanged: they already carry the source
//! locations and vertex information buildx needs.

use std::fmt;

use base64::Engine as _;
use bollard_buildkit_proto::google::protobuf::Any;
use bollard_buildkit_proto::google::rpc::Status;
use llb_gen::{Diagnostics, SourceFile};
use prost::Message as _;

/// gRPC `Unknown`: non-zero, and buildx prints the message without a code prefix.
pub const CODE_UNKNOWN: i32 = 2;

/// Type URL BuildKit registers for source-located errors (`solver/errdefs/vertex.go`).
pub const SOURCE_TYPE_URL: &str = "github.com/moby/buildkit/errdefs.Source+json";

/// Type URL of an unsupported subrequest (`solver/errdefs/subrequest.go`).
pub const SUBREQUEST_TYPE_URL: &str = "github.com/moby/buildkit/errdefs.Subrequest+json";

/// Why a build could not be done.
#[derive(Debug, Clone)]
pub enum FrontendError {
    /// An error from the engine, passed through unchanged.
    Engine(Status),
    /// Problems in the spec, located in the TOML.
    Spec(Diagnostics),
    /// Anything else: bad options, an engine that is too old, an unsupported feature.
    Message(String),
    /// A `requestid` this frontend does not answer.
    UnsupportedSubrequest(String),
}

impl FrontendError {
    /// A plain error message.
    pub fn msg(message: impl Into<String>) -> Self {
        FrontendError::Message(message.into())
    }

    /// Prefixes the message with what was being done, keeping code and details.
    pub fn context(self, what: &str) -> Self {
        match self {
            FrontendError::Engine(mut status) => {
                status.message = format!("{what}: {}", status.message);
                FrontendError::Engine(status)
            }
            FrontendError::Message(message) => FrontendError::Message(format!("{what}: {message}")),
            other => other,
        }
    }

    /// The status given to `Return`.
    pub fn to_status(&self) -> Status {
        match self {
            FrontendError::Engine(status) => {
                let mut status = status.clone();
                if status.code == 0 {
                    status.code = CODE_UNKNOWN;
                }
                status
            }
            FrontendError::Spec(diagnostics) => spec_status(diagnostics),
            FrontendError::Message(message) => Status {
                code: CODE_UNKNOWN,
                message: message.clone(),
                details: Vec::new(),
            },
            FrontendError::UnsupportedSubrequest(name) => Status {
                code: CODE_UNKNOWN,
                message: format!("unsupported request {name}"),
                details: vec![Any {
                    type_url: SUBREQUEST_TYPE_URL.to_owned(),
                    value: serde_json::json!({ "name": name }).to_string().into_bytes(),
                }],
            },
        }
    }
}

impl fmt::Display for FrontendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrontendError::Engine(status) => write!(f, "{} (code {})", status.message, status.code),
            FrontendError::Spec(diagnostics) => f.write_str(&diagnostics.summary()),
            FrontendError::Message(message) => f.write_str(message),
            FrontendError::UnsupportedSubrequest(name) => write!(f, "unsupported request {name}"),
        }
    }
}

impl From<Diagnostics> for FrontendError {
    fn from(diagnostics: Diagnostics) -> Self {
        FrontendError::Spec(diagnostics)
    }
}

impl From<tonic::Status> for FrontendError {
    fn from(status: tonic::Status) -> Self {
        FrontendError::Engine(status_from_tonic(&status))
    }
}

/// The full `google.rpc.Status` behind a tonic status: BuildKit sends it, details included, in
/// the `grpc-status-details-bin` trailer.
pub fn status_from_tonic(status: &tonic::Status) -> Status {
    let details = status.details();
    if !details.is_empty()
        && let Ok(full) = Status::decode(details)
        && full.code != 0
    {
        return full;
    }
    Status {
        code: status.code() as i32,
        message: status.message().to_owned(),
        details: Vec::new(),
    }
}

/// A status for spec problems: the plain rendering as message, one `errdefs.Source` detail per
/// located error.
fn spec_status(diagnostics: &Diagnostics) -> Status {
    let details = diagnostics
        .items
        .iter()
        .filter(|d| d.severity == llb_gen::diag::Severity::Error)
        .filter_map(|d| d.line_range(&diagnostics.file))
        .map(|(start, end)| Any {
            type_url: SOURCE_TYPE_URL.to_owned(),
            value: source_json(&diagnostics.file, start, end).into_bytes(),
        })
        .collect();
    let mut message = diagnostics.render(false);
    while message.ends_with('\n') {
        message.pop();
    }
    if message.is_empty() {
        message = diagnostics.summary();
    }
    Status {
        code: CODE_UNKNOWN,
        message,
        details,
    }
}

/// BuildKit's `errdefs.Source` as Go's `encoding/json` writes it (bytes as base64, zero fields
/// omitted).
pub fn source_json(file: &SourceFile, start_line: usize, end_line: usize) -> String {
    serde_json::json!({
        "info": {
            "filename": file.name,
            "data": base64::engine::general_purpose::STANDARD.encode(file.text.as_bytes()),
            "language": "TOML",
        },
        "ranges": [{
            "start": { "line": start_line },
            "end": { "line": end_line },
        }],
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use llb_gen::Diagnostic;
    use llb_gen::diag::Code;

    #[test]
    fn source_detail_is_go_json() {
        let file = SourceFile::new("Stagefile.toml", "a = 1\n");
        assert_eq!(
            source_json(&file, 3, 4),
            r#"{"info":{"filename":"Stagefile.toml","data":"YSA9IDEK","language":"TOML"},"ranges":[{"start":{"line":3},"end":{"line":4}}]}"#
        );
    }

    #[test]
    fn spec_errors_carry_source_details() {
        let file = SourceFile::new("Stagefile.toml", "[stage.app]\nfromm = \"x\"\n");
        let diagnostics = Diagnostics::single(
            &file,
            Diagnostic::error(Code::UnknownKey, "unknown key `fromm`", Some(12..17)),
        );
        let status = FrontendError::Spec(diagnostics).to_status();
        assert_eq!(status.code, CODE_UNKNOWN);
        assert!(
            status.message.contains("unknown key `fromm`"),
            "{}",
            status.message
        );
        assert_eq!(status.details.len(), 1);
        assert_eq!(status.details[0].type_url, SOURCE_TYPE_URL);
        let value: serde_json::Value = serde_json::from_slice(&status.details[0].value).unwrap();
        assert_eq!(value["ranges"][0]["start"]["line"], 2);
        assert_eq!(value["ranges"][0]["end"]["line"], 2);
    }

    #[test]
    fn engine_errors_pass_through() {
        let full = Status {
            code: 2,
            message: "process \"/bin/sh -c false\" did not complete successfully".into(),
            details: vec![Any {
                type_url: "github.com/moby/buildkit/errdefs.Solve+json".into(),
                value: b"{}".to_vec(),
            }],
        };
        let tonic_status = tonic::Status::with_details(
            tonic::Code::Unknown,
            full.message.clone(),
            full.encode_to_vec().into(),
        );
        let back = FrontendError::from(tonic_status).to_status();
        assert_eq!(back, full);
    }

    #[test]
    fn unsupported_subrequest_detail() {
        let status = FrontendError::UnsupportedSubrequest("frontend.lint".into()).to_status();
        assert_eq!(status.details[0].type_url, SUBREQUEST_TYPE_URL);
        assert_eq!(status.details[0].value, br#"{"name":"frontend.lint"}"#);
    }
}
