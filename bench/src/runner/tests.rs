//! Discovery, copies, disturbed sides, side order and syntax lines.

use super::*;

#[test]
fn discovers_examples_and_skips_those_without_a_dockerfile() {
    let root =
        std::env::temp_dir().join(format!("stagefile-bench-discover-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for (dir, files) in [
        ("b-both", &["Stagefile.toml", "Dockerfile"][..]),
        ("a-only-stagefile", &["Stagefile.toml"][..]),
        ("c-neither", &["README.md"][..]),
    ] {
        std::fs::create_dir_all(root.join(dir)).expect("mkdir");
        for f in files {
            std::fs::write(root.join(dir).join(f), "").expect("write");
        }
    }
    let all = discover(&root, &[]).expect("lists");
    assert_eq!(
        all.examples
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>(),
        ["b-both"]
    );
    assert_eq!(all.skipped.len(), 1);
    assert_eq!(all.skipped[0].0, "a-only-stagefile");
    let one = discover(&root, &["b-both".into()]).expect("lists");
    assert_eq!(one.examples.len(), 1);
    assert!(discover(&root, &["nope".into()]).is_err());

    let copy = root.join("copy");
    copy_dir(&root.join("b-both"), &copy).expect("copies");
    assert!(copy.join("Dockerfile").is_file());
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_side_is_disturbed_by_cache_hits_when_cold_and_work_when_cached() {
    let sample = |run: usize, cached: usize, shared: usize| BuildSample {
        steps_run: run,
        steps_cached: cached,
        steps_shared: shared,
        ..BuildSample::default()
    };
    let side = |builds: Vec<(Scenario, BuildSample)>| Side {
        builds,
        image: None,
        answers: Vec::new(),
    };
    let clean = vec![
        (Scenario::Cold, sample(12, 0, 0)),
        (Scenario::Cached, sample(0, 12, 0)),
        (Scenario::SourceChange, sample(1, 11, 0)),
    ];
    assert!(!side(clean.clone()).disturbed());
    let mut warm_cold = clean.clone();
    warm_cold[0].1.steps_cached = 3;
    assert!(side(warm_cold).disturbed());
    let mut busy_cached = clean.clone();
    busy_cached[1].1.steps_run = 2;
    assert!(side(busy_cached).disturbed());
    let mut shared = clean;
    shared[2].1.steps_shared = 1;
    assert!(side(shared).disturbed());
}

#[test]
fn sides_rotate_and_tags_are_per_side() {
    use Variant::{Dockerfile, External, Stagefile};
    assert_eq!(Variant::order(0), [Stagefile, External, Dockerfile]);
    assert_eq!(Variant::order(1), [External, Dockerfile, Stagefile]);
    assert_eq!(Variant::order(2), [Dockerfile, Stagefile, External]);
    assert_eq!(Variant::order(3), Variant::order(0));
    let external = external_dockerfile("# syntax=docker/dockerfile:1.4\nFROM scratch\n");
    assert_eq!(external, "# syntax=docker/dockerfile:1\nFROM scratch\n");
    assert_eq!(
        external_dockerfile("# a comment\nFROM scratch\n"),
        "# syntax=docker/dockerfile:1\n# a comment\nFROM scratch\n"
    );
    assert_eq!(
        tag("python-node", Variant::Stagefile),
        "stagefile-bench-python-node:stagefile"
    );
}

#[test]
fn the_frontend_image_is_written_over_the_syntax_line() {
    assert_eq!(
        with_syntax(
            "# syntax=stagefile:dev\n[stage.a]\nfrom = \"scratch\"\n",
            "stagefile:fast"
        ),
        "# syntax=stagefile:fast\n[stage.a]\nfrom = \"scratch\"\n"
    );
    assert_eq!(
        with_syntax("[stage.a]\nfrom = \"scratch\"\n", "stagefile:fast"),
        "# syntax=stagefile:fast\n[stage.a]\nfrom = \"scratch\"\n"
    );
    assert_eq!(
        with_syntax("# syntax=stagefile:dev", "stagefile:fast"),
        "# syntax=stagefile:fast\n"
    );
}

#[test]
fn first_answers_are_measured_on_the_stagefile_and_external_sides() {
    let side = Side {
        answers: vec![0.5, 0.4],
        ..Side::default()
    };
    let mut result = ExampleResult::default();
    side.commit(Variant::External, &mut result);
    Side::default().commit(Variant::Stagefile, &mut result);
    assert_eq!(
        result.first_answers,
        BTreeMap::from([(Variant::External, vec![0.5, 0.4])])
    );
    assert!(Variant::Stagefile.answers_measured());
    assert!(Variant::External.answers_measured());
    assert!(!Variant::Dockerfile.answers_measured());
}
