//! One image per language recipe, built through the frontend and run.

use stagefile_e2e::{Server, build, check_node_cli, example, fixture, root_sh, run, sh};

#[test]
fn python_stage_serves_http_as_non_root_without_caches() {
    let image = build(&fixture("python-web"), "stagefile-e2e/python-web", &[])
        .expect_ok()
        .tag;
    let (_server, body) = Server::start(&image, 8000, "/");
    assert_eq!(body.trim(), "hello from stagefile, uid=10001, greeting=hi");
    assert_eq!(run(&image, &["id", "-un"]).trim(), "app");
    let leftovers = root_sh(
        &image,
        "ls -d /root/.cache/pip /var/lib/apt/lists/*.deb /var/cache/apt/archives/*.deb 2>/dev/null; command -v gcc cc || true",
    );
    assert_eq!(
        leftovers.trim(),
        "",
        "caches or compilers left in the image"
    );
    assert_eq!(
        sh(&image, "command -v gunicorn").trim(),
        "/venv/bin/gunicorn"
    );
    let listing = sh(&image, "ls -a /app");
    assert!(
        !listing.contains(".env"),
        ".dockerignore was not honoured: {listing}"
    );
    assert!(listing.contains("app.py"), "{listing}");
}

#[test]
fn node_build_stage_output_runs_in_a_slim_runtime() {
    let image = build(&fixture("node-cli"), "stagefile-e2e/node-cli", &[])
        .expect_ok()
        .tag;
    check_node_cli(&image, "/root/.npm /app/src /app/package-lock.json");
}

#[test]
fn ruby_stage_installs_vendored_gems_offline() {
    let image = build(&fixture("ruby-cli"), "stagefile-e2e/ruby-cli", &[])
        .expect_ok()
        .tag;
    let out = run(&image, &[]);
    assert!(
        out.contains("hello, stagefile, from greeter 1.0.0"),
        "{out}"
    );
    assert!(out.contains("uid 10001"), "{out}");
    let gems = sh(
        &image,
        "ls \"$(gem env gemdir)\"/cache/*.gem 2>/dev/null || true",
    );
    assert_eq!(
        gems.trim(),
        "",
        "downloaded .gem files belong in the cache mount, not the image"
    );
}

#[test]
fn python_app_with_node_assets_has_no_node_in_the_runtime() {
    let image = build(&example("python-node"), "stagefile-e2e/python-node", &[])
        .expect_ok()
        .tag;
    let (_server, body) = Server::start(&image, 8000, "/");
    assert_eq!(body.trim(), "assets: site.css");
    let (_server2, css) = Server::start(&image, 8000, "/site.css");
    assert!(css.contains(".btn"), "{css}");
    let leftovers = root_sh(
        &image,
        "command -v node npm || ls -d /app/node_modules 2>/dev/null || true",
    );
    assert_eq!(leftovers.trim(), "", "the runtime must not hold Node");
    assert_eq!(run(&image, &["id", "-u"]).trim(), "10001");
}

/// A project holding a symlink that loops inside the build context (`loop -> ../loop`): the
/// source copy, which always carries exclude patterns, copies the link as a link, as `COPY . .`
/// does, rather than following it until BuildKit gives up with "too many links".
#[test]
fn a_symlink_that_loops_is_copied_as_a_link() {
    let image = build(
        &fixture("node-symlink-loop"),
        "stagefile-e2e/node-symlink-loop",
        &[],
    )
    .expect_ok()
    .tag;
    assert_eq!(
        run(&image, &[]).trim(),
        "numbers: 1,2 (of 3 args), uid 10001"
    );
    assert_eq!(sh(&image, "readlink /app/loop").trim(), "../loop");
}
