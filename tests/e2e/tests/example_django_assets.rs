//! examples/django-assets: a Django app (uv) whose Tailwind CSS is built by a Node stage and
//! gathered by collectstatic. The final image serves the page and the built CSS without Node;
//! `--target dev` has Node and the Tailwind toolchain. The hand-written Dockerfile next to it
//! must build and serve the same page.

use stagefile_e2e::{Server, build, build_file, example, image_config, root_sh, run};

const FINAL: &str = "stagefile-e2e/django-assets";
const DEV: &str = "stagefile-e2e/django-assets-dev";

fn build_final() -> String {
    build(&example("django-assets"), FINAL, &[]).expect_ok().tag
}

/// The stylesheet a page links to: `/static/css/site.<hash>.css` when collectstatic's manifest
/// is used (production), `/static/css/site.css` in debug mode.
fn stylesheet(page: &str) -> String {
    let start = page
        .find("href=\"/static/css/site.")
        .unwrap_or_else(|| panic!("no stylesheet link in the page:\n{page}"))
        + "href=\"".len();
    let end = start + page[start..].find('"').expect("closing quote");
    page[start..end].to_owned()
}

#[test]
fn final_image_serves_the_catalogue_and_its_tailwind_css() {
    let image = build_final();
    let (_server, page) = Server::start(&image, 8000, "/");
    assert!(
        page.contains("<title>All plants · Plant catalogue</title>"),
        "{page}"
    );
    for plant in ["Lavender", "Foxglove", "Hosta", "Lenten rose"] {
        assert!(
            page.contains(plant),
            "{plant} missing from the list:\n{page}"
        );
    }

    // The hashed name proves collectstatic ran with WhiteNoise's manifest storage.
    let css_path = stylesheet(&page);
    let hash = css_path
        .strip_prefix("/static/css/site.")
        .and_then(|rest| rest.strip_suffix(".css"))
        .unwrap_or_default();
    assert!(
        hash.len() == 12 && hash.chars().all(|c| c.is_ascii_hexdigit()),
        "not a collectstatic manifest name: {css_path}"
    );
    let (_css_server, css) = Server::start(&image, 8000, &css_path);
    // Tailwind's output: preflight, utilities used by the templates, the @apply components,
    // and nothing of what the templates do not use.
    assert!(
        css.contains("box-sizing:border-box"),
        "no preflight:\n{css}"
    );
    assert!(css.contains(".bg-emerald-800{"), "{css}");
    assert!(css.contains(".sm\\:grid-cols-2{"), "{css}");
    assert!(
        css.contains(".card{") && css.contains(".pill-active{"),
        "{css}"
    );
    assert!(
        !css.contains("@tailwind") && !css.contains("@apply"),
        "{css}"
    );
    assert!(
        !css.contains(".bg-pink-500"),
        "unused classes were not purged"
    );

    let (_shade, shade) = Server::start(&image, 8000, "/?light=shade");
    assert!(
        shade.contains("Hosta") && !shade.contains("Lavender"),
        "{shade}"
    );
    let (_health, health) = Server::start(&image, 8000, "/healthz");
    assert_eq!(health.trim(), r#"{"status": "ok", "plants": 6}"#);
}

#[test]
fn final_image_runs_as_app_without_node_compilers_or_caches() {
    let image = build_final();
    assert_eq!(run(&image, &["id", "-un"]).trim(), "app");
    let config = image_config(&image);
    assert_eq!(config["User"], "10001:10001");
    assert!(config["ExposedPorts"]["8000/tcp"].is_object(), "{config}");
    assert_eq!(config["Healthcheck"]["Test"][0], "CMD", "{config}");

    let leftovers = root_sh(
        &image,
        "command -v gcc cc c++ make node npm npx uv; \
         find / -xdev \\( -name node_modules -o -name .npm \\) -print; \
         ls -d /root/.cache/pip /root/.cache/uv /root/.npm /opt/stagefile-tools 2>/dev/null; \
         true",
    );
    assert_eq!(
        leftovers.trim(),
        "",
        "Node, compilers or package-manager caches left in the final image"
    );
    // What it does hold: the venv from uv.lock and the collected static files.
    let held = root_sh(
        &image,
        "command -v gunicorn; ls /app/staticfiles/staticfiles.json; \
         /venv/bin/python -c 'import django; print(django.get_version())'",
    );
    assert!(held.contains("/venv/bin/gunicorn"), "{held}");
    assert!(held.contains("/app/staticfiles/staticfiles.json"), "{held}");
    assert!(
        held.contains("5.2."),
        "Django is not the locked 5.2: {held}"
    );
}

#[test]
fn dev_target_has_node_and_the_tailwind_toolchain() {
    let image = build(&example("django-assets"), DEV, &["--target", "dev"])
        .expect_ok()
        .tag;
    let tools = run(
        &image,
        &[
            "sh",
            "-c",
            "node --version && npm --version && ./node_modules/.bin/tailwindcss --help",
        ],
    );
    assert!(tools.starts_with("v20."), "{tools}");
    assert!(tools.contains("tailwindcss v3."), "{tools}");
    assert_eq!(run(&image, &["id", "-u"]).trim(), "10001");
    // Debug mode: Django's development server, the CSS under its unhashed name.
    let (_server, page) = Server::start(&image, 8000, "/");
    assert_eq!(stylesheet(&page), "/static/css/site.css");
    assert!(page.contains("Lavender"), "{page}");
}

#[test]
fn hand_written_dockerfile_builds_the_same_images() {
    let dir = example("django-assets");
    let stagefile = build_final();
    let dockerfile = build_file(&dir, "Dockerfile", "stagefile-e2e/django-assets-df", &[])
        .expect_ok()
        .tag;
    let (_a, from_stagefile) = Server::start(&stagefile, 8000, "/plants/hellebore/");
    let (_b, from_dockerfile) = Server::start(&dockerfile, 8000, "/plants/hellebore/");
    assert!(
        from_dockerfile.contains("Helleborus orientalis"),
        "{from_dockerfile}"
    );
    assert_eq!(
        from_dockerfile, from_stagefile,
        "the Dockerfile and the Stagefile serve different pages"
    );
    assert_eq!(run(&dockerfile, &["id", "-u"]).trim(), "10001");
    assert_eq!(
        root_sh(&dockerfile, "command -v node npm uv; true").trim(),
        ""
    );

    let dev = build_file(
        &dir,
        "Dockerfile",
        "stagefile-e2e/django-assets-df-dev",
        &["--target", "dev"],
    )
    .expect_ok()
    .tag;
    let tools = run(
        &dev,
        &["sh", "-c", "node --version && npx tailwindcss --help"],
    );
    assert!(
        tools.starts_with("v20.") && tools.contains("tailwindcss v3."),
        "{tools}"
    );
}
