//! docker-container builders, as GitHub Actions' `docker/setup-buildx-action` starts them (on the
//! local `moby/buildkit` image built from the vendored source): the build cache exported by one
//! builder (`--cache-to type=local` and `type=registry`, `mode=max`) is imported by fresh
//! builders, which then take the dependency installs from it.

use stagefile_e2e::buildkit::{Builder, fresh_ref, release_image, require_buildkit};
use stagefile_e2e::{Scratch, Server, cached_steps, example};

/// The python-node example's dependency installs, as progress names them.
const INSTALLS: [&str; 2] = ["pip install -r requirements.txt", "npm ci"];

#[test]
fn cache_exported_by_one_builder_makes_a_fresh_builders_installs_cached() {
    require_buildkit();
    let syntax = format!("BUILDKIT_SYNTAX={}", release_image());
    let dir = example("python-node");
    let local = Scratch::with_files("builder-cache", &[]);
    std::fs::create_dir_all(&local.path).expect("scratch directory");
    let cache_ref = fresh_ref("builder-cache");
    let to_local = format!("type=local,dest={},mode=max", local.path.display());
    let to_registry = format!("type=registry,ref={cache_ref},mode=max");

    // One export per build: with `--cache-to` local and registry in the same build, BuildKit
    // v0.32.2 sometimes wrote the local cache's index.json without its blobs (seen here when
    // the registry export finished first), so the second export is a fully cached rebuild.
    let first = Builder::docker_container("cache-a");
    for (to, cold) in [(&to_local, true), (&to_registry, false)] {
        let log = first
            .build(
                &dir,
                "Stagefile.toml",
                &[
                    "--build-arg",
                    &syntax,
                    "--cache-to",
                    to,
                    "--output",
                    "type=cacheonly",
                ],
            )
            .expect_ok()
            .log;
        for step in INSTALLS {
            assert_eq!(
                cached_steps(&log).iter().any(|s| s.contains(step)),
                !cold,
                "`{step}` on the exporting builder, {to}:\n{log}"
            );
        }
    }
    drop(first);

    let from_local = format!("type=local,src={}", local.path.display());
    let from_registry = format!("type=registry,ref={cache_ref}");
    for (label, from) in [("cache-b", from_local), ("cache-c", from_registry)] {
        let fresh = Builder::docker_container(label);
        let tag = format!("stagefile-e2e/builder-{label}:{}", std::process::id());
        let log = fresh
            .build(
                &dir,
                "Stagefile.toml",
                &[
                    "--build-arg",
                    &syntax,
                    "--cache-from",
                    &from,
                    "--tag",
                    &tag,
                    "--load",
                ],
            )
            .expect_ok()
            .log;
        let cached = cached_steps(&log);
        for step in INSTALLS {
            assert!(
                cached.iter().any(|s| s.contains(step)),
                "`{step}` was not taken from the imported cache ({from}):\n{log}"
            );
        }
        let (_server, body) = Server::start(&tag, 8000, "/");
        assert_eq!(body.trim(), "assets: site.css", "{from}");
    }
}
