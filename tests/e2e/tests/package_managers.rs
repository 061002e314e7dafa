//! Node's other package managers, pnpm and Yarn (through corepack), each found from its
//! lockfile, built through the frontend and run. (No Poetry fixture: `poetry lock` fails on
//! these machines, whose PyPI mirror answers 404 for the per-version JSON API it uses.)

use stagefile_e2e::{build, check_node_cli, fixture};

/// A Node fixture installed with `manager` (pnpm or Yarn, found from its lockfile): its own
/// `run` step calls the manager by name, and the runtime gets the build's output only.
fn node_manager_fixture_runs(manager: &str) {
    let image = build(
        &fixture(&format!("node-{manager}")),
        &format!("stagefile-e2e/node-{manager}"),
        &[],
    )
    .expect_ok()
    .tag;
    check_node_cli(&image, "/root/.cache /app/src");
}

#[test]
fn pnpm_stage_installs_from_its_lockfile_and_runs_pnpm() {
    node_manager_fixture_runs("pnpm");
}

#[test]
fn yarn_stage_installs_from_its_lockfile_and_runs_yarn() {
    node_manager_fixture_runs("yarn");
}
