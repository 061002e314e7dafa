//! Hostile build args through the frontend: a `--build-arg` value is data, never shell code
//! (issue 11). Each check builds a spec written to a scratch directory.

use stagefile_e2e::{Scratch, build, sh};

/// Quotes, command substitutions and backticks, each of which ran as a command when build
/// args were pasted into `/bin/sh -c` scripts.
const X: &str =
    "a'; touch /pwned-1; echo 'b $(touch /pwned-2) `touch /pwned-3` \"; touch /pwned-4; echo \"";

/// A newline: a second command when pasted.
const Y: &str = "line1\ntouch /pwned-5";

const SPEC: &str = r#"# syntax=stagefile:dev
[args]
X = "plain"
Y = "plain"

[stage.app]
from = "debian:bookworm-slim"
run = [
  "mkdir -p /out && printf '%s' \"${X}\" > /out/x && printf '%s' \"${Y}\" > /out/y && echo \"X is ${X}\"",
  { cmd = ["sh", "-c", "printf '%s' \"$1\" > /out/argv", "sh", "${X}"] },
  "echo '${X}' > /out/single",
]
"#;

#[test]
fn a_hostile_build_arg_reaches_shell_steps_as_data() {
    let dir = Scratch::with_files("hostile-args", &[("Stagefile.toml", SPEC)]);
    let x = format!("X={X}");
    let y = format!("Y={Y}");
    let built = build(
        &dir.path,
        "stagefile-e2e/hostile-args",
        &["--no-cache", "--build-arg", &x, "--build-arg", &y],
    )
    .expect_ok();
    // The step printed the value as it is.
    assert!(
        built.log.contains(&format!("X is {X}")),
        "the step did not print the value literally:\n{}",
        built.log
    );
    let image = &built.tag;
    assert_eq!(sh(image, "cat /out/x"), X);
    assert_eq!(sh(image, "cat /out/y"), Y);
    // An argument after an exec-form shell's script is data as well.
    assert_eq!(sh(image, "cat /out/argv"), X);
    // Single quotes keep `${X}` for what it is, as in any shell.
    assert_eq!(sh(image, "cat /out/single"), "${X}\n");
    // Nothing the value holds ran.
    assert_eq!(sh(image, "ls -d /pwned* 2>/dev/null || true"), "");
}

/// An apt-get option (this one passed the old check, which only refused spaces and quotes).
#[test]
fn an_apt_option_from_a_build_arg_is_refused() {
    let spec = "# syntax=stagefile:dev\n[args]\nPKG = \"curl\"\n\n[stage.app]\n\
                from = \"debian:bookworm-slim\"\napt = [\"${PKG}\"]\n";
    let dir = Scratch::with_files("hostile-apt", &[("Stagefile.toml", spec)]);
    let built = build(
        &dir.path,
        "stagefile-e2e/hostile-apt",
        &["--build-arg", "PKG=-oAPT::Get::AllowUnauthenticated=true"],
    )
    .expect_failure();
    assert!(
        built
            .log
            .contains("`-oAPT::Get::AllowUnauthenticated=true` is not a Debian package name"),
        "{}",
        built.log
    );
}
