//! examples/service-template: build-time OS packages in a builder, runtime-only ones in the
//! image, its own user, /service/{pack,var}, configuration by env, gunicorn entrypoint.

use stagefile_e2e::{
    Scratch, Server, build, build_file, build_leftovers, cached_steps, dev_packages, docker,
    example, run_with, sh, text,
};

/// A running service container, removed when dropped; requests go through `docker exec` with
/// the image's own Python.
struct Running(String);

impl Running {
    fn start(image: &str, env: &str) -> Self {
        let name = format!("stagefile-e2e-service-{}", std::process::id());
        let _ = docker(&["rm", "-f", &name]);
        let started = docker(&["run", "-d", "--name", &name, "-e", env, image]);
        assert!(started.status.success(), "{}", text(&started.stderr));
        Self(name)
    }

    /// The body of a GET (no `body`) or a JSON POST to `path`, or `None` on failure.
    fn request(&self, path: &str, body: Option<&str>) -> Option<String> {
        let data = body.map_or("None".to_owned(), |b| format!("{b:?}.encode()"));
        let script = format!(
            "import urllib.request as u; print(u.urlopen(u.Request('http://127.0.0.1:8000{path}', data={data}, headers={{'Content-Type': 'application/json'}})).read().decode())"
        );
        let output = docker(&["exec", &self.0, "python", "-c", &script]);
        output.status.success().then(|| text(&output.stdout))
    }

    /// Waits until `path` answers.
    fn wait(&self, path: &str) -> String {
        for _ in 0..80 {
            if let Some(body) = self.request(path, None) {
                return body;
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
        let logs = docker(&["logs", &self.0]);
        panic!("the service did not answer {path}:\n{}", text(&logs.stderr));
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = docker(&["rm", "-f", &self.0]);
    }
}

#[test]
fn service_issues_and_verifies_tokens_as_its_own_user() {
    let dir = example("service-template");
    let image = build(&dir, "stagefile-e2e/service-template", &[])
        .expect_ok()
        .tag;

    let service = Running::start(&image, "SERVICE_NAME=billing");
    let health = service.wait("/health");
    assert!(
        health.contains("\"service\": \"billing\""),
        "config by env: {health}"
    );
    assert!(health.contains("\"store\": \"SqliteStore\""), "{health}");
    assert!(health.contains("\"uid\": 10010"), "{health}");
    let issued = service
        .request("/tokens/ci", Some(""))
        .expect("POST /tokens/ci");
    let token = issued
        .split("\"token\": \"")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .unwrap_or_else(|| panic!("no token issued: {issued}"));
    let good = service.request(
        "/tokens/ci/verify",
        Some(&format!("{{\"token\": \"{token}\"}}")),
    );
    assert!(good.unwrap_or_default().contains("\"valid\": true"));
    let bad = service.request("/tokens/ci/verify", Some("{\"token\": \"nope\"}"));
    assert!(bad.unwrap_or_default().contains("\"valid\": false"));
    let files = docker(&["exec", &service.0, "ls", "-ln", "/service/var"]);
    let files = text(&files.stdout);
    assert!(
        files.contains(" 10010 10010 ") && files.contains("tokens.db"),
        "the service writes its data to /service/var:\n{files}"
    );
    drop(service);

    assert_eq!(
        run_with(&image, &["--entrypoint", "id"], &["-un"]).trim(),
        "service"
    );
    assert_eq!(
        run_with(&image, &["--entrypoint", "id"], &["-gn"]).trim(),
        "service"
    );
    let layout = sh(
        &image,
        "stat -c '%n %U %a' /service/pack /service/var; touch /service/pack/x 2>&1 || true",
    );
    assert!(layout.contains("/service/pack root 755"), "{layout}");
    assert!(layout.contains("/service/var service"), "{layout}");
    assert!(
        layout.contains("Permission denied"),
        "the code is read-only for the service: {layout}"
    );
    assert_eq!(build_leftovers(&image), Vec::<String>::new());
    assert_eq!(
        dev_packages(&image),
        Vec::<String>::new(),
        "no -dev packages or compilers in the runtime"
    );
}

#[test]
fn service_source_change_reuses_the_dependency_layers() {
    let copy = Scratch::copy_of(&example("service-template"), "service-template");
    let tag = "stagefile-e2e/service-template-edit";
    build(&copy.path, tag, &[]).expect_ok();
    let config = copy.path.join("service/config.py");
    let source = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, source.replace("\"tokens\"", "\"edited\"")).unwrap();

    let log = build(&copy.path, tag, &[]).expect_ok().log;
    let cached = cached_steps(&log);
    for step in [
        "apt-get install build-essential libffi-dev libpq-dev",
        "pip install",
        // The venv did not change: its scan is keyed on its content and stays cached.
        "find the shared libraries /service/pack/venv needs",
        // The context holds no ELF file: the source copy adds nothing to the workdir's scan,
        // which reads the workdir as of the install.
        "find the shared libraries /service/pack needs",
        // The builder changed, but not what its results need: the image's steps stay cached.
        "provide the runtime libraries",
        "create user service",
        // What the image needs whatever the build makes waits for the builder's packages only.
        "install the runtime packages known before the build",
        // The venv inside the workdir is a copy of its own, left out of the workdir's.
        "COPY --from=<builder> /service/pack/venv",
    ] {
        assert!(
            cached.iter().any(|s| s.contains(step)),
            "`{step}` was not CACHED:\n{log}"
        );
    }
    // The source copy itself reran: the image has the edit.
    let default_name = sh(
        tag,
        "python -c 'from service.config import Config; import os; os.environ.pop(\"SERVICE_NAME\"); print(Config.from_env().name)'",
    );
    assert_eq!(default_name.trim(), "edited");
}

#[test]
fn service_hand_written_dockerfile_answers_the_same() {
    let dir = example("service-template");
    let image = build_file(&dir, "Dockerfile", "stagefile-e2e/service-template-df", &[])
        .expect_ok()
        .tag;
    let (_server, health) = Server::start(&image, 8000, "/health");
    assert!(health.contains("\"service\": \"tokens\""), "{health}");
    assert_eq!(
        run_with(&image, &["--entrypoint", "id"], &["-un"]).trim(),
        "service"
    );
}
