//! examples/python-pex: a WSGI app and gunicorn packed into one executable .pex; the runtime
//! holds the interpreter and that file.

use stagefile_e2e::{Server, build, build_file, build_leftovers, example, run_with, sh};

#[test]
fn python_pex_serves_markdown_from_one_file() {
    let image = build(&example("python-pex"), "stagefile-e2e/python-pex", &[])
        .expect_ok()
        .tag;
    let (_server, page) = Server::start(&image, 8000, "/");
    assert!(page.contains("served by uid 10001; from a pex"), "{page}");
    let (_server2, html) = Server::start(&image, 8000, "/render?text=%23%20Hello%0A%0A*stagefile*");
    assert!(html.contains("<h1>Hello</h1>"), "{html}");
    assert!(html.contains("<em>stagefile</em>"), "{html}");

    let listing = sh(&image, "ls /out; ls -d /venv /app 2>/dev/null || true");
    assert_eq!(
        listing.trim(),
        "app.pex",
        "the runtime holds the one file only"
    );
    let packages = sh(
        &image,
        "python -m pip list --format=freeze 2>/dev/null | grep -ci -E '^(gunicorn|markdown)=' || true",
    );
    assert_eq!(
        packages.trim(),
        "0",
        "dependencies live in the .pex, not in the interpreter"
    );
    assert_eq!(
        run_with(&image, &["--entrypoint", "id"], &["-u"]).trim(),
        "10001"
    );
    assert_eq!(build_leftovers(&image), Vec::<String>::new());
}

#[test]
fn python_pex_hand_written_dockerfile_serves_the_same() {
    let image = build_file(
        &example("python-pex"),
        "Dockerfile",
        "stagefile-e2e/python-pex-df",
        &[],
    )
    .expect_ok()
    .tag;
    let (_server, html) = Server::start(&image, 8000, "/render?text=%23%20Hello");
    assert!(html.contains("<h1>Hello</h1>"), "{html}");
}
