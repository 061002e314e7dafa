//! Ruby projects as they come: path gems and git gems (from vendor/cache), the frozen install
//! that refuses a stale lockfile, and a Rails-shaped build (assets built with Node in the
//! builder, a compile cache written by a build step) whose image runs as the non-root user.

use stagefile_e2e::{Scratch, Server, build, cached_steps, fixture, root_sh};

const FIXTURE: &str = "ruby-rails-shaped";

/// What the fixture's app answers with, given its asset's name.
fn check_answer(body: &str) {
    for line in [
        "greeting=* HELLO, STAGEFILE! *",
        "shout=0.2.0",
        "sparkle=0.3.0",
        "compiled=2",
        "tmp=ok",
        "uid=10001",
    ] {
        assert!(body.lines().any(|l| l == line), "no `{line}` in:\n{body}");
    }
    assert!(
        body.lines()
            .any(|l| l.starts_with("asset=application-") && l.ends_with(".js")),
        "{body}"
    );
}

#[test]
fn rails_shaped_app_runs_with_path_and_git_gems_and_assets_built_by_node() {
    let image = build(&fixture(FIXTURE), "stagefile-e2e/ruby-rails-shaped", &[])
        .expect_ok()
        .tag;
    let (_server, body) = Server::start(&image, 8080, "/");
    check_answer(&body);
    // Node built the assets in the builder only; vendor/cache, .gem files and the Node
    // modules stay out of the image; the git gem is where Bundler looks without vendor/cache.
    let leftovers = root_sh(
        &image,
        "command -v node; ls -d /app/node_modules /app/vendor/cache /usr/local/bundle/cache/*.gem 2>/dev/null; true",
    );
    assert_eq!(leftovers.trim(), "", "left in the image");
    let found = root_sh(
        &image,
        "ls -d /usr/local/bundle/bundler/gems/sparkle-650d7c93d717/lib /app/gems/shout/lib/shout.rb /app/public/assets/.manifest.json && stat -c %U /app/tmp/cache/bootsnap /app/log /app/storage /app/config.ru",
    );
    assert!(found.ends_with("app\napp\napp\nroot\n"), "{found}");
}

/// Appends a line no earlier build wrote to `file` in `dir` (BuildKit would take a copy of a
/// seen edit from its cache).
fn edit(dir: &std::path::Path, file: &str) {
    let path = dir.join(file);
    let source = std::fs::read_to_string(&path).unwrap();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    std::fs::write(&path, format!("{source}\n# edited {nanos}\n")).unwrap();
}

#[test]
fn a_source_edit_keeps_the_gem_install_and_a_path_gem_edit_redoes_it() {
    let copy = Scratch::copy_of(&fixture(FIXTURE), "ruby-rails-edit");
    let tag = "stagefile-e2e/ruby-rails-edit";
    build(&copy.path, tag, &[]).expect_ok();

    edit(&copy.path, "lib/report.rb");
    let log = build(&copy.path, tag, &[]).expect_ok().log;
    let cached = cached_steps(&log);
    for step in ["bundle install --local (git gems)", "COPY gems/shout"] {
        assert!(
            cached.iter().any(|s| s.contains(step)),
            "`{step}` was not CACHED:\n{log}"
        );
    }
    assert!(
        !cached.iter().any(|s| s.contains("compile-cache")),
        "the build steps did not see the edit:\n{log}"
    );

    // The install is keyed on the path gem: a change there installs again.
    edit(&copy.path, "gems/shout/lib/shout.rb");
    let log = build(&copy.path, tag, &[]).expect_ok().log;
    assert!(
        !cached_steps(&log)
            .iter()
            .any(|s| s.contains("bundle install")),
        "the install did not see the path gem's edit:\n{log}"
    );
    let (_server, body) = Server::start(tag, 8080, "/");
    check_answer(&body);
}

#[test]
fn a_git_gem_missing_from_vendor_cache_fails_the_build_and_says_how_to_vendor_it() {
    let copy = Scratch::copy_of(&fixture(FIXTURE), "ruby-git-uncached");
    std::fs::remove_dir_all(copy.path.join("vendor/cache/sparkle-650d7c93d717")).unwrap();
    let log = build(&copy.path, "stagefile-e2e/ruby-git-uncached", &[])
        .expect_failure()
        .log;
    assert!(
        log.contains("the git gem sparkle (https://git.example.com/stagefile/sparkle.git, revision 650d7c93d717) is not in vendor/cache"),
        "{log}"
    );
    assert!(log.contains("bundle config set cache_all true"), "{log}");
    assert!(
        log.contains(">>> ruby = \"3.1\""),
        "not at its TOML line:\n{log}"
    );
}

#[test]
fn a_git_gem_to_fetch_without_git_fails_the_build_and_says_what_to_add() {
    // Without vendor/cache, Bundler would clone the git gem, and ruby:3.1-slim has no git.
    let copy = Scratch::copy_of(&fixture(FIXTURE), "ruby-git-online");
    std::fs::remove_dir_all(copy.path.join("vendor/cache")).unwrap();
    let log = build(&copy.path, "stagefile-e2e/ruby-git-online", &[])
        .expect_failure()
        .log;
    assert!(
        log.contains("Gemfile.lock has the git gem sparkle (https://git.example.com/stagefile/sparkle.git), which Bundler fetches with git, and this image has no git: add build_apt = [\"git\"]"),
        "{log}"
    );
}

#[test]
fn a_path_gem_outside_the_context_is_refused_at_the_toml_line() {
    let copy = Scratch::copy_of(&fixture(FIXTURE), "ruby-path-outside");
    let lock = copy.path.join("Gemfile.lock");
    let text = std::fs::read_to_string(&lock).unwrap();
    std::fs::write(
        &lock,
        text.replace("remote: gems/shout", "remote: ../shout"),
    )
    .unwrap();
    let log = build(&copy.path, "stagefile-e2e/ruby-path-outside", &[])
        .expect_failure()
        .log;
    assert!(
        log.contains("has the path gem `shout` at `../shout`, outside the build context"),
        "{log}"
    );
    assert!(log.contains("Stagefile.toml:13"), "{log}");
}

#[test]
fn a_gemfile_changed_after_its_lock_fails_the_frozen_install() {
    let copy = Scratch::copy_of(&fixture("ruby-cli"), "ruby-stale-lock");
    let gemfile = copy.path.join("Gemfile");
    let text = std::fs::read_to_string(&gemfile).unwrap();
    std::fs::write(&gemfile, text.replace("\"1.0.0\"", "\"1.0.1\"")).unwrap();
    let log = build(&copy.path, "stagefile-e2e/ruby-stale-lock", &[])
        .expect_failure()
        .log;
    assert!(
        log.contains("You are trying to install in deployment mode after changing"),
        "{log}"
    );
    assert!(log.contains("greeter (= 1.0.1)"), "{log}");
}

#[test]
fn rails_dockerfile_bundler_env_is_what_the_install_uses() {
    // The env of Rails' generated Dockerfile: deployment mode, gems in /usr/local/bundle
    // (under ruby/3.1.0/), only the development group left out.
    let copy = Scratch::copy_of(&fixture("ruby-cli"), "ruby-deployment-env");
    let spec = copy.path.join("Stagefile.toml");
    let text = std::fs::read_to_string(&spec).unwrap();
    let env = "env = { BUNDLE_DEPLOYMENT = \"1\", BUNDLE_PATH = \"/usr/local/bundle\", BUNDLE_WITHOUT = \"development\" }\n";
    std::fs::write(&spec, format!("{text}{env}")).unwrap();
    let image = build(&copy.path, "stagefile-e2e/ruby-deployment-env", &[])
        .expect_ok()
        .tag;
    let out = stagefile_e2e::run(&image, &[]);
    assert!(
        out.contains("hello, stagefile, from greeter 1.0.0"),
        "{out}"
    );
    assert!(out.contains("uid 10001"), "{out}");
    let found = root_sh(
        &image,
        "ls -d /usr/local/bundle/ruby/3.1.0/gems/greeter-1.0.0; ls /usr/local/bundle/ruby/3.1.0/cache/ 2>/dev/null; true",
    );
    assert_eq!(
        found.trim(),
        "/usr/local/bundle/ruby/3.1.0/gems/greeter-1.0.0"
    );
}

#[test]
fn a_path_gem_beside_the_project_root_reaches_a_builder_stage_image() {
    let lock = "PATH\n  remote: ../shared/hello\n  specs:\n    hello (1.0.0)\n\nGEM\n  remote: https://rubygems.org/\n  specs:\n\nPLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  hello!\n\nBUNDLED WITH\n   2.3.15\n";
    let gemspec = "Gem::Specification.new do |s|\n  s.name = \"hello\"\n  s.version = \"1.0.0\"\n  s.summary = \"hi\"\n  s.authors = [\"Stagefile\"]\n  s.files = [\"lib/hello.rb\"]\nend\n";
    let dir = Scratch::with_files(
        "ruby-path-beside",
        &[
            (
                "Stagefile.toml",
                "# syntax=stagefile:dev\n[stage.app]\nruby = \"3.1\"\nroot = \"web\"\nbuild_apt = [\"libyaml-dev\"]\ncmd = [\"bundle\", \"exec\", \"ruby\", \"app.rb\"]\n",
            ),
            (
                "web/Gemfile",
                "source \"https://rubygems.org\"\ngem \"hello\", path: \"../shared/hello\"\n",
            ),
            ("web/Gemfile.lock", lock),
            (
                "web/app.rb",
                "require \"bundler/setup\"\nrequire \"hello\"\nputs Hello::HI, Gem.loaded_specs[\"hello\"].full_gem_path\n",
            ),
            ("shared/hello/hello.gemspec", gemspec),
            (
                "shared/hello/lib/hello.rb",
                "module Hello\n  HI = \"hi from a path gem\"\nend\n",
            ),
        ],
    );
    let image = build(&dir.path, "stagefile-e2e/ruby-path-beside", &[])
        .expect_ok()
        .tag;
    let out = stagefile_e2e::run(&image, &[]);
    assert_eq!(out.trim(), "hi from a path gem\n/shared/hello");
}

#[test]
fn a_gemspec_project_installs_itself_with_its_source() {
    // `gemspec` in the Gemfile: the project is its own path gem (`remote: .`).
    let lock = "PATH\n  remote: .\n  specs:\n    tool (0.1.0)\n\nGEM\n  remote: https://rubygems.org/\n  specs:\n\nPLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  tool!\n\nBUNDLED WITH\n   2.3.15\n";
    let gemspec = "require_relative \"lib/tool/version\"\nGem::Specification.new do |s|\n  s.name = \"tool\"\n  s.version = Tool::VERSION\n  s.summary = \"a gem project\"\n  s.authors = [\"Stagefile\"]\n  s.files = Dir[\"lib/**/*.rb\"]\n  s.bindir = \"exe\"\n  s.executables = [\"tool\"]\nend\n";
    let dir = Scratch::with_files(
        "ruby-gemspec",
        &[
            (
                "Stagefile.toml",
                "# syntax=stagefile:dev\n[stage.app]\nruby = \"3.1\"\ncmd = [\"bundle\", \"exec\", \"tool\"]\n",
            ),
            ("Gemfile", "source \"https://rubygems.org\"\ngemspec\n"),
            ("Gemfile.lock", lock),
            ("tool.gemspec", gemspec),
            (
                "lib/tool/version.rb",
                "module Tool\n  VERSION = \"0.1.0\"\nend\n",
            ),
            (
                "exe/tool",
                "#!/usr/bin/env ruby\nrequire \"tool/version\"\nputs \"tool #{Tool::VERSION} as #{Process.uid}\"\n",
            ),
        ],
    );
    let image = build(&dir.path, "stagefile-e2e/ruby-gemspec", &[])
        .expect_ok()
        .tag;
    assert_eq!(
        stagefile_e2e::run(&image, &[]).trim(),
        "tool 0.1.0 as 10001"
    );
}
