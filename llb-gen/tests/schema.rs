//! `docs/stagefile.schema.json` (editor completion) stays in step with the parser: for each kind
//! of table, the keys the schema lists are exactly the keys serde accepts.
//!
//! The parser's keys are read from serde's refusal of an unknown key: "unknown field
//! `zzz_unknown`, expected one of `a`, `b`, ...".

use std::collections::BTreeSet;
use std::path::Path;

use llb_gen::spec::Spec;
use serde_json::Value;

/// (table, a spec with `zzz_unknown` in that table, JSON pointer of its schema).
const TABLES: [(&str, &str, &str); 9] = [
    ("top level", "zzz_unknown = 1", ""),
    ("stage", "[stage.a]\nzzz_unknown = 1", "/$defs/stage"),
    (
        "copy",
        "[stage.a]\ncopy = [{ zzz_unknown = 1 }]",
        "/$defs/copy",
    ),
    (
        "run table",
        "[stage.a]\nrun = [{ cmd = \"x\", zzz_unknown = 1 }]",
        "/$defs/runTable",
    ),
    (
        "cache mount",
        "[stage.a]\nrun = [{ cmd = \"x\", cache = [{ target = \"/c\", zzz_unknown = 1 }] }]",
        "/$defs/cacheMount",
    ),
    (
        "secret mount",
        "[stage.a]\nrun = [{ cmd = \"x\", secret = [{ id = \"s\", zzz_unknown = 1 }] }]",
        "/$defs/secretMount",
    ),
    (
        "source table",
        "[stage.a]\nsource = { zzz_unknown = 1 }",
        "/$defs/sourceTable",
    ),
    (
        "healthcheck",
        "[stage.a]\nhealthcheck = { cmd = [\"x\"], zzz_unknown = 1 }",
        "/$defs/healthcheck",
    ),
    (
        "package",
        "[stage.a]\npackage = { tool = \"pex\", entry = \"a:b\", zzz_unknown = 1 }",
        "/$defs/package",
    ),
];

fn schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/stagefile.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The keys serde lists when it refuses `zzz_unknown` in `spec`.
fn parser_keys(spec: &str) -> BTreeSet<String> {
    let error = toml::from_str::<Spec>(spec).expect_err("zzz_unknown must be refused");
    let message = error.message();
    let expected = message
        .strip_prefix("unknown field `zzz_unknown`, expected ")
        .unwrap_or_else(|| panic!("not an unknown-field error: {message}"));
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn schema_keys_match_the_parser_for_every_table() {
    let schema = schema();
    for (table, spec, pointer) in TABLES {
        let node = schema
            .pointer(pointer)
            .unwrap_or_else(|| panic!("no {pointer}"));
        assert_eq!(
            node["additionalProperties"],
            Value::Bool(false),
            "{table}: the parser refuses unknown keys, the schema must too"
        );
        let in_schema: BTreeSet<String> = node["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{table}: no properties"))
            .keys()
            .cloned()
            .collect();
        assert_eq!(in_schema, parser_keys(spec), "{table} ({pointer})");
    }
}

#[test]
fn every_key_has_a_description_and_every_ref_resolves() {
    fn walk(node: &Value, path: &str, root: &Value) {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    let pointer = target.strip_prefix('#').expect("local $ref");
                    assert!(root.pointer(pointer).is_some(), "{path}: dangling {target}");
                }
                if let Some(Value::Object(properties)) = map.get("properties") {
                    for (key, property) in properties {
                        let documented =
                            property.get("description").is_some() || property.get("$ref").is_some();
                        assert!(documented, "{path}/properties/{key} has no description");
                    }
                }
                for (key, child) in map {
                    walk(child, &format!("{path}/{key}"), root);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, path, root)),
            _ => {}
        }
    }
    let schema = schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    walk(&schema, "", &schema);
}
