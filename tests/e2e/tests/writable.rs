//! Places a non-root app writes to (`writable`, and Rails' `tmp`, `log` and `storage` without
//! asking) are owned by the image's user; the code stays root's and read-only to it.

use stagefile_e2e::{Scratch, build, fixture, run_with};

/// Writes a file in each of `dirs` (relative to the workdir), then tries the code's directory.
const PROBE: &str = "import os, sys\n\
for d in sys.argv[1:]:\n    open(os.path.join(d, 'probe'), 'w').write('ok')\n    print(d, 'writable')\n\
try:\n    open('app.py', 'a').write('#')\n    print('code writable')\n\
except PermissionError:\n    print('code read-only')\n";

#[test]
fn writable_dirs_belong_to_the_app_user_and_the_code_does_not() {
    let spec = "# syntax=stagefile:dev\n[stage.app]\npython = \"3.11\"\nwritable = [\"instance\", \"/data\"]\ncmd = [\"python\", \"app.py\"]\n";
    let dir = Scratch::with_files(
        "writable",
        &[
            ("Stagefile.toml", spec),
            ("app.py", PROBE),
            ("instance/.keep", ""),
        ],
    );
    let image = build(&dir.path, "stagefile-e2e/writable", &[])
        .expect_ok()
        .tag;
    let out = run_with(&image, &[], &["python", "app.py", "instance", "/data"]);
    assert_eq!(
        out.trim(),
        "instance writable\n/data writable\ncode read-only",
        "as uid 10001"
    );
}

#[test]
fn a_rails_project_gets_tmp_log_and_storage() {
    let dir = Scratch::copy_of(&fixture("ruby-cli"), "rails-writable");
    std::fs::create_dir_all(dir.path.join("config")).unwrap();
    std::fs::write(dir.path.join("config/application.rb"), "# a Rails app\n").unwrap();
    std::fs::create_dir_all(dir.path.join("log")).unwrap();
    std::fs::write(dir.path.join("log/.keep"), "").unwrap();
    let image = build(&dir.path, "stagefile-e2e/rails-writable", &[])
        .expect_ok()
        .tag;
    let out = run_with(
        &image,
        &["--entrypoint", "sh"],
        &[
            "-c",
            "for d in tmp log storage; do touch $d/x && echo $d; done; touch app.rb || echo app.rb read-only",
        ],
    );
    assert_eq!(out.trim(), "tmp\nlog\nstorage\napp.rb read-only");
}

/// What the app user (uid 10001) can write in an image, besides its home, the sticky
/// directories and the kernel's filesystems (which `-xdev` leaves out).
const WRITABLE_BY_APP: &str = "find / -xdev ! -type l ! -path '/home/app*' \
     \\( -perm -o+w -o -user 10001 \\) ! \\( -type d -perm -1000 \\) -print";

#[test]
fn nothing_in_a_python_image_is_writable_by_its_user_unasked() {
    // uv leaves `<venv>/.lock` writable by every user (mode 0666) in a virtualenv it installs
    // into; pip's virtualenv is filled by uv too (ensurepip's wheels).
    for installer in ["uv", "pip"] {
        let spec = format!(
            "# syntax=stagefile:dev\n[stage.app]\npython = \"3.11\"\ninstaller = \"{installer}\"\n\
             requirements = \"requirements.txt\"\ncmd = [\"python\", \"-c\", \"import six\"]\n"
        );
        let dir = Scratch::with_files(
            &format!("unwritable-{installer}"),
            &[
                ("Stagefile.toml", &spec),
                ("requirements.txt", "six==1.17.0\n"),
                ("app.py", "import six\n"),
            ],
        );
        let image = build(
            &dir.path,
            &format!("stagefile-e2e/unwritable-{installer}"),
            &[],
        )
        .expect_ok()
        .tag;
        let found = run_with(
            &image,
            &["--user", "0", "--entrypoint", "sh"],
            &["-c", WRITABLE_BY_APP],
        );
        assert_eq!(
            found.trim(),
            "",
            "installer {installer}: writable by uid 10001"
        );
        // The check finds what it looks for.
        let probe = run_with(
            &image,
            &["--user", "0", "--entrypoint", "sh"],
            &[
                "-c",
                &format!("touch /opt/x && chmod 666 /opt/x && {WRITABLE_BY_APP}"),
            ],
        );
        assert_eq!(probe.trim(), "/opt/x");
    }
}
