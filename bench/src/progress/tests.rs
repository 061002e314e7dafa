//! Parsing progress logs, timestamps, phases and timelines.

use super::*;

const CACHED: &str = include_str!("../../tests/fixtures/stagefile-cached.jsonl");

#[test]
fn timestamps() {
    let t = timestamp("1970-01-02T00:00:01.5Z").expect("valid");
    assert!((t - 86_401.5).abs() < 1e-9);
    let a = timestamp("2026-11-22T16:36:55.963171151Z").expect("valid");
    let b = timestamp("2026-11-22T17:36:55.963171151+01:00").expect("valid");
    assert!((a - b).abs() < 1e-6);
    // 2026-11-22T16:36:55Z is 1795365415 seconds after the epoch.
    assert!((a - 1_795_365_415.963_171).abs() < 1e-3);
    assert!(timestamp("yesterday").is_err());
    assert!(timestamp("2026-13-01T00:00:00Z").is_err());
}

#[test]
fn vertices_are_merged_by_digest() {
    let vertices = parse(CACHED).expect("fixture parses");
    let definition: Vec<&Vertex> = vertices
        .iter()
        .filter(|v| v.name == "[internal] load build definition from Stagefile.toml")
        .collect();
    // The Dockerfile frontend reads the syntax line, then our frontend reads the spec.
    assert_eq!(definition.len(), 2);
    let first = definition[0];
    assert!(first.started.expect("started") < first.completed.expect("completed"));
    assert!(vertices.iter().any(|v| v.cached));
    assert!(vertices.iter().all(|v| v.error.is_none()));
}

#[test]
fn replays_of_shared_vertices_are_dropped() {
    let text = r#"{"vertexes":[{"digest":"old","name":"[tool 2/6] RUN pip install","started":"2026-01-01T00:00:00Z","completed":"2026-01-01T00:00:09Z","error":"not ours"}]}
{"vertexes":[{"digest":"new","name":"[internal] load build definition from Dockerfile","started":"2026-01-01T00:00:10.1Z","completed":"2026-01-01T00:00:10.2Z"}]}
{"vertexes":[{"digest":"pending","name":"[app 2/2] RUN x"}]}"#;
    let launch = timestamp("2026-01-01T00:00:10Z").expect("valid");
    let (ours, shared) = split_at(parse(text).expect("parses"), launch);
    assert_eq!(shared, 1);
    let names: Vec<&str> = ours.iter().map(|v| v.digest.as_str()).collect();
    assert_eq!(names, ["new", "pending"]);
    assert_eq!(first_error(&ours), None);
}

#[test]
fn a_shared_frontend_image_shows_only_its_resolution() {
    // Another build loaded stagefile:dev first: this one sees its config resolved, then
    // the frontend's requests.
    let text = r#"{"vertexes":[{"digest":"a","name":"[internal] load build definition from Stagefile.toml","started":"2026-01-01T00:00:00Z","completed":"2026-01-01T00:00:00.02Z"}]}
{"vertexes":[{"digest":"b","name":"resolve image config for docker-image://docker.io/library/stagefile:dev","started":"2026-01-01T00:00:00.03Z","completed":"2026-01-01T00:00:00.04Z"}]}
{"vertexes":[{"digest":"c","name":"[internal] load build definition from Stagefile.toml","started":"2026-01-01T00:00:00.12Z","completed":"2026-01-01T00:00:00.14Z"}]}
{"vertexes":[{"digest":"d","name":"[internal] load metadata for docker.io/library/python:3.11-slim","started":"2026-01-01T00:00:00.15Z","completed":"2026-01-01T00:00:00.18Z"}]}
{"vertexes":[{"digest":"e","name":"[app 1/4] FROM docker.io/library/python:3.11-slim","started":"2026-01-01T00:00:00.3Z","completed":"2026-01-01T00:00:00.3Z"}]}"#;
    let t = frontend_times(&parse(text).expect("parses"));
    let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-6);
    assert!(close(t.frontend, 0.26), "{t:?}");
    assert!(close(t.startup, 0.08), "{t:?}");
    assert!(close(t.requests, 0.06), "{t:?}");
    assert!(close(t.after_requests, 0.12), "{t:?}");
    assert!(close(t.to_first_step, 0.3), "{t:?}");
}

#[test]
fn a_fully_cached_build_ran_no_step() {
    let vertices = parse(CACHED).expect("fixture parses");
    assert_eq!(vertices.iter().filter(|v| v.ran()).count(), 0);
    assert!(vertices.iter().any(|v| v.is_build_step()));
}

#[test]
fn frontend_phases_add_up() {
    let vertices = parse(CACHED).expect("fixture parses");
    let t = frontend_times(&vertices);
    let total = t.frontend.expect("gateway frontend seen");
    let parts = t.startup.expect("startup")
        + t.requests.expect("requests")
        + t.after_requests.expect("compile");
    assert!((total - parts).abs() < 1e-6, "{t:?}");
    assert!(t.to_first_step.expect("first step") > total);
    // In the fixture: the frontend image is ready at 55.977724295 (the later of its two
    // reports), the first request starts at 56.072992326, the last one ends at
    // 56.129477571, and the first build step starts at 56.209708501.
    assert!((total - 0.231_984_206).abs() < 1e-5, "{t:?}");
    assert!((t.startup.expect("startup") - 0.095_268_031).abs() < 1e-5);
    assert!((t.after_requests.expect("compile") - 0.080_230_930).abs() < 1e-5);
}

#[test]
fn builtin_frontend_has_no_gateway_phase() {
    let text = r#"{"vertexes":[{"digest":"a","name":"[internal] load build definition from Dockerfile","started":"2026-01-01T00:00:00Z","completed":"2026-01-01T00:00:00.1Z"}]}
{"vertexes":[{"digest":"b","name":"[internal] load metadata for docker.io/library/python:3.11-slim","started":"2026-01-01T00:00:00.1Z","completed":"2026-01-01T00:00:00.2Z"}]}
{"vertexes":[{"digest":"c","name":"[stage-1 1/3] FROM docker.io/library/python:3.11-slim","started":"2026-01-01T00:00:00.25Z","completed":"2026-01-01T00:00:00.3Z"}]}
{"vertexes":[{"digest":"d","name":"[stage-1 2/3] RUN pip install","started":"2026-01-01T00:00:00.3Z","completed":"2026-01-01T00:00:02.3Z","error":"exit code: 1"}]}"#;
    let vertices = parse(text).expect("parses");
    let t = frontend_times(&vertices);
    assert!((t.to_first_step.expect("first step") - 0.25).abs() < 1e-6);
    assert_eq!(t.frontend, None);
    assert_eq!(vertices.iter().filter(|v| v.ran()).count(), 1);
    assert_eq!(
        first_error(&vertices).as_deref(),
        Some("[stage-1 2/3] RUN pip install: exit code: 1")
    );
    let p = phases(
        &vertices,
        timestamp("2025-12-31T23:59:59.9Z").expect("valid"),
        3.0,
    )
    .expect("phases");
    assert!((p.client_start - 0.1).abs() < 1e-6, "{p:?}");
    assert!((p.before_steps - 0.25).abs() < 1e-6, "{p:?}");
    assert!((p.steps_and_export - 2.05).abs() < 1e-6, "{p:?}");
    assert!((p.client_end - 0.6).abs() < 1e-6, "{p:?}");
    let slow = slowest(&vertices, 1);
    assert_eq!(slow[0].0, "[stage-1 2/3] RUN pip install");
    assert!(timeline(&vertices, 0.0).contains("ERROR"));
}
