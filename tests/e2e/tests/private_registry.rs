//! A dependency from a package index that asks for a password: the install gets the index URL
//! with its credentials from a secret (`install_secrets`), and the password is found in no
//! layer, no image config, no history and no build definition.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use stagefile_e2e::{SETUP, Scratch, build, docker, run, text};

/// The virtualenv `setup.sh` makes with pypiserver and passlib.
const INDEX_VENV: &str = "/var/lib/stagefile/pypiserver";

/// pypiserver on a free port, asking `user`/`password` for every download and listing.
struct PrivateIndex {
    child: Child,
    port: u16,
}

impl PrivateIndex {
    fn start(dir: &Path, user: &str, password: &str) -> Self {
        let bin = Path::new(INDEX_VENV).join("bin");
        assert!(
            bin.join("pypi-server").exists(),
            "no pypiserver in {INDEX_VENV}.\nSet it up with:\n    {SETUP}"
        );
        let python = bin.join("python");
        // A wheel of a package no public index has.
        let source = dir.join("source");
        std::fs::create_dir_all(source.join("stagefile_private")).unwrap();
        std::fs::write(
            source.join("stagefile_private/__init__.py"),
            "GREETING = 'hello from the private index'\n",
        )
        .unwrap();
        std::fs::write(
            source.join("setup.py"),
            "from setuptools import setup\nsetup(name='stagefile-private', version='1.0', packages=['stagefile_private'])\n",
        )
        .unwrap();
        let packages = dir.join("packages");
        let built = Command::new(bin.join("pip"))
            .args(["wheel", "-q", "--no-deps", "--no-build-isolation", "-w"])
            .arg(&packages)
            .arg(&source)
            .status()
            .expect("pip wheel");
        assert!(built.success(), "could not build the private wheel");
        let htpasswd = dir.join("htpasswd");
        let script = "import sys; from passlib.apache import HtpasswdFile as H; \
            h = H(sys.argv[1], new=True); h.set_password(sys.argv[2], sys.argv[3]); h.save()";
        let made = Command::new(&python)
            .args(["-c", script])
            .arg(&htpasswd)
            .args([user, password])
            .status()
            .expect("htpasswd");
        assert!(made.success(), "could not write the htpasswd file");
        let port = TcpListener::bind("0.0.0.0:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut child = Command::new(bin.join("pypi-server"))
            .args([
                "run",
                "--host",
                "0.0.0.0",
                "-p",
                &port.to_string(),
                "-a",
                "download,list,update",
                "-P",
            ])
            .arg(&htpasswd)
            .arg(&packages)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pypi-server");
        for _ in 0..50 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Self { child, port };
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("pypi-server did not listen on {port}");
    }
}

impl Drop for PrivateIndex {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address build containers reach this machine at: the default bridge's gateway.
fn host_address() -> String {
    let out = docker(&[
        "network",
        "inspect",
        "bridge",
        "--format",
        "{{(index .IPAM.Config 0).Gateway}}",
    ]);
    let gateway = text(&out.stdout).trim().to_owned();
    assert!(
        !gateway.is_empty(),
        "no bridge gateway: {}",
        text(&out.stderr)
    );
    gateway
}

#[test]
fn the_install_reads_a_private_index_through_a_secret_that_no_layer_keeps() {
    let password = format!("pw-{}", std::process::id());
    let work = Scratch::with_files("private-index", &[("keep", "")]);
    let index = PrivateIndex::start(&work.path, "builder", &password);
    let url = format!(
        "http://builder:{password}@{}:{}/simple/",
        host_address(),
        index.port
    );

    let spec = "# syntax=stagefile:dev\n[stage.app]\npython = \"3.11\"\n\
        install_secrets = [\n  { id = \"index\", env = \"PIP_INDEX_URL\" }, { id = \"index\", env = \"UV_INDEX_URL\" },\n  \
        { id = \"host\", env = \"PIP_TRUSTED_HOST\" }, { id = \"host\", env = \"UV_INSECURE_HOST\" },\n]\n\
        cmd = [\"python\", \"-c\", \"import stagefile_private as p; print(p.GREETING)\"]\n";
    // A requirement file no earlier run has seen: BuildKit does not key a step on its secrets,
    // so an install cached by an earlier run with the secret would hide the refusal below.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    let requirements = format!("# run {nanos}\nstagefile-private==1.0\n");
    let app = Scratch::with_files(
        "private-app",
        &[
            ("Stagefile.toml", spec),
            ("requirements.txt", &requirements),
        ],
    );
    let tag = "stagefile-e2e/private-index";
    // Without the secret the index refuses the download and the build fails.
    build(&app.path, tag, &[]).expect_failure();
    let secret_file = work.path.join("index-url");
    std::fs::write(&secret_file, &url).unwrap();
    let secret = format!("id=index,src={}", secret_file.display());
    // A local index on plain HTTP: pip and uv must be told to trust it.
    let host_file = work.path.join("index-host");
    std::fs::write(&host_file, host_address()).unwrap();
    let host = format!("id=host,src={}", host_file.display());
    let built = build(&app.path, tag, &["--secret", &secret, "--secret", &host]).expect_ok();
    assert_eq!(run(&built.tag, &[]).trim(), "hello from the private index");

    // The password is nowhere in what the image is made of.
    let saved = work.path.join("image.tar");
    let out = docker(&["save", "-o", &saved.to_string_lossy(), tag]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "cd {} && mkdir -p unpacked && tar -xf image.tar -C unpacked && \
             for l in $(find unpacked -type f); do tar -tf \"$l\" >/dev/null 2>&1 && tar -xOf \"$l\" 2>/dev/null; cat \"$l\"; done | grep -c -a -F -e '{password}' || true",
            work.path.display()
        ))
        .output()
        .expect("sh");
    assert_eq!(
        text(&found.stdout).trim(),
        "0",
        "the password is in the image"
    );
    let history = docker(&["history", "--no-trunc", tag]);
    assert!(!text(&history.stdout).contains(&password));
    let inspect = docker(&["image", "inspect", tag]);
    assert!(!text(&inspect.stdout).contains(&password));
}
