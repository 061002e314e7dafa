//! What users see when their spec is wrong or a step fails.

use stagefile_e2e::{build, build_file, fixture};

#[test]
fn misspelled_key_shows_the_toml_line_and_a_suggestion() {
    let log = build(&fixture("errors"), "stagefile-e2e/typo", &[])
        .expect_failure()
        .log;
    assert!(log.contains("unknown key `comand`"), "{log}");
    assert!(log.contains("did you mean `cmd`?"), "{log}");
    assert!(
        log.contains(">>> comand = [\"true\"]"),
        "the TOML line is not shown:\n{log}"
    );
    assert!(log.contains("Stagefile.toml:6"), "{log}");
}

#[test]
fn failing_step_points_at_its_toml_line() {
    let log = build_file(
        &fixture("errors"),
        "Failing.toml",
        "stagefile-e2e/failing",
        &[],
    )
    .expect_failure()
    .log;
    assert!(
        log.contains(">>>   \"echo about to fail && exit 3\","),
        "the failing line is not shown:\n{log}"
    );
    assert!(log.contains("exit code: 3"), "{log}");
}
