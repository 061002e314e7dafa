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

/// Spec types whose fields are the keys of a schema table (the pointer of its `properties`).
const DOCUMENTED: [(&str, &str); 10] = [
    ("Spec", ""),
    ("Stage", "/$defs/stage"),
    ("CopyTable", "/$defs/copy"),
    ("RunTable", "/$defs/runTable"),
    ("CacheMount", "/$defs/cacheMount"),
    ("SecretMount", "/$defs/secretMount"),
    ("SourceTable", "/$defs/sourceTable"),
    ("Healthcheck", "/$defs/healthcheck"),
    ("Package", "/$defs/package"),
    ("NewUserTable", "/$defs/stage/properties/user/oneOf/1"),
];

/// `(struct, field, doc comment)` of the spec's wire types, the doc comment's lines joined.
fn field_docs() -> Vec<(String, String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/spec");
    let mut docs = Vec::new();
    for file in ["tables.rs", "values.rs"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let mut current = None;
        let mut pending: Vec<&str> = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("pub struct ") {
                current = Some(rest.split([' ', '{', '(', '<']).next().unwrap().to_owned());
            } else if line == "}" {
                current = None;
                pending.clear();
            } else if let Some(doc) = line.strip_prefix("    /// ") {
                pending.push(doc);
            } else if let Some(rest) = line.strip_prefix("    pub ")
                && let (Some(name), Some((field, _))) = (&current, rest.split_once(':'))
            {
                docs.push((name.clone(), field.to_owned(), pending.join(" ")));
                pending.clear();
            } else if !line.trim_start().starts_with("#[") {
                pending.clear();
            }
        }
    }
    docs
}

/// The schema's key descriptions are the spec types' doc comments: the one place they are
/// written. `UPDATE_SCHEMA=1` copies changed doc comments into the schema.
#[test]
fn schema_descriptions_are_the_spec_doc_comments() {
    let mut schema = schema();
    let docs = field_docs();
    let mut differ = Vec::new();
    for (name, pointer) in DOCUMENTED {
        let fields: Vec<&(String, String, String)> =
            docs.iter().filter(|(s, _, _)| s == name).collect();
        assert!(!fields.is_empty(), "no documented fields found for {name}");
        let properties = schema
            .pointer_mut(&format!("{pointer}/properties"))
            .and_then(Value::as_object_mut)
            .unwrap_or_else(|| panic!("no {pointer}/properties"));
        for (_, field, doc) in fields {
            assert!(!doc.is_empty(), "{name}.{field} has no doc comment");
            let property = properties
                .get_mut(field)
                .and_then(Value::as_object_mut)
                .unwrap_or_else(|| panic!("{pointer} has no property `{field}`"));
            if property.get("description").and_then(Value::as_str) != Some(doc) {
                differ.push(format!("{name}.{field}"));
                property.insert("description".into(), Value::String(doc.clone()));
            }
        }
    }
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/stagefile.schema.json");
        let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        std::fs::write(path, text).unwrap();
        return;
    }
    assert!(
        differ.is_empty(),
        "schema descriptions differ from the doc comments of {differ:?}; \
         run UPDATE_SCHEMA=1 cargo test -p llb-gen --test schema"
    );
}
