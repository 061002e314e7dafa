//! Build-only packages (`build_apt`): the stage builds in a builder and its image starts again
//! from the base with the results and the shared libraries they need, found by scanning them.
//! Nothing here names a runtime library: psycopg2 needs libpq5, lxml libxml2 and libxslt1.1, a
//! native Node addon libpq5; a library no package owns is copied; one that cannot be found
//! fails the build, naming it and the file that needs it.

use stagefile_e2e::{Scratch, build, build_leftovers, dev_packages, fixture, run, sh};

/// Checks that the image has `packages` installed (none named by the spec), and that the build
/// output listed them (a cached step prints nothing). Each directory's scan prints its own list
/// (`runtime packages for /venv:`) and, when there are several, their merge the image's
/// (`runtime packages:`): a scan can run again while the merge of the same lists stays cached.
fn found_and_installed(image: &str, log: &str, packages: &[&str]) {
    let merged = log.contains("[internal] the shared libraries");
    let listed = log.lines().rfind(|line| {
        let list = if merged {
            line.contains("runtime packages:")
        } else {
            line.contains("runtime packages:") || line.contains("runtime packages for ")
        };
        list && !line.contains("all present")
    });
    if let Some(line) = listed {
        for package in packages {
            assert!(
                line.contains(&format!(" {package} ")),
                "{package} not listed: {line}"
            );
        }
    }
    let query = format!(
        "dpkg-query -W -f='${{Package}} ${{Status}}\\n' {}",
        packages.join(" ")
    );
    let installed = sh(image, &query);
    for package in packages {
        assert!(
            installed.contains(&format!("{package} install ok installed")),
            "{package} is not installed in the image:\n{installed}"
        );
    }
}

/// A value no earlier build has seen, so the steps after it run (and print) again.
fn nonce() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    format!("{}-{nanos}", std::process::id())
}

fn no_build_tools(image: &str) {
    assert_eq!(
        dev_packages(image),
        Vec::<String>::new(),
        "-dev packages or compilers"
    );
    assert_eq!(build_leftovers(image), Vec::<String>::new());
}

#[test]
fn c_extensions_get_the_libraries_they_link_without_a_list() {
    let built = build(
        &fixture("native-deps"),
        "stagefile-e2e/native-py",
        &["--target", "py"],
    )
    .expect_ok();
    found_and_installed(&built.tag, &built.log, &["libpq5", "libxml2", "libxslt1.1"]);
    assert_eq!(
        run(&built.tag, &[]).trim(),
        "psycopg2 2.9.10 on libpq 15; lxml on libxml2 2.9, titles: Dune; uid 10001"
    );
    no_build_tools(&built.tag);
}

#[test]
fn a_native_node_addon_gets_the_library_it_links() {
    let built = build(
        &fixture("native-deps"),
        "stagefile-e2e/native-js",
        &["--target", "js"],
    )
    .expect_ok();
    found_and_installed(&built.tag, &built.log, &["libpq5"]);
    assert_eq!(
        run(&built.tag, &[]).trim(),
        "libpq addon: function, uid 10001"
    );
    no_build_tools(&built.tag);
    assert_eq!(
        sh(&built.tag, "command -v python3 make || true").trim(),
        "",
        "node-gyp's tools stay in the builder"
    );
}

/// A stage whose build step writes `hello` linked against a library of its own in /usr/local.
const OWN_LIBRARY: &str = r#"# syntax=stagefile:dev
[stage.app]
python = "3.11"
build_apt = ["gcc", "libc6-dev"]
run = [
  "echo NONCE",
  "printf 'const char *hello(void) { return \"hello from a library no package owns\"; }' > hello.c",
  "gcc -shared -fPIC -Wl,-soname,libhello.so.1 -o /usr/local/lib/libhello.so.1.0 hello.c && ln -s libhello.so.1.0 /usr/local/lib/libhello.so.1 && ldconfig",
  "printf '#include <stdio.h>\nconst char *hello(void);\nint main(void) { puts(hello()); return 0; }' > main.c && gcc main.c /usr/local/lib/libhello.so.1 -o hello && rm hello.c main.c",
]
cmd = ["/app/hello"]
"#;

#[test]
fn a_library_no_package_owns_is_copied_with_its_link() {
    let spec = OWN_LIBRARY.replace("NONCE", &nonce());
    let dir = Scratch::with_files("own-library", &[("Stagefile.toml", &spec)]);
    let built = build(&dir.path, "stagefile-e2e/own-library", &[]).expect_ok();
    assert!(
        built
            .log
            .contains("runtime libraries copied for /app: /usr/local/lib/libhello.so.1"),
        "{}",
        built.log
    );
    assert_eq!(
        run(&built.tag, &[]).trim(),
        "hello from a library no package owns"
    );
    assert_eq!(
        sh(&built.tag, "readlink /usr/local/lib/libhello.so.1").trim(),
        "libhello.so.1.0"
    );
    no_build_tools(&built.tag);
}

#[test]
fn a_library_that_cannot_be_found_fails_the_build_naming_it() {
    let spec = OWN_LIBRARY.replace("NONCE", &nonce()).replace(
        "-o hello && rm hello.c main.c",
        "-o hello && rm hello.c main.c /usr/local/lib/libhello.so.1*",
    );
    let dir = Scratch::with_files("lost-library", &[("Stagefile.toml", &spec)]);
    let log = build(&dir.path, "stagefile-e2e/lost-library", &[])
        .expect_failure()
        .log;
    assert!(
        log.contains("cannot find libhello.so.1 needed by /app/hello"),
        "{log}"
    );
}

/// A program linked against libpq.so.5, as a project might commit a prebuilt tool: linked
/// here with the host's C compiler against a stub of that soname, kept out of the context.
const PQ_PROGRAM: &str = "#include <stdio.h>\nint PQlibVersion(void);\n\
                          int main(void) { printf(\"libpq %d\\n\", PQlibVersion()); return 0; }\n";

/// A project directory named after `name` with `spec` and [`PQ_PROGRAM`] as `bin/pqversion`.
fn committed_pq_program(name: &str, spec: &str) -> Scratch {
    let stub = Scratch::with_files(
        &format!("{name}-stub"),
        &[
            ("stub.c", "int PQlibVersion(void) { return 0; }\n"),
            ("main.c", PQ_PROGRAM),
        ],
    );
    let dir = Scratch::with_files(name, &[("Stagefile.toml", spec)]);
    std::fs::create_dir_all(dir.path.join("bin")).expect("mkdir bin");
    let cc = |args: &[&str]| {
        let status = std::process::Command::new("cc")
            .args(args)
            .current_dir(&stub.path)
            .status()
            .expect("the host's C compiler (`cc`: bash tests/e2e/setup.sh installs gcc)");
        assert!(status.success(), "cc {args:?}");
    };
    cc(&[
        "-shared",
        "-fPIC",
        "-Wl,-soname,libpq.so.5",
        "-o",
        "libpq.so.5",
        "stub.c",
    ]);
    let program = dir.path.join("bin/pqversion");
    cc(&[
        "-o",
        program.to_str().expect("utf-8 path"),
        "main.c",
        "./libpq.so.5",
    ]);
    dir
}

/// A uid no earlier build used, so the image's steps after the user's run (and print) again.
fn fresh_uid() -> u128 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    20000 + nanos % 30000
}

#[test]
fn a_program_committed_to_the_context_gets_the_libraries_it_links() {
    // The frontend reads the context for ELF files before compiling; with one there, the
    // workdir's scan still reads the source copy and the image gets libpq5 for it.
    let spec = "# syntax=stagefile:dev\n[stage.app]\npython = \"3.11\"\n\
                build_apt = [\"libpq-dev\"]\ncmd = [\"/app/bin/pqversion\"]\n";
    let dir = committed_pq_program("committed-elf", spec);
    let built = build(&dir.path, "stagefile-e2e/committed-elf", &[]).expect_ok();
    found_and_installed(&built.tag, &built.log, &["libpq5"]);
    let answer = run(&built.tag, &[]);
    assert!(answer.starts_with("libpq 15"), "{answer}");
}

#[test]
fn a_library_only_the_scan_finds_is_installed_after_the_build() {
    // build_apt names the library itself, not a development package: nothing tells before the
    // build that the image needs it, so the step after the scan installs it.
    let spec = format!(
        "# syntax=stagefile:dev\n[stage.app]\npython = \"3.11\"\nbuild_apt = [\"libpq5\"]\n\
         user = {{ name = \"app\", uid = {} }}\ncmd = [\"/app/bin/pqversion\"]\n",
        fresh_uid()
    );
    let dir = committed_pq_program("late-library", &spec);
    let built = build(&dir.path, "stagefile-e2e/late-library", &[]).expect_ok();
    assert!(
        built.log.contains("runtime packages to install: libpq5"),
        "{}",
        built.log
    );
    found_and_installed(&built.tag, &built.log, &["libpq5"]);
    let answer = run(&built.tag, &[]);
    assert!(answer.starts_with("libpq 15"), "{answer}");
}

/// Builds a Python app with `build_apt` (its workdir is scanned for libraries) whose context
/// holds `scripts` owner-executable shell scripts and no ELF file, edits `app.py`, builds again
/// and says whether the second build took the workdir's scan from the cache.
fn scan_cached_after_an_edit(name: &str, scripts: usize) -> bool {
    let spec = "# syntax=stagefile:dev\n[stage.app]\npython = \"3.11\"\n\
                build_apt = [\"make\"]\ncmd = [\"python\", \"app.py\"]\n";
    let dir = Scratch::with_files(
        name,
        &[
            ("Stagefile.toml", spec),
            ("app.py", "print('scripts ok')\n"),
        ],
    );
    std::fs::create_dir_all(dir.path.join("scripts")).expect("mkdir scripts");
    for index in 0..scripts {
        let path = dir.path.join(format!("scripts/task-{index:03}.sh"));
        std::fs::write(&path, "#!/bin/sh\necho task\n").expect("write a script");
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod a script");
    }
    let tag = format!("stagefile-e2e/{name}");
    build(&dir.path, &tag, &[]).expect_ok();
    let edited = format!("edited {}", nonce());
    std::fs::write(dir.path.join("app.py"), format!("print('{edited}')\n")).expect("edit app.py");
    let built = build(&dir.path, &tag, &[]).expect_ok();
    assert_eq!(run(&built.tag, &[]).trim(), edited);
    stagefile_e2e::cached_steps(&built.log)
        .iter()
        .any(|step| step.contains("find the shared libraries /app needs"))
}

#[test]
fn the_context_check_gives_up_past_its_candidate_limit_and_the_scan_still_runs() {
    // A few executable scripts: the frontend reads their first bytes, finds no ELF file, and
    // a source edit leaves the workdir's scan cached. Past 256 candidates it stops reading
    // and keeps the scan of the source copy, which then runs again after the edit.
    assert!(scan_cached_after_an_edit("elf-check-few", 8));
    assert!(!scan_cached_after_an_edit("elf-check-many", 300));
}

/// The first line of Debian's `/etc/apt/apt.conf.d/docker-clean` in Docker Hub's images.
const DOCKER_CLEAN: &str =
    "DPkg::Post-Invoke { \"rm -f /var/cache/apt/archives/*.deb || true\"; };";

#[test]
fn a_wheels_own_libraries_pass_the_scan_and_an_unused_dev_package_is_named() {
    // psycopg2-binary brings libpq and its libraries in `psycopg2_binary.libs/`, which find
    // each other through the extension's RPATH: the scan takes them as found. libpq-dev is
    // then of no use: its library (installed while the build ran) is kept and named in the
    // build output. The stage's own `apt` package goes in with it, before the build ends. The
    // base has Debian's docker-clean (as Docker Hub's images do): set aside while apt installs
    // from the shared caches, it is still in the image. A new uid makes the image's steps run
    // (and print) again.
    let uid = fresh_uid();
    let spec = format!(
        "# syntax=stagefile:dev\n\
         [stage.base]\nfrom = \"python:3.11-slim\"\n\
         copy = [{{ src = \"docker-clean\", dest = \"/etc/apt/apt.conf.d/docker-clean\" }}]\n\n\
         [stage.app]\nfrom = \"base\"\npython = \"3.11\"\nbuild_apt = [\"libpq-dev\"]\n\
         apt = [\"jq\"]\nuser = {{ name = \"app\", uid = {uid} }}\ncmd = [\"python\", \"app.py\"]\n"
    );
    let dir = Scratch::with_files(
        "wheel-libraries",
        &[
            ("Stagefile.toml", &spec),
            ("requirements.txt", "psycopg2-binary==2.9.10\n"),
            ("docker-clean", &format!("{DOCKER_CLEAN}\n")),
            (
                "app.py",
                "import os, psycopg2\nprint('psycopg2', psycopg2.__version__.split()[0], 'uid', os.getuid())\n",
            ),
        ],
    );
    let built = build(&dir.path, "stagefile-e2e/wheel-libraries", &[]).expect_ok();
    assert_eq!(
        run(&built.tag, &[]).trim(),
        format!("psycopg2 2.9.10 uid {uid}")
    );
    assert!(
        built
            .log
            .contains("runtime packages known before the build: jq libpq5"),
        "{}",
        built.log
    );
    assert_eq!(sh(&built.tag, "echo '{\"a\": 1}' | jq .a").trim(), "1");
    assert_eq!(
        sh(&built.tag, "cat /etc/apt/apt.conf.d/docker-clean").trim(),
        DOCKER_CLEAN
    );
    assert!(
        built
            .log
            .contains("nothing the build made links to libpq5, which was installed as the library of a build_apt package"),
        "{}",
        built.log
    );
    no_build_tools(&built.tag);
}

#[test]
fn a_stage_that_installs_apt_packages_keeps_its_bases_docker_clean() {
    // No builder here: `apt` installs into the image itself, from the shared caches, with
    // docker-clean set aside and put back.
    let spec = "# syntax=stagefile:dev\n\
                [stage.base]\nfrom = \"debian:bookworm-slim\"\n\
                copy = [{ src = \"docker-clean\", dest = \"/etc/apt/apt.conf.d/docker-clean\" }]\n\n\
                [stage.app]\nfrom = \"base\"\napt = [\"jq\"]\ncmd = [\"jq\", \"--version\"]\n";
    let dir = Scratch::with_files(
        "apt-docker-clean",
        &[
            ("Stagefile.toml", spec),
            ("docker-clean", &format!("{DOCKER_CLEAN}\n")),
        ],
    );
    let built = build(&dir.path, "stagefile-e2e/apt-docker-clean", &[]).expect_ok();
    assert!(run(&built.tag, &[]).starts_with("jq-1."));
    assert_eq!(
        sh(&built.tag, "cat /etc/apt/apt.conf.d/docker-clean").trim(),
        DOCKER_CLEAN
    );
    assert_eq!(
        sh(
            &built.tag,
            "ls /var/cache/apt/archives/*.deb 2>/dev/null | wc -l"
        )
        .trim(),
        "0",
        "downloaded packages in the image"
    );
}
