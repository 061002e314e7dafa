//! The `docker buildx build` flags users rely on, through the frontend.

use std::path::PathBuf;

use stagefile_e2e::{Scratch, build, docker, fixture, image_config, image_id, run, sh, text};

fn features() -> PathBuf {
    fixture("features")
}

fn secret_file(content: &str) -> PathBuf {
    // One file per value: tests run in parallel.
    let name = format!(
        "stagefile-e2e-secret-{}-{}",
        std::process::id(),
        content.len()
    );
    let path = std::env::temp_dir().join(name);
    std::fs::write(&path, content).expect("write secret");
    path
}

fn secret_arg(content: &str) -> String {
    format!("id=token,src={}", secret_file(content).display())
}

#[test]
fn image_settings_reach_the_image_config() {
    let secret = secret_arg("s3cr3t-value");
    let image = build(
        &features(),
        "stagefile-e2e/features",
        &["--secret", &secret, "--label", "team=e2e"],
    )
    .expect_ok()
    .tag;
    assert_eq!(run(&image, &[]).trim(), "hello");
    let config = image_config(&image);
    assert_eq!(config["User"], "10001:10001");
    assert_eq!(config["WorkingDir"], "/srv");
    assert_eq!(config["StopSignal"], "SIGINT");
    assert_eq!(config["Labels"]["org.example.stage"], "final");
    assert_eq!(config["Labels"]["team"], "e2e");
    assert_eq!(
        config["Healthcheck"]["Test"],
        serde_json::json!(["CMD", "true"])
    );
    assert_eq!(config["Healthcheck"]["Interval"], 30_000_000_000_i64);
    assert!(
        config["ExposedPorts"]["8080/tcp"].is_object()
            && config["ExposedPorts"]["53/udp"].is_object()
    );
    let env = config["Env"].to_string();
    assert!(
        env.contains("APP_MODE=production") && env.contains("APP_GREETING=hello"),
        "{env}"
    );
}

#[test]
fn secrets_reach_the_step_but_never_a_layer() {
    let value = "s3cr3t-value-for-layers";
    let image = build(
        &features(),
        "stagefile-e2e/secrets",
        // Secrets are not part of cache keys (as with Dockerfiles): rebuild to see this value.
        &["--secret", &secret_arg(value), "--no-cache"],
    )
    .expect_ok()
    .tag;
    let expected = sh(
        &image,
        &format!("printf %s '{value}' | sha256sum | cut -c1-64"),
    );
    assert_eq!(sh(&image, "cat /out/token.sha256"), expected);
    assert_eq!(
        sh(&image, "cat /out/api_key.len").trim(),
        (value.len() + 1).to_string()
    );
    let found = sh(
        &image,
        &format!("grep -rls '{value}' / --exclude-dir=proc --exclude-dir=sys 2>/dev/null || true"),
    );
    assert_eq!(found.trim(), "", "the secret was written into the image");
    let inspect = docker(&["image", "inspect", &image]);
    assert!(!text(&inspect.stdout).contains(value));
}

#[test]
fn tmpfs_cache_and_network_mounts_behave() {
    let image = build(
        &features(),
        "stagefile-e2e/mounts",
        &["--secret", &secret_arg("x")],
    )
    .expect_ok()
    .tag;
    assert!(sh(&image, "cat /out/tmpfs.txt").contains("scratch"));
    assert_eq!(
        sh(&image, "ls /tmp").trim(),
        "",
        "tmpfs content must not persist"
    );
    assert_eq!(sh(&image, "cat /out/network").trim(), "offline");
    assert!(sh(&image, "cat /out/cache-runs").contains("cached"));
    assert_eq!(
        sh(&image, "ls /var/cache/demo 2>/dev/null || true").trim(),
        ""
    );
}

#[test]
fn build_args_and_targets_select_what_is_built() {
    let secret = secret_arg("x");
    let image = build(
        &features(),
        "stagefile-e2e/args",
        &["--secret", &secret, "--build-arg", "GREETING=bonjour"],
    )
    .expect_ok()
    .tag;
    assert_eq!(run(&image, &[]).trim(), "bonjour");
    let tools = build(
        &features(),
        "stagefile-e2e/target",
        &["--secret", &secret, "--target", "tools"],
    )
    .expect_ok()
    .tag;
    assert_eq!(sh(&tools, "cat /out/greeting").trim(), "hello");
    let cmd = &image_config(&tools)["Cmd"];
    assert_ne!(
        cmd,
        &serde_json::json!(["cat", "/out/greeting"]),
        "the default target's cmd leaked"
    );
}

#[test]
fn platform_flag_builds_for_that_platform() {
    let image = build(
        &features(),
        "stagefile-e2e/platform",
        &["--secret", &secret_arg("x"), "--platform", "linux/amd64"],
    )
    .expect_ok()
    .tag;
    let arch = docker(&[
        "image",
        "inspect",
        "--format",
        "{{.Os}}/{{.Architecture}}",
        &image,
    ]);
    assert_eq!(text(&arch.stdout).trim(), "linux/amd64");
}

#[test]
fn call_targets_and_outline_describe_the_spec() {
    let targets = build(&features(), "stagefile-e2e/call", &["--call=targets"])
        .expect_ok()
        .log;
    assert!(
        targets.contains("tools") && targets.contains("A builder stage that writes a report"),
        "{targets}"
    );
    assert!(targets.contains("final"), "{targets}");
    let outline = build(&features(), "stagefile-e2e/call", &["--call=outline"])
        .expect_ok()
        .log;
    assert!(
        outline.contains("GREETING") && outline.contains("hello"),
        "{outline}"
    );
    assert!(
        outline.contains("token"),
        "secrets belong in the outline: {outline}"
    );
}

#[test]
fn named_context_replaces_a_stage() {
    let dir = Scratch::with_files("ctx", &[("out/greeting", "from a named context\n")]);
    let context = format!("tools={}", dir.path.display());
    let image = build(
        &features(),
        "stagefile-e2e/named",
        &["--build-context", &context],
    )
    .expect_ok()
    .tag;
    assert_eq!(run(&image, &[]).trim(), "from a named context");
}

#[test]
fn source_date_epoch_gives_identical_images() {
    let secret = secret_arg("x");
    let args = [
        "--secret",
        &secret,
        "--build-arg",
        "SOURCE_DATE_EPOCH=1700000000",
    ];
    let first = build(&features(), "stagefile-e2e/epoch-a", &args)
        .expect_ok()
        .tag;
    let second = build(&features(), "stagefile-e2e/epoch-b", &args)
        .expect_ok()
        .tag;
    assert_eq!(image_id(&first), image_id(&second));
    let created = docker(&["image", "inspect", "--format", "{{.Created}}", &first]);
    assert!(
        text(&created.stdout).starts_with("2023-11-14T22:13:20"),
        "{}",
        text(&created.stdout)
    );
}

#[test]
fn ssh_agent_reaches_the_step() {
    let dir = std::env::temp_dir().join(format!("stagefile-e2e-ssh-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("id");
    let socket = dir.join("agent.sock");
    let _ = std::fs::remove_file(&key);
    let keygen = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen runs");
    assert!(keygen.success());
    let mut agent = std::process::Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&socket)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("ssh-agent runs");
    for _ in 0..50 {
        if socket.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let added = std::process::Command::new("ssh-add")
        .arg(&key)
        .env("SSH_AUTH_SOCK", &socket)
        .output()
        .expect("ssh-add runs");
    let ssh = format!("default={}", socket.display());
    let result = build(
        &fixture("ssh"),
        "stagefile-e2e/ssh",
        &["--ssh", &ssh, "--no-cache"],
    );
    let _ = agent.kill();
    let _ = agent.wait();
    assert!(added.status.success(), "ssh-add: {}", text(&added.stderr));
    let image = result.expect_ok().tag;
    assert_eq!(run(&image, &[]).trim(), "reply=12 keys=1");
}

/// Warnings come from the rule registry: a build lists each by its rule name and line, and
/// `--call=check` reports the rule and marks the line, exiting non-zero as for a Dockerfile.
#[test]
fn warnings_are_reported_by_rule_name() {
    let spec = "# syntax=stagefile:dev\n[stage.app]\nfrom = \"python:3.11-slim\"\nuser = \"root\"\ncmd = [\"id\", \"-u\"]\n";
    let dir = Scratch::with_files("runs-as-root", &[("Stagefile.toml", spec)]);
    let built = build(&dir.path, "stagefile-e2e/runs-as-root", &[]).expect_ok();
    assert!(
        built.log.contains("RunsAsRoot: stage `app` runs as root"),
        "{}",
        built.log
    );
    assert_eq!(run(&built.tag, &[]).trim(), "0");
    let check = build(&dir.path, "stagefile-e2e/runs-as-root", &["--call=check"]).expect_failure();
    assert!(check.log.contains("WARNING: RunsAsRoot"), "{}", check.log);
    assert!(
        check.log.contains(">>> [stage.app]"),
        "the warning points at the stage: {}",
        check.log
    );
}
