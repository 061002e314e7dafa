//! What each recipe does, checked on the LLB: detection, the files copied before the install,
//! the install command, its cache mounts, and what final images get.

mod common;

use common::compile_files as compile;
use common::{cache_mounts, command, compile_text, copies, exec_running, execs};
use llb_gen::KnownPaths;
use llb_gen::compile::CompileOptions;

fn ids(mounts: Vec<(String, String)>) -> Vec<String> {
    mounts.into_iter().map(|(_, id)| id).collect()
}

const PYTHON: &str = "[stage.app]\npython = \"3.12\"\n";
const NODE: &str = "[stage.web]\nnode = \"20\"\n";
const RUBY: &str = "[stage.web]\nruby = \"3.3\"\n";

const PIP: &str = "[stage.app]\npython = \"3.12\"\ninstaller = \"pip\"\n";

#[test]
fn poetry_installs_main_dependencies_from_the_lock_only() {
    // uv: the lock checked and exported with its hashes by Poetry, then synced exactly.
    let c = compile(PYTHON, &["pyproject.toml", "poetry.lock"]).definition;
    let install = exec_running(&c, "poetry/bin/poetry export");
    let script = command(&install);
    assert!(script.contains("poetry check --lock"), "{script}");
    assert!(
        script.contains("export --only main --no-ansi -f requirements.txt"),
        "{script}"
    );
    assert!(
        script.contains("pip sync --python /venv/bin/python --compile-bytecode"),
        "{script}"
    );
    let caches = ids(cache_mounts(&install));
    for id in [
        "stagefile-uv",
        "stagefile-poetry",
        "stagefile-python3.12-tools",
    ] {
        assert!(caches.contains(&id.to_owned()), "{caches:?}");
    }
    // pip kept: Poetry's own install.
    let c = compile(PIP, &["pyproject.toml", "poetry.lock"]).definition;
    let install = exec_running(&c, "poetry install");
    assert!(command(&install).contains("poetry install --no-root --only main"));
    let caches = ids(cache_mounts(&install));
    for id in [
        "stagefile-pip",
        "stagefile-poetry",
        "stagefile-python3.12-tools",
    ] {
        assert!(caches.contains(&id.to_owned()), "{caches:?}");
    }
    assert_eq!(
        copies(&c),
        [
            ("/pyproject.toml".into(), "/app/pyproject.toml".into()),
            ("/poetry.lock".into(), "/app/poetry.lock".into()),
        ]
    );
}

#[test]
fn pip_and_poetry_get_their_virtualenv_before_the_manifests() {
    // Creating a venv runs ensurepip (seconds): in its own step, before the manifests are
    // copied, a changed requirement file does not redo it.
    for (files, installer) in [
        (&["requirements.txt"][..], "/venv/bin/pip install"),
        (&["pyproject.toml", "poetry.lock"][..], "poetry install"),
    ] {
        let c = compile(PIP, files).definition;
        let all = execs(&c);
        let at = |needle: &str| {
            all.iter()
                .position(|e| command(e).contains(needle))
                .unwrap_or_else(|| panic!("no exec running {needle}"))
        };
        // With ensurepip's wheels, installed by uv; `python3 -m venv` where they are not.
        let venv = command(&all[at("-m venv")]);
        assert!(
            venv.contains("python3 -m venv --without-pip /venv && ")
                && venv.contains("\n  python3 -m venv /venv\n"),
            "{venv}"
        );
        assert!(at("-m venv") < at(installer), "{files:?}");
        assert!(!command(&exec_running(&c, installer)).contains("-m venv /venv"));
    }
    // uv makes its own, quickly, without pip in it.
    for files in [
        &["pyproject.toml", "uv.lock"][..],
        &["requirements.txt"][..],
    ] {
        let c = compile(PYTHON, files).definition;
        assert!(!execs(&c).iter().any(|e| command(e).contains("-m venv")));
    }
    let c = compile(PYTHON, &["requirements.txt"]).definition;
    let script = command(&exec_running(&c, "uv pip install"));
    assert!(
        script.contains("venv --no-project --allow-existing --python python3 /venv && "),
        "{script}"
    );
}

#[test]
fn installing_a_tool_writes_no_bytecode_into_the_layer() {
    // The tools are in a cache mount; the standard library their Python imports is not.
    // Bytecode written there would reach the image, and only when the tools cache was empty.
    let c = compile(PYTHON, &["pyproject.toml", "uv.lock"]).definition;
    let sync = exec_running(&c, "uv sync");
    let script = command(&sync);
    assert!(
        script.contains("PYTHONDONTWRITEBYTECODE=1 python3 -c 'import sys, zipfile;"),
        "{script}"
    );
    let env = &sync.meta.as_ref().expect("meta").env;
    assert!(
        env.contains(&"PYTHONDONTWRITEBYTECODE=1".to_owned()),
        "{env:?}"
    );
}

#[test]
fn uv_comes_from_its_pinned_wheel_and_compiles_checked_hash_bytecode() {
    let c = compile(PYTHON, &["requirements.txt"]).definition;
    let install = exec_running(&c, "uv pip install");
    let env = &install.meta.as_ref().expect("meta").env;
    // compileall writes checked-hash .pyc when SOURCE_DATE_EPOCH is set.
    assert!(
        env.contains(&"SOURCE_DATE_EPOCH=315532800".to_owned()),
        "{env:?}"
    );
    assert!(command(&install).contains("--compile-bytecode -r requirements.txt"));
    let http: Vec<_> = common::ops(&c)
        .into_iter()
        .filter_map(|op| match op.op {
            Some(llb_gen::pb::op::Op::Source(source))
                if source.identifier.starts_with("https://") =>
            {
                Some(source)
            }
            _ => None,
        })
        .collect();
    assert_eq!(http.len(), 1, "{http:?}");
    assert!(
        http[0]
            .identifier
            .ends_with("uv-0.13.9-py3-none-musllinux_1_1_x86_64.whl")
    );
    assert!(http[0].attrs["http.checksum"].starts_with("sha256:2c4553"));
    // A build's own epoch wins.
    let options = CompileOptions {
        source_date_epoch: Some(1_700_000_000),
        ..CompileOptions::default()
    };
    let probe = KnownPaths::new(["requirements.txt".to_owned()]);
    let c = compile_text(PYTHON, &probe, options).definition;
    let env = exec_running(&c, "uv pip install").meta.expect("meta").env;
    assert!(
        env.contains(&"SOURCE_DATE_EPOCH=1700000000".to_owned()),
        "{env:?}"
    );
}

#[test]
fn python_detection_prefers_uv_then_poetry_then_pip() {
    let all = [
        "pyproject.toml",
        "uv.lock",
        "poetry.lock",
        "requirements.txt",
    ];
    let c = compile(PYTHON, &all).definition;
    assert!(command(&exec_running(&c, "uv sync")).contains("--frozen"));
    let c = compile(
        PYTHON,
        &["pyproject.toml", "poetry.lock", "requirements.txt"],
    )
    .definition;
    exec_running(&c, "poetry export");
    let c = compile(PYTHON, &["requirements.txt"]).definition;
    let uv = exec_running(&c, "uv pip install");
    assert!(command(&uv).contains("-r requirements.txt"));
    assert_eq!(
        ids(cache_mounts(&uv)),
        ["stagefile-python3.12-tools", "stagefile-uv"]
    );
    let c = compile(PIP, &["requirements.txt"]).definition;
    let pip = exec_running(&c, "/venv/bin/pip install");
    assert!(command(&pip).contains("-r requirements.txt"));
    assert_eq!(ids(cache_mounts(&pip)), ["stagefile-pip"]);
}

#[test]
fn python_sets_the_virtualenv_in_the_image() {
    let c = compile(
        &format!("{PYTHON}venv = \"/opt/venv\"\n"),
        &["requirements.txt"],
    );
    let env = c.image_config.config.env.unwrap();
    assert!(env.contains(&"VIRTUAL_ENV=/opt/venv".to_owned()), "{env:?}");
    assert!(
        env.iter().any(|e| e.starts_with("PATH=/opt/venv/bin:")),
        "{env:?}"
    );
}

#[test]
fn node_detection_prefers_pnpm_then_yarn_then_npm() {
    let c = compile(
        NODE,
        &[
            "package.json",
            "pnpm-lock.yaml",
            "yarn.lock",
            "package-lock.json",
        ],
    );
    let pnpm = exec_running(&c.definition, "pnpm install --frozen-lockfile");
    assert!(ids(cache_mounts(&pnpm)).contains(&"stagefile-pnpm".to_owned()));
    let c = compile(NODE, &["package.json", "yarn.lock", "package-lock.json"]);
    exec_running(&c.definition, "yarn install --frozen-lockfile");
    // Yarn 2+ (`.yarnrc.yml`) installing into node_modules (Plug'n'Play is refused).
    let files = ["package.json", "yarn.lock", ".yarnrc.yml"].map(str::to_owned);
    let probe = KnownPaths::new(files).with_texts([(
        ".yarnrc.yml".to_owned(),
        "nodeLinker: node-modules\n".to_owned(),
    )]);
    let c = compile_text(NODE, &probe, CompileOptions::default());
    exec_running(&c.definition, "yarn install --immutable");
    let c = compile(NODE, &["package.json", "package-lock.json", ".npmrc"]);
    let npm = exec_running(&c.definition, "npm ci");
    assert_eq!(ids(cache_mounts(&npm)), ["stagefile-npm"]);
    let copied: Vec<String> = copies(&c.definition)
        .into_iter()
        .map(|(src, _)| src)
        .collect();
    assert_eq!(copied, ["/package.json", "/package-lock.json", "/.npmrc"]);
}

#[test]
fn ruby_with_vendor_cache_installs_locally() {
    let spec = format!("{RUBY}cmd = [\"ruby\", \"app.rb\"]\n");
    let c = compile(&spec, &["Gemfile", "Gemfile.lock", "vendor/cache"]).definition;
    let install = exec_running(&c, "bundle install");
    assert!(command(&install).starts_with("bundle install --local &&"));
    assert_eq!(ids(cache_mounts(&install)), ["stagefile-bundler"]);
    // The vendored gems are a read-only mount of the context for the install only: neither
    // the manifest copies nor the source copy put the `.gem` files in a layer.
    let binds: Vec<(String, String, bool)> = install
        .mounts
        .iter()
        .filter(|m| m.mount_type == llb_gen::pb::MountType::Bind as i32 && m.dest != "/")
        .map(|m| (m.dest.clone(), m.selector.clone(), m.readonly))
        .collect();
    assert_eq!(
        binds,
        [("/app/vendor/cache".into(), "/vendor/cache".into(), true)]
    );
    let copied = copies(&c);
    assert!(
        !copied.iter().any(|(src, _)| src.contains("vendor")),
        "{copied:?}"
    );
    let source_excludes: Vec<String> = common::ops(&c)
        .into_iter()
        .filter_map(|op| match op.op {
            Some(llb_gen::pb::op::Op::File(file)) => Some(file.actions),
            _ => None,
        })
        .flatten()
        .filter_map(|action| match action.action {
            Some(llb_gen::pb::file_action::Action::Copy(copy)) if copy.src == "/" => {
                Some(copy.exclude_patterns)
            }
            _ => None,
        })
        .flatten()
        .collect();
    assert!(
        source_excludes.contains(&"vendor/cache".to_owned()),
        "{source_excludes:?}"
    );

    let c = compile(RUBY, &["Gemfile", "Gemfile.lock"]).definition;
    let install = exec_running(&c, "bundle install");
    assert!(!command(&install).contains("--local"));
}

#[test]
fn root_selects_the_project_directory() {
    let spec = format!("{NODE}root = \"web\"\ncmd = [\"node\", \"server.js\"]\n");
    let c = compile(&spec, &["web/package.json", "web/package-lock.json"]).definition;
    let copied = copies(&c);
    assert!(copied.contains(&("/web/package.json".into(), "/app/package.json".into())));
    assert!(
        copied.contains(&("/web".into(), "/app".into())),
        "{copied:?}"
    );
}

#[test]
fn install_false_skips_detection_and_install() {
    let c = compile(&format!("{NODE}install = false\n"), &["package.json"]).definition;
    assert!(execs(&c).iter().all(|e| !command(e).contains("npm")));
}

#[test]
fn apt_uses_locked_caches_and_no_recommends() {
    let spec =
        "[stage.app]\nfrom = \"debian:bookworm-slim\"\napt = [\"curl\", \"ca-certificates\"]\n";
    let c = compile(spec, &[]).definition;
    let apt = exec_running(&c, "apt-get install");
    assert!(command(&apt).contains("--no-install-recommends"));
    assert!(
        command(&apt).contains("--no-install-recommends curl ca-certificates && "),
        "{}",
        command(&apt)
    );
    // Debian's docker-clean is set aside for the install and put back: the image keeps it.
    assert!(command(&apt).ends_with(
        "mv /etc/apt/apt.conf.d/docker-clean.disabled /etc/apt/apt.conf.d/docker-clean; }"
    ));
    assert_eq!(
        ids(cache_mounts(&apt)),
        ["stagefile-apt-cache", "stagefile-apt-lists"]
    );
}

#[test]
fn secrets_are_mounted_never_written_to_env() {
    let spec = "[stage.app]\nfrom = \"debian:bookworm-slim\"\n\
                run = [{ cmd = \"./fetch\", secret = [\"token\", { id = \"key\", env = \"API_KEY\" }] }]\n";
    let c = compile(spec, &[]);
    let fetch = exec_running(&c.definition, "./fetch");
    let secret = fetch
        .mounts
        .iter()
        .find(|m| m.secret_opt.is_some())
        .unwrap();
    assert_eq!(secret.dest, "/run/secrets/token");
    assert_eq!(fetch.secretenv.len(), 1);
    assert_eq!(fetch.secretenv[0].name, "API_KEY");
    let env = &fetch.meta.as_ref().unwrap().env;
    assert!(env.iter().all(|e| !e.starts_with("API_KEY")), "{env:?}");
    let image_env = c.image_config.config.env.unwrap_or_default();
    assert!(image_env.iter().all(|e| !e.starts_with("API_KEY")));
}

#[test]
fn pex_packs_the_virtualenv_uv_filled() {
    let spec = format!("{PYTHON}package = {{ tool = \"pex\", entry = \"app:main\" }}\n");
    let c = compile(&spec, &["pyproject.toml", "uv.lock"]).definition;
    exec_running(&c, "uv sync --frozen");
    let pack = exec_running(&c, "pex/bin/pex");
    let script = command(&pack);
    assert!(
        script.contains("--venv-repository /venv -D . -e app:main"),
        "{script}"
    );
    assert!(script.contains("-o /app/app.pex"), "{script}");
    assert!(ids(cache_mounts(&pack)).contains(&"stagefile-pex".to_owned()));
}

#[test]
fn zipapp_zips_the_venv_packages_with_the_app() {
    let spec = format!(
        "{PYTHON}package = {{ tool = \"zipapp\", entry = \"app\", output = \"/out/app.pyz\" }}\n"
    );
    let c = compile(&spec, &["requirements.txt"]).definition;
    let script = command(&exec_running(&c, "zipapp"));
    assert!(script.contains("sysconfig.get_paths()"), "{script}");
    assert!(
        script.contains("python3 -m zipapp /tmp/stagefile-zipapp -m app"),
        "{script}"
    );
    assert!(script.ends_with("-o /out/app.pyz"), "{script}");
}

#[test]
fn pull_makes_every_image_source_check_the_registry() {
    let spec = "[stage.deps]\npython = \"3.12\"\n[stage.app]\nfrom = \"debian:bookworm-slim\"\ncopy = [{ from = \"deps\", path = \"/venv\" }]\n";
    let probe = KnownPaths::new(["requirements.txt".to_owned()]);
    let image_sources = |pull: bool| -> Vec<(String, Option<String>)> {
        let options = CompileOptions {
            pull,
            ..CompileOptions::default()
        };
        common::ops(&compile_text(spec, &probe, options).definition)
            .into_iter()
            .filter_map(|op| match op.op {
                Some(llb_gen::pb::op::Op::Source(source))
                    if source.identifier.starts_with("docker-image://") =>
                {
                    Some((
                        source.identifier,
                        source.attrs.get("image.resolvemode").cloned(),
                    ))
                }
                _ => None,
            })
            .collect()
    };
    let pulled = image_sources(true);
    assert_eq!(pulled.len(), 2, "{pulled:?}");
    assert!(
        pulled
            .iter()
            .all(|(_, mode)| mode.as_deref() == Some("pull")),
        "{pulled:?}"
    );
    assert!(image_sources(false).iter().all(|(_, mode)| mode.is_none()));
}

#[test]
fn a_pex_stage_without_run_steps_resolves_its_requirements_once() {
    // uv installs them, pex packs that virtualenv: its source edits only re-pack.
    let uv = "[stage.build]\npython = \"3.11\"\n\
              package = { tool = \"pex\", entry = \"app:main\", output = \"/out/app.pex\" }\n";
    let c = compile(uv, &["requirements.txt"]).definition;
    let pex = command(&exec_running(&c, "pex/bin/pex"));
    assert!(pex.contains("--venv-repository /venv -D ."), "{pex}");
    assert!(!pex.contains("-r requirements.txt"), "{pex}");
    // With pip kept, pex resolves them itself, once.
    let spec = "[stage.build]\npython = \"3.11\"\ninstaller = \"pip\"\n\
                package = { tool = \"pex\", entry = \"app:main\", output = \"/out/app.pex\" }\n";
    let c = compile(spec, &["requirements.txt"]).definition;
    let resolving = |c: &llb_gen::pb::Definition| {
        execs(c)
            .iter()
            .filter(|e| command(e).contains("-r requirements.txt"))
            .count()
    };
    assert_eq!(resolving(&c), 1);
    assert!(command(&exec_running(&c, "pex/bin/pex")).contains("-r requirements.txt"));
    // With a run step, the run gets the installed virtualenv it may use.
    let with_run = spec.replace("package", "run = [\"python -c 1\"]\npackage");
    let c = compile(&with_run, &["requirements.txt"]).definition;
    assert_eq!(resolving(&c), 2);
}

#[test]
fn pnpm_and_yarn_stages_run_their_own_steps_with_corepack() {
    // `run = ["pnpm run build"]` finds corepack's pnpm (shims made by the install step) and the
    // release the install downloaded (its cache), not a prompt or a second download.
    let spec = format!(
        "{NODE}run = [\"pnpm run build\", {{ cmd = \"pnpm test\", cache = [{{ target = \"/root/.cache/node/corepack\", id = \"mine\" }}] }}]\n"
    );
    let c = compile(&spec, &["package.json", "pnpm-lock.yaml"]).definition;
    let install = command(&exec_running(&c, "pnpm install"));
    assert!(
        install.starts_with(
            "rm -f /root/.cache/node/corepack/lastKnownGood.json && if command -v corepack >/dev/null 2>&1; then corepack enable pnpm;"
        ),
        "{install}"
    );
    let build = exec_running(&c, "pnpm run build");
    assert_eq!(
        ids(cache_mounts(&build)),
        ["stagefile-node-tools", "stagefile-corepack"]
    );
    // Without a `packageManager` pin, corepack's own default release, not the registry's latest.
    for var in [
        "COREPACK_ENABLE_DOWNLOAD_PROMPT=0",
        "COREPACK_DEFAULT_TO_LATEST=0",
    ] {
        assert!(
            build
                .meta
                .as_ref()
                .is_some_and(|m| m.env.contains(&var.to_owned())),
            "{var}"
        );
    }
    // A step's own mount at the same target wins.
    assert_eq!(
        ids(cache_mounts(&exec_running(&c, "pnpm test"))),
        ["stagefile-node-tools", "mine"]
    );
    // npm stages' steps get nothing extra.
    let npm = format!("{NODE}run = [\"npm run build\"]\n");
    let c = compile(&npm, &["package.json", "package-lock.json"]).definition;
    assert!(cache_mounts(&exec_running(&c, "npm run build")).is_empty());
}
