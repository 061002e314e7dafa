//! Every committed seed of the fuzz corpus passes the harness: the examples, the test specs
//! and the invalid corpus are accepted or refused the way the invariants demand.

use stagefile_fuzz::{check, repo_root, seeds};

#[test]
fn every_seed_passes_the_harness() {
    let seeds = seeds(&repo_root(), false);
    assert!(
        seeds.len() >= 60,
        "the seed corpus went missing: {}",
        seeds.len()
    );
    for (path, bytes) in seeds {
        let result = std::panic::catch_unwind(|| check(&bytes));
        assert!(result.is_ok(), "{} broke the harness", path.display());
    }
}
