//! `copy = [{ from = ..., interpreter = true }]`: a stage's interpreter carried into an image of
//! another family, with the shared libraries it needs. examples/python-in-ruby carries Python
//! into a Ruby image; here Node goes into a Python image, Python into a Node image (where it
//! comes before the Node install, which node-gyp may make run it), and Python into an image
//! without apt, which gets the libraries copied instead of installed.

use stagefile_e2e::{Scratch, build, run, sh, unresolved_python_libraries};

/// A Python stage whose virtualenv holds Python-Markdown.
const TOOL: &str = "[stage.tool]\npython = \"3.11\"\nroot = \"tool\"\nrequirements = \"tool/requirements.txt\"\n\n";

/// Checks that `image` runs the carried Python with its standard library's extension modules
/// (each links a library the base may lack: libssl, libsqlite3, libexpat, libffi, liblzma...).
fn carried_python_works(image: &str) {
    let unresolved = unresolved_python_libraries(image);
    assert_eq!(unresolved.trim(), "", "libraries missing in {image}");
    assert_eq!(
        run(
            image,
            &[
                "/venv/bin/python",
                "-c",
                "import _ssl, _sqlite3, pyexpat, _ctypes, _lzma, _bz2, zlib, markdown; \
                 print(markdown.markdown('*carried*'))",
            ],
        )
        .trim(),
        "<p><em>carried</em></p>"
    );
}

#[test]
fn node_carried_into_a_python_image_runs_a_script_of_its_stage() {
    let spec = "# syntax=stagefile:dev\n\
                [stage.js]\nnode = \"20\"\nroot = \"js\"\ninstall = false\nsource = true\n\n\
                [stage.web]\npython = \"3.11\"\nroot = \"web\"\ninstall = false\n\
                copy = [{ from = \"js\", src = \"/app\", dest = \"/opt/js\", interpreter = true }]\n\
                cmd = [\"python\", \"app.py\"]\n";
    let dir = Scratch::with_files(
        "carried-node",
        &[
            ("Stagefile.toml", spec),
            (
                "js/render.js",
                "console.log(`node ${process.version.split('.')[0]} renders ${process.argv[2]}`);\n",
            ),
            (
                "web/app.py",
                "import os, subprocess\n\
                 out = subprocess.run(['node', '/opt/js/render.js', 'for python'], \
                 capture_output=True, text=True, check=True).stdout\n\
                 print(out.strip(), 'as uid', os.getuid())\n",
            ),
        ],
    );
    let built = build(&dir.path, "stagefile-e2e/carried-node", &[]).expect_ok();
    assert_eq!(
        run(&built.tag, &[]).trim(),
        "node v20 renders for python as uid 10001"
    );
    // Node alone: not npm, and the Python image is still the Python image.
    assert_eq!(
        sh(
            &built.tag,
            "command -v node; command -v npm || echo 'no npm'"
        )
        .trim(),
        "/usr/local/bin/node\nno npm"
    );
    assert!(run(&built.tag, &["python", "--version"]).starts_with("Python 3.11"));
}

#[test]
fn python_carried_into_a_node_image_runs_before_and_after_its_install() {
    let spec = format!(
        "# syntax=stagefile:dev\n{TOOL}\
         [stage.web]\nnode = \"20\"\nroot = \"web\"\n\
         copy = [{{ from = \"tool\", path = \"/venv\", interpreter = true }}]\n\
         cmd = [\"node\", \"app.js\"]\n"
    );
    // The install's own script runs the carried interpreter (as node-gyp would): it is there
    // before `npm ci`; the virtualenv, like any copy, comes after the install.
    let package = r#"{ "name": "web", "version": "1.0.0", "private": true,
  "scripts": { "postinstall": "python3 -c \"import sys, _ssl; print('python at install:', sys.version_info[:2])\"" } }
"#;
    let lock = r#"{ "name": "web", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": { "": { "name": "web", "version": "1.0.0" } } }
"#;
    let dir = Scratch::with_files(
        "carried-python",
        &[
            ("Stagefile.toml", &spec),
            ("tool/requirements.txt", "markdown==3.7\n"),
            ("web/package.json", package),
            ("web/package-lock.json", lock),
            (
                "web/app.js",
                "const { execFileSync } = require('child_process');\n\
                 const html = execFileSync('/venv/bin/python3', ['-c', 'import markdown; print(markdown.markdown(\"*from node*\"))']);\n\
                 console.log(html.toString().trim(), 'as uid', process.getuid());\n",
            ),
        ],
    );
    let built = build(&dir.path, "stagefile-e2e/carried-python", &[]).expect_ok();
    assert_eq!(
        run(&built.tag, &[]).trim(),
        "<p><em>from node</em></p> as uid 10001"
    );
    carried_python_works(&built.tag);
    assert!(run(&built.tag, &["node", "--version"]).starts_with("v20"));
}

#[test]
fn an_interpreter_carried_into_an_image_without_apt_gets_its_libraries_copied() {
    // A Debian image whose apt is gone: the packages the interpreter needs cannot be
    // installed, so both steps copy the libraries from where they were found.
    let spec = format!(
        "# syntax=stagefile:dev\n{TOOL}\
         [stage.noapt]\nfrom = \"debian:bookworm-slim\"\nrun = [\"rm -f /usr/bin/apt-get /usr/bin/apt\"]\n\n\
         [stage.web]\nfrom = \"noapt\"\n\
         copy = [{{ from = \"tool\", path = \"/venv\", interpreter = true }}]\n\
         cmd = [\"/venv/bin/python\", \"-c\", \"import markdown; print(markdown.markdown('*no apt*'))\"]\n"
    );
    let dir = Scratch::with_files(
        "carried-no-apt",
        &[
            ("Stagefile.toml", &spec),
            ("tool/requirements.txt", "markdown==3.7\n"),
        ],
    );
    let built = build(&dir.path, "stagefile-e2e/carried-no-apt", &[]).expect_ok();
    assert_eq!(run(&built.tag, &[]).trim(), "<p><em>no apt</em></p>");
    carried_python_works(&built.tag);
    assert_eq!(
        sh(&built.tag, "command -v apt-get || echo 'no apt'").trim(),
        "no apt"
    );
    // What the base lacked is there as copied files, not as installed packages.
    let installed = sh(
        &built.tag,
        "dpkg-query -W -f='${Package}\\n' libsqlite3-0 2>/dev/null || echo 'not installed'",
    );
    assert_eq!(installed.trim(), "not installed");
    assert!(
        !sh(
            &built.tag,
            "ls /usr/lib/x86_64-linux-gnu/ | grep '^libsqlite3.so'"
        )
        .is_empty(),
        "libsqlite3 was not copied"
    );
}
