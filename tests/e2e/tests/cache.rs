//! Rebuilds: nothing changed means every step is cached; --no-cache rebuilds.

use stagefile_e2e::{build, cached_steps, fixture};

#[test]
fn second_build_is_fully_cached_and_no_cache_rebuilds() {
    let dir = fixture("python-web");
    build(&dir, "stagefile-e2e/cache-a", &[]).expect_ok();
    let log = build(&dir, "stagefile-e2e/cache-a", &[]).expect_ok().log;
    let cached = cached_steps(&log);
    for step in [
        "pip install -r requirements.txt",
        "create user app",
        "COPY . /app",
    ] {
        assert!(
            cached.iter().any(|s| s.contains(step)),
            "`{step}` was not cached:\n{log}"
        );
    }
    let ran: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(" DONE ") && l.contains("[web "))
        .collect();
    assert!(ran.is_empty(), "steps ran again: {ran:?}\n{log}");

    // In the same test, not a parallel one: BuildKit merges identical vertices of concurrent
    // builds, so a --no-cache build of the same fixture running alongside would make the
    // cached build above report its steps as run.
    let log = build(&dir, "stagefile-e2e/cache-a", &["--no-cache"])
        .expect_ok()
        .log;
    assert!(
        !cached_steps(&log).iter().any(|s| s.contains("pip install")),
        "--no-cache was ignored:\n{log}"
    );
}
