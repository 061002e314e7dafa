//! Structural checks on every definition: ops decode, inputs point backwards, the terminal op is
//! last, every op has metadata, and the source map points into the spec.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{compile_dir, example_dirs, spec_dirs};
use llb_gen::llb::digest_bytes;
use llb_gen::pb;
use prost::Message;

fn check(dir: &Path, target: Option<&str>) {
    let what = format!("{} (target {target:?})", dir.display());
    let spec = std::fs::read_to_string(dir.join("Stagefile.toml")).unwrap();
    let definition = compile_dir(dir, target).definition;
    assert!(definition.def.len() >= 2, "{what}: too few ops");

    let mut position = BTreeMap::new();
    for (index, bytes) in definition.def.iter().enumerate() {
        let op = pb::Op::decode(bytes.as_slice())
            .unwrap_or_else(|e| panic!("{what}: op #{index} does not decode: {e}"));
        let digest = digest_bytes(bytes);
        for input in &op.inputs {
            let from = position.get(&input.digest);
            assert!(
                from.is_some_and(|&i| i < index),
                "{what}: op #{index} uses {} that is not an earlier op",
                input.digest
            );
        }
        assert!(
            definition.metadata.contains_key(&digest),
            "{what}: op #{index} has no metadata"
        );
        assert!(
            position.insert(digest, index).is_none(),
            "{what}: op #{index} is a duplicate"
        );
    }
    assert_eq!(definition.metadata.len(), definition.def.len(), "{what}");

    let last = pb::Op::decode(definition.def.last().unwrap().as_slice()).unwrap();
    assert!(
        last.op.is_none(),
        "{what}: the last op is not the terminal op"
    );
    assert_eq!(
        last.inputs.len(),
        1,
        "{what}: the terminal op has one input"
    );
    let others_terminal = definition.def[..definition.def.len() - 1]
        .iter()
        .filter(|bytes| pb::Op::decode(bytes.as_slice()).unwrap().op.is_none())
        .count();
    assert_eq!(others_terminal, 0, "{what}: a terminal op before the end");

    let source = definition.source.as_ref().expect("a source map");
    assert_eq!(source.infos.len(), 1, "{what}");
    assert_eq!(source.infos[0].filename, "Stagefile.toml");
    assert_eq!(source.infos[0].language, "TOML");
    assert_eq!(source.infos[0].data, spec.as_bytes(), "{what}");
    let lines = spec.lines().count() as i32;
    for (digest, locations) in &source.locations {
        assert!(position.contains_key(digest), "{what}: location of no op");
        for location in &locations.locations {
            assert_eq!(location.source_index, 0, "{what}");
            for range in &location.ranges {
                let start = range.start.as_ref().unwrap();
                let end = range.end.as_ref().unwrap();
                assert!(
                    (1..=lines).contains(&start.line) && (start.line..=lines).contains(&end.line),
                    "{what}: range {}..{} outside 1..{lines}",
                    start.line,
                    end.line
                );
                assert!(start.character >= 0 && end.character >= 0, "{what}");
            }
        }
    }
}

#[test]
fn every_spec_and_example_is_well_formed() {
    for dir in spec_dirs().into_iter().chain(example_dirs()) {
        check(&dir, None);
    }
}

#[test]
fn every_target_of_the_multi_target_spec_is_well_formed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/multi-target");
    for target in ["base", "api", "worker", "test"] {
        check(&dir, Some(target));
    }
}
