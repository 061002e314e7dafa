//! Subrequests (`docker buildx build --call=targets|outline`, `requestid` opt): answered in
//! BuildKit's JSON shapes (`frontend/subrequests/{targets,outline,describe}.go`) with the same
//! `result.txt` tables, and no refs.

use std::collections::HashMap;

use base64::Engine as _;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::Result as GwResult;
use llb_gen::SourceFile;
use llb_gen::compile::{Outline, TargetInfo};
use serde::Serialize;

use crate::tabwriter::align;

/// `frontend.subrequests.describe`.
pub const DESCRIBE: &str = "frontend.subrequests.describe";
/// `frontend.targets`.
pub const TARGETS: &str = "frontend.targets";
/// `frontend.outline`.
pub const OUTLINE: &str = "frontend.outline";

const VERSION: &str = "1.0.0";

/// Whether this frontend answers `request`.
pub fn is_supported(request: &str) -> bool {
    [DESCRIBE, TARGETS, OUTLINE, crate::lint::LINT].contains(&request)
}

#[derive(Debug, Serialize)]
struct Named {
    name: &'static str,
    description: &'static str,
}

#[derive(Debug, Serialize)]
struct Request {
    name: &'static str,
    version: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    description: &'static str,
    opts: Option<Vec<Named>>,
    inputs: Option<Vec<Named>>,
    metadata: Option<Vec<Named>>,
    refs: Option<Vec<Named>>,
}

fn result_metadata() -> Option<Vec<Named>> {
    Some(vec![
        Named {
            name: "result.json",
            description: "",
        },
        Named {
            name: "result.txt",
            description: "",
        },
    ])
}

/// The answer to `frontend.subrequests.describe`.
pub fn describe() -> GwResult {
    let requests = [
        Request {
            name: OUTLINE,
            version: VERSION,
            kind: "rpc",
            description: "List all parameters current build target supports",
            opts: Some(vec![Named {
                name: "target",
                description: "Target build stage",
            }]),
            inputs: None,
            metadata: result_metadata(),
            refs: None,
        },
        Request {
            name: TARGETS,
            version: VERSION,
            kind: "rpc",
            description: "List all targets current build supports",
            opts: Some(Vec::new()),
            inputs: None,
            metadata: result_metadata(),
            refs: None,
        },
        Request {
            name: DESCRIBE,
            version: VERSION,
            kind: "rpc",
            description: "List available subrequest types",
            opts: None,
            inputs: None,
            metadata: result_metadata(),
            refs: None,
        },
    ];
    let mut text = String::from("NAME\tVERSION\tDESCRIPTION\n");
    for r in &requests {
        let name = r.name.strip_prefix("frontend.").unwrap_or(r.name);
        text.push_str(&format!("{name}\t{}\t{}\n", r.version, r.description));
    }
    to_result(go_json(&requests), align(&text, 1))
}

#[derive(Debug, Serialize)]
struct Position {
    line: usize,
}

#[derive(Debug, Serialize)]
struct Range {
    start: Position,
    end: Position,
}

#[derive(Debug, Serialize)]
struct Location {
    ranges: Vec<Range>,
}

fn location(line: usize) -> Option<Location> {
    (line > 0).then(|| Location {
        ranges: vec![Range {
            start: Position { line },
            end: Position { line },
        }],
    })
}

#[derive(Debug, Serialize)]
struct Target {
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(skip_serializing_if = "is_false")]
    default: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<Location>,
}

#[derive(Debug, Serialize)]
struct TargetList {
    targets: Option<Vec<Target>>,
    sources: Vec<String>,
}

/// The answer to `frontend.targets`.
pub fn targets(file: &SourceFile, targets: &[TargetInfo]) -> GwResult {
    let list = TargetList {
        targets: (!targets.is_empty()).then(|| {
            targets
                .iter()
                .map(|t| Target {
                    name: t.name.clone(),
                    default: t.default,
                    description: t.description.clone().unwrap_or_default(),
                    location: location(t.line),
                })
                .collect()
        }),
        sources: vec![b64(file)],
    };
    let mut text = String::from("TARGET\tDESCRIPTION\n");
    for t in targets {
        let name = if t.default {
            format!("{} (default)", t.name)
        } else {
            t.name.clone()
        };
        text.push_str(&format!(
            "{name}\t{}\n",
            t.description.as_deref().unwrap_or("")
        ));
    }
    to_result(go_json(&list), align(&text, 1))
}

#[derive(Debug, Serialize)]
struct Arg {
    name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<Location>,
}

#[derive(Debug, Serialize)]
struct Secret {
    name: String,
    #[serde(skip_serializing_if = "is_false")]
    required: bool,
}

#[derive(Debug, Serialize)]
struct OutlineJson {
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    args: Vec<Arg>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    secrets: Vec<Secret>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ssh: Vec<Secret>,
    sources: Vec<String>,
}

/// The answer to `frontend.outline`; `description` is the target's.
pub fn outline(file: &SourceFile, outline: &Outline, description: Option<&str>) -> GwResult {
    let json = OutlineJson {
        name: outline.target.clone(),
        description: description.unwrap_or_default().to_owned(),
        args: outline
            .args
            .iter()
            .map(|a| Arg {
                name: a.name.clone(),
                value: a.value.clone(),
                location: location(a.line),
            })
            .collect(),
        secrets: outline
            .secrets
            .iter()
            .map(|(name, required)| Secret {
                name: name.clone(),
                required: *required,
            })
            .collect(),
        ssh: outline
            .ssh
            .iter()
            .map(|name| Secret {
                name: name.clone(),
                required: false,
            })
            .collect(),
        sources: vec![b64(file)],
    };

    let mut text = String::new();
    if !json.name.is_empty() || !json.description.is_empty() {
        let name = if json.name.is_empty() {
            "(default)"
        } else {
            &json.name
        };
        let mut header = format!("TARGET:\t{name}\n");
        if !json.description.is_empty() {
            header.push_str(&format!("DESCRIPTION:\t{}\n", json.description));
        }
        text.push_str(&align(&header, 1));
        text.push('\n');
    }
    if !json.args.is_empty() {
        let mut table = String::from("BUILD ARG\tVALUE\tDESCRIPTION\n");
        for a in &json.args {
            table.push_str(&format!("{}\t{}\t\n", a.name, a.value));
        }
        text.push_str(&align(&table, 3));
        text.push('\n');
    }
    for (title, list) in [("SECRET", &json.secrets), ("SSH", &json.ssh)] {
        if list.is_empty() {
            continue;
        }
        let mut table = format!("{title}\tREQUIRED\n");
        for s in list {
            table.push_str(&format!(
                "{}\t{}\n",
                s.name,
                if s.required { "true" } else { "" }
            ));
        }
        text.push_str(&align(&table, 3));
        text.push('\n');
    }
    to_result(go_json(&json), text)
}

fn to_result(json: String, text: String) -> GwResult {
    GwResult {
        metadata: HashMap::from([
            ("result.json".to_owned(), json.into_bytes()),
            ("result.txt".to_owned(), text.into_bytes()),
            ("version".to_owned(), VERSION.as_bytes().to_vec()),
        ]),
        ..Default::default()
    }
}

/// JSON as Go's `json.MarshalIndent(v, "", "  ")` writes it, HTML characters escaped.
fn go_json(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value)
        .unwrap_or_else(|_| "null".to_owned())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

fn b64(file: &SourceFile) -> String {
    base64::engine::general_purpose::STANDARD.encode(file.text.as_bytes())
}

fn is_false(value: &bool) -> bool {
    !*value
}

#[cfg(test)]
mod tests {
    use super::*;
    use llb_gen::compile::ArgInfo;

    fn meta(result: &GwResult, key: &str) -> String {
        String::from_utf8(result.metadata[key].clone()).unwrap()
    }

    #[test]
    fn describe_shape() {
        let res = describe();
        let json: serde_json::Value = serde_json::from_str(&meta(&res, "result.json")).unwrap();
        assert_eq!(json[0]["name"], "frontend.outline");
        assert_eq!(json[0]["opts"][0]["name"], "target");
        assert_eq!(json[0]["inputs"], serde_json::Value::Null);
        assert_eq!(json[1]["opts"], serde_json::json!([]));
        assert_eq!(json[2]["opts"], serde_json::Value::Null);
        assert_eq!(json[2]["metadata"][1]["name"], "result.txt");
        assert_eq!(json[2]["type"], "rpc");
        assert_eq!(meta(&res, "version"), "1.0.0");
        assert_eq!(
            meta(&res, "result.txt"),
            "NAME                 VERSION DESCRIPTION\n\
             outline              1.0.0   List all parameters current build target supports\n\
             targets              1.0.0   List all targets current build supports\n\
             subrequests.describe 1.0.0   List available subrequest types\n"
        );
    }

    #[test]
    fn targets_shape() {
        let file = SourceFile::new("Stagefile.toml", "x");
        let list = [
            TargetInfo {
                name: "build".into(),
                description: None,
                default: false,
                line: 2,
            },
            TargetInfo {
                name: "app".into(),
                description: Some("the <app>".into()),
                default: true,
                line: 7,
            },
        ];
        let res = targets(&file, &list);
        assert_eq!(
            meta(&res, "result.json"),
            r#"{
  "targets": [
    {
      "name": "build",
      "location": {
        "ranges": [
          {
            "start": {
              "line": 2
            },
            "end": {
              "line": 2
            }
          }
        ]
      }
    },
    {
      "name": "app",
      "default": true,
      "description": "the \u003capp\u003e",
      "location": {
        "ranges": [
          {
            "start": {
              "line": 7
            },
            "end": {
              "line": 7
            }
          }
        ]
      }
    }
  ],
  "sources": [
    "eA=="
  ]
}"#
        );
        assert_eq!(
            meta(&res, "result.txt"),
            "TARGET        DESCRIPTION\nbuild         \napp (default) the <app>\n"
        );
    }

    #[test]
    fn outline_shape() {
        let file = SourceFile::new("Stagefile.toml", "x");
        let o = Outline {
            target: "app".into(),
            args: vec![ArgInfo {
                name: "PY".into(),
                default: "3.11".into(),
                value: "3.12".into(),
                line: 3,
            }],
            secrets: vec![("pip".into(), true), ("npm".into(), false)],
            ssh: vec!["default".into()],
        };
        let res = outline(&file, &o, Some("The app"));
        let json: serde_json::Value = serde_json::from_str(&meta(&res, "result.json")).unwrap();
        assert_eq!(json["name"], "app");
        assert_eq!(json["description"], "The app");
        assert_eq!(json["args"][0]["value"], "3.12");
        assert_eq!(json["args"][0]["location"]["ranges"][0]["start"]["line"], 3);
        assert_eq!(json["secrets"][0]["required"], true);
        assert!(json["secrets"][1].get("required").is_none());
        assert_eq!(json["ssh"][0]["name"], "default");
        assert_eq!(
            meta(&res, "result.txt"),
            "TARGET:      app\nDESCRIPTION: The app\n\n\
             BUILD ARG   VALUE   DESCRIPTION\nPY          3.12    \n\n\
             SECRET   REQUIRED\npip      true\nnpm      \n\n\
             SSH       REQUIRED\ndefault   \n\n"
        );
    }
}
