//! examples/python-venv: a virtualenv compiled in a builder stage (psycopg2 against libpq),
//! copied into a slim runtime that holds only libpq5.

use stagefile_e2e::{
    Server, build, build_file, build_leftovers, dev_packages, example, image_size, run, sh,
};

#[test]
fn python_venv_serves_the_page_without_build_tools() {
    let dir = example("python-venv");
    let image = build(&dir, "stagefile-e2e/python-venv", &[])
        .expect_ok()
        .tag;

    let (_server, page) = Server::start(&image, 8000, "/");
    assert!(page.contains("<h1>Bookshelf</h1>"), "{page}");
    assert!(
        page.contains("Designing Data-Intensive Applications"),
        "{page}"
    );
    assert!(page.contains("psycopg2 built against libpq 15."), "{page}");
    let (_server2, css) = Server::start(&image, 8000, "/static/style.css");
    assert!(css.contains(".books"), "{css}");

    assert_eq!(run(&image, &["id", "-un"]).trim(), "app");
    assert_eq!(run(&image, &["id", "-u"]).trim(), "10001");
    assert_eq!(build_leftovers(&image), Vec::<String>::new());
    assert_eq!(
        dev_packages(&image),
        Vec::<String>::new(),
        "no -dev packages or compilers in the runtime"
    );
    assert!(
        sh(&image, "dpkg -l libpq5 | tail -1").starts_with("ii"),
        "libpq5 is installed"
    );
}

#[test]
fn python_venv_is_smaller_than_the_single_stage_build() {
    let dir = example("python-venv");
    let staged = build(&dir, "stagefile-e2e/python-venv-size", &[])
        .expect_ok()
        .tag;
    let single = build_file(
        &dir,
        "Dockerfile.single-stage",
        "stagefile-e2e/python-venv-single",
        &[],
    )
    .expect_ok()
    .tag;
    let (staged_size, single_size) = (image_size(&staged), image_size(&single));
    eprintln!(
        "python-venv: Stagefile image {} MB, single-stage Dockerfile {} MB",
        staged_size / 1_000_000,
        single_size / 1_000_000
    );
    assert!(
        staged_size < single_size,
        "Stagefile image ({staged_size} B) is not smaller than the single-stage one ({single_size} B)"
    );
    let (_server, health) = Server::start(&single, 8000, "/health");
    assert!(health.contains("\"status\":\"ok\""), "{health}");
}

#[test]
fn python_venv_hand_written_dockerfile_serves_the_same_page() {
    let dir = example("python-venv");
    let image = build_file(&dir, "Dockerfile", "stagefile-e2e/python-venv-df", &[])
        .expect_ok()
        .tag;
    let (_server, page) = Server::start(&image, 8000, "/");
    assert!(page.contains("psycopg2 built against libpq 15."), "{page}");
    assert_eq!(run(&image, &["id", "-u"]).trim(), "10001");
}
