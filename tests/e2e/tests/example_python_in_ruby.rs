//! examples/python-in-ruby: a Rack app in the Ruby image that shells out to a Python CLI whose
//! interpreter and virtualenv come from a Python stage. Built through the frontend and, for
//! comparison, from the hand-written Dockerfile; both must answer the same.

use stagefile_e2e::{
    Scratch, Server, build, build_file, cached_steps, example, root_sh, run, sh,
    unresolved_python_libraries,
};

const TAG: &str = "stagefile-e2e/python-in-ruby";
const DOCKERFILE_TAG: &str = "stagefile-e2e/python-in-ruby-dockerfile";

/// Pages served by `image`, each checked to come from md2html (the Python tool).
fn check_pages(image: &str) {
    let (_server, note) = Server::start(image, 8080, "/notes/building-images");
    assert!(
        note.contains(
            r#"<meta name="generator" content="md2html 1.0.0 (Python-Markdown 3.11.3, Python 3.11."#
        ),
        "the page was not rendered by md2html on Python 3.11:\n{note}"
    );
    assert!(
        note.contains("<title>Building images in stages</title>"),
        "{note}"
    );
    // Python-Markdown's extensions ran: a table, heading anchors with a table of contents,
    // a footnote.
    assert!(
        note.contains("<td><code>ruby:3.1-slim</code></td>"),
        "{note}"
    );
    assert!(
        note.contains(r##"<a href="#why-copy-the-interpreter">Why copy the interpreter</a>"##),
        "{note}"
    );
    assert!(note.contains(r#"class="footnote""#), "{note}");

    let (_server, index) = Server::start(image, 8080, "/");
    assert!(index.contains("<title>Notes</title>"), "{index}");
    assert!(
        index.contains(r#"<a href="/notes/shelling-out">Shelling out from Ruby</a>"#),
        "{index}"
    );
}

fn check_runtime(image: &str) {
    // The tool runs from the Ruby image's PATH, on the copied interpreter.
    assert_eq!(sh(image, "command -v md2html").trim(), "/venv/bin/md2html");
    let version = run(image, &["md2html", "--version"]);
    assert!(
        version.starts_with("md2html 1.0.0 (Python-Markdown 3.11.3, Python 3.11."),
        "{version}"
    );
    assert_eq!(
        sh(image, "printf '# Hi *there*\\n' | md2html").trim(),
        "<!-- ".to_owned() + version.trim() + " -->\n<h1 id=\"hi-there\">Hi <em>there</em></h1>",
    );
    assert!(run(image, &["md2html", "--help"]).contains("usage: md2html"));
    assert_eq!(
        sh(image, "readlink -f \"$(command -v python3)\"").trim(),
        "/usr/local/bin/python3.11",
        "the venv's python must be the copied CPython"
    );
    assert!(
        run(image, &["ruby", "--version"]).starts_with("ruby 3.1"),
        "still the Ruby image"
    );
    // Every shared library the interpreter and its extension modules link is in the image.
    let unresolved = unresolved_python_libraries(image);
    assert_eq!(unresolved.trim(), "", "libraries missing in the Ruby image");
    assert_eq!(
        run(
            image,
            &[
                "python3",
                "-c",
                "import pyexpat, _elementtree, _sqlite3, _gdbm, _curses, readline, _ssl, \
                 _ctypes, _lzma, _bz2, zlib; print('stdlib extensions load')",
            ],
        )
        .trim(),
        "stdlib extensions load",
    );

    assert_eq!(run(image, &["id", "-u"]).trim(), "10001");
    assert_eq!(run(image, &["id", "-un"]).trim(), "app");

    // No Python from apt: the interpreter is the one copied from the Python stage.
    assert_eq!(
        sh(image, "dpkg -l | grep -i python || true").trim(),
        "",
        "apt-installed Python in the runtime"
    );
    assert_eq!(
        sh(image, "ls /usr/bin/python* 2>/dev/null || true").trim(),
        ""
    );

    // No compilers, no package-manager caches, no pip, no vendored .gem files in the layers.
    let leftovers = root_sh(
        image,
        "command -v gcc cc make pip pip3; \
         find /root/.cache /root/.bundle -type f 2>/dev/null; \
         ls -d /var/cache/apt/archives/*.deb /var/lib/apt/lists/*_Packages \
           \"$(gem env gemdir)\"/cache/*.gem /app/vendor/cache/*.gem \
           /usr/local/lib/python3.11/site-packages 2>/dev/null; \
         true",
    );
    assert_eq!(
        leftovers.trim(),
        "",
        "compilers, package managers or caches left in the image"
    );
}

#[test]
fn ruby_app_renders_with_the_python_tool_copied_from_a_python_stage() {
    let image = build(&example("python-in-ruby"), TAG, &[]).expect_ok().tag;
    check_pages(&image);
    check_runtime(&image);
}

#[test]
fn a_code_edit_reruns_only_the_source_copy() {
    let copy = Scratch::copy_of(&example("python-in-ruby"), "python-in-ruby");
    let tag = "stagefile-e2e/python-in-ruby-edit";
    build(&copy.path, tag, &[]).expect_ok();
    let app = copy.path.join("web/app.rb");
    let source = std::fs::read_to_string(&app).unwrap();
    // An edit no earlier run made: BuildKit would take a copy of a seen edit from its cache.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    let edit = format!("# edited {nanos}");
    std::fs::write(&app, format!("{source}\n{edit}\n")).unwrap();

    let log = build(&copy.path, tag, &[]).expect_ok().log;
    let cached = cached_steps(&log);
    // The interpreter is carried (with its libraries) after the install, before the source.
    for step in [
        "provide the libraries of stage tool's interpreter",
        "carry the interpreter of stage tool",
        "bundle install",
        "COPY --from=tool /venv",
    ] {
        assert!(
            cached.iter().any(|s| s.contains(step)),
            "`{step}` was not CACHED:\n{log}"
        );
    }
    assert!(
        !cached.iter().any(|s| s.contains("COPY web /app")),
        "the edited source was not copied again:\n{log}"
    );
    let edited = root_sh(tag, "tail -n 1 /app/app.rb");
    assert_eq!(edited.trim(), edit);
}

#[test]
fn the_tool_stage_replaced_by_an_image_still_carries_its_interpreter() {
    // `--build-context tool=docker-image://...`: the interpreter, its libraries and the venv
    // come from that image (the tool stage built on its own here), not from the stage.
    let tool = build(
        &example("python-in-ruby"),
        "stagefile-e2e/python-in-ruby-tool",
        &["--target", "tool"],
    )
    .expect_ok()
    .tag;
    let context = format!("tool=docker-image://{tool}:latest");
    let built = build(
        &example("python-in-ruby"),
        "stagefile-e2e/python-in-ruby-replaced",
        &["--build-context", &context],
    )
    .expect_ok();
    assert!(!built.log.contains("[tool 3/"), "{}", built.log);
    check_pages(&built.tag);
    check_runtime(&built.tag);
}

#[test]
fn the_hand_written_dockerfile_builds_the_same_app() {
    let image = build_file(
        &example("python-in-ruby"),
        "Dockerfile",
        DOCKERFILE_TAG,
        &[],
    )
    .expect_ok()
    .tag;
    check_pages(&image);
    check_runtime(&image);
}
