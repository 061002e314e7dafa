//! Build-arg values and spec values never change a command's structure: shell steps get build
//! args as their environment, recipes quote what they write into scripts (issue 11).

mod common;

use std::collections::BTreeMap;

use common::{command, compile_text, exec_running, execs};
use llb_gen::KnownPaths;
use llb_gen::compile::{CompileOptions, Prepared};
use llb_gen::{SourceFile, pb};

/// What the issue's reproducers pass as `--build-arg X=...`.
const HOSTILE: [&str; 4] = [
    "a'; touch /pwned; echo 'b",
    "$(touch /pwned)",
    "`touch /pwned`",
    "line1\ntouch /pwned",
];

fn with_x(value: &str) -> CompileOptions {
    CompileOptions {
        build_args: BTreeMap::from([("X".to_owned(), value.to_owned())]),
        ..CompileOptions::default()
    }
}

fn env_of(exec: &pb::ExecOp) -> Vec<String> {
    exec.meta.as_ref().unwrap().env.clone()
}

fn args_of(exec: &pb::ExecOp) -> Vec<String> {
    exec.meta.as_ref().unwrap().args.clone()
}

#[test]
fn a_shell_step_reads_build_args_from_its_environment() {
    let spec = "[args]\nX = \"x\"\n[stage.a]\nfrom = \"busybox:1.36\"\n\
                run = [\"echo '${X}'\", \"printf '%s' \\\"${X}\\\" > /out\", \"echo $${X} ${HOME}\"]\n";
    for value in HOSTILE {
        let compiled = compile_text(spec, &KnownPaths::default(), with_x(value));
        let quoted = exec_running(&compiled.definition, "echo '${X}'");
        // The script is exactly what the spec says: no value in it.
        assert_eq!(args_of(&quoted), ["/bin/sh", "-c", "echo '${X}'"]);
        assert!(env_of(&quoted).contains(&format!("X={value}")), "{value:?}");
        let printf = exec_running(&compiled.definition, "printf");
        assert_eq!(command(&printf), "printf '%s' \"${X}\" > /out");
        assert!(env_of(&printf).contains(&format!("X={value}")));
        // `$$` is a `$` for the shell and sets nothing; `${HOME}` is not an arg.
        let plain = exec_running(&compiled.definition, "echo ${X} ${HOME}");
        assert!(!env_of(&plain).iter().any(|e| e.starts_with("X=")));
        for exec in execs(&compiled.definition) {
            assert!(!command(&exec).contains("pwned"), "{}", command(&exec));
        }
        // `'${X}'` is the text `${X}` now: a warning says so.
        let warned: Vec<&str> = compiled.warnings.iter().map(|w| w.code).collect();
        assert_eq!(warned, ["ArgInSingleQuotes"]);
    }
}

#[test]
fn the_arg_wins_over_a_variable_of_the_same_name_for_that_step_only() {
    let spec = "[args]\nX = \"x\"\n[stage.a]\nfrom = \"busybox:1.36\"\nenv = { X = \"from-env\" }\n\
                run = [\"echo ${X}\", \"echo $X\"]\n";
    let compiled = compile_text(spec, &KnownPaths::default(), with_x("from-arg"));
    let braces = exec_running(&compiled.definition, "echo ${X}");
    assert_eq!(
        env_of(&braces)
            .iter()
            .filter(|e| e.starts_with("X="))
            .collect::<Vec<_>>(),
        ["X=from-arg"]
    );
    let bare = exec_running(&compiled.definition, "echo $X");
    assert!(env_of(&bare).contains(&"X=from-env".to_owned()));
    assert_eq!(
        compiled.image_config.config.env,
        Some(vec![
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_owned(),
            "X=from-env".to_owned()
        ])
    );
}

#[test]
fn an_exec_form_shell_keeps_its_script_and_gets_its_arguments_replaced() {
    let spec = "[args]\nX = \"x\"\n[stage.a]\nfrom = \"busybox:1.36\"\n\
                run = [{ cmd = [\"sh\", \"-ec\", \"echo ${X} \\\"$1\\\"\", \"sh\", \"${X}\"] }, { cmd = [\"echo\", \"${X}\"] }]\n";
    let value = HOSTILE[0];
    let compiled = compile_text(spec, &KnownPaths::default(), with_x(value));
    let shell = exec_running(&compiled.definition, "-ec");
    assert_eq!(
        args_of(&shell),
        ["sh", "-ec", "echo ${X} \"$1\"", "sh", value]
    );
    assert!(env_of(&shell).contains(&format!("X={value}")));
    // No shell: the value is one argument.
    let echo = execs(&compiled.definition)
        .into_iter()
        .find(|e| args_of(e).first().is_some_and(|a| a == "echo"))
        .unwrap();
    assert_eq!(args_of(&echo), ["echo", value]);
    assert!(!env_of(&echo).iter().any(|e| e.starts_with("X=")));
}

#[test]
fn crlf_line_ends_do_not_reach_scripts() {
    let spec =
        "[stage.a]\r\nfrom = \"busybox:1.36\"\r\nrun = [\"\"\"\r\necho a\r\necho b\r\n\"\"\"]\r\n";
    let compiled = compile_text(spec, &KnownPaths::default(), CompileOptions::default());
    assert_eq!(
        command(&exec_running(&compiled.definition, "echo a")),
        "echo a\necho b\n"
    );
}

/// Spec values the recipes write into their scripts are single shell words.
#[test]
fn recipes_quote_the_paths_and_names_they_write_into_scripts() {
    let spec = "[stage.app]\npython = \"3.12\"\nvenv = \"/opt/my venv\"\n\
                requirements = [\"req s.txt\"]\n\
                package = { tool = \"pex\", entry = \"app\", output = \"/out/a b;c.pex\" }\n\
                user = { name = \"svc\", home = \"/srv/a b'; touch /pwned; echo '\" }\n\
                apt = [\"libpq5\"]\nrun = [\"true\"]\n";
    let probe = KnownPaths::new(["req s.txt".to_owned()]);
    let compiled = compile_text(spec, &probe, CompileOptions::default());
    let def = &compiled.definition;
    let install = command(&exec_running(def, "uv pip install"));
    assert!(
        install.contains("venv --no-project --allow-existing --python python3 '/opt/my venv' && ")
            && install.ends_with(
                "pip install --python '/opt/my venv/bin/python' --compile-bytecode -r 'req s.txt' \
                 && rm -f '/opt/my venv/.lock'"
            ),
        "{install}"
    );
    let pex = command(&exec_running(def, "bin/pex"));
    assert!(
        pex.contains("--venv-repository '/opt/my venv' -D . -e app")
            && pex.ends_with("-o '/out/a b;c.pex'"),
        "{pex}"
    );
    // pip, chosen explicitly, makes the venv and installs in steps of its own.
    let spec = spec.replace("venv = ", "installer = \"pip\"\nvenv = ");
    let compiled = compile_text(&spec, &probe, CompileOptions::default());
    let def = &compiled.definition;
    let venv = command(&exec_running(def, "-m venv"));
    assert!(
        venv.contains("python3 -m venv --without-pip '/opt/my venv' && ")
            && venv.contains(" pip install -q --python '/opt/my venv/bin/python' --no-index")
            && venv.contains("\n  python3 -m venv '/opt/my venv'\n"),
        "{venv}"
    );
    assert_eq!(
        command(&exec_running(def, "venv/bin/pip' install")),
        "'/opt/my venv/bin/pip' install --disable-pip-version-check -r 'req s.txt'"
    );
    let user = command(&exec_running(def, "useradd"));
    let home = r"'/srv/a b'\''; touch /pwned; echo '\'''";
    assert!(
        user.contains(&format!("--home-dir {home} --shell")),
        "{user}"
    );
    assert!(
        user.contains(r"echo 'svc:x:10001:10001:svc:/srv/a b'\''; touch /pwned; echo '\'':/sbin/nologin' >> /etc/passwd"),
        "{user}"
    );
}

#[test]
fn an_arg_in_the_shell_script_of_cmd_is_refused() {
    let spec = "[args]\nX = \"x\"\n[stage.a]\nfrom = \"busybox:1.36\"\n\
                cmd = [\"sh\", \"-c\", \"echo ${X}\"]\n";
    let error = Prepared::new(SourceFile::new("S.toml", spec), with_x("$(id)")).unwrap_err();
    assert_eq!(error.items[0].code, "ArgInScript");
    // An argument after the script is data.
    let spec = "[args]\nX = \"x\"\n[stage.a]\nfrom = \"busybox:1.36\"\n\
                cmd = [\"sh\", \"-c\", \"echo \\\"$1\\\"\", \"sh\", \"${X}\"]\n";
    let compiled = compile_text(spec, &KnownPaths::default(), with_x("$(id)"));
    assert_eq!(
        compiled.image_config.config.cmd,
        Some(vec![
            "sh".into(),
            "-c".into(),
            "echo \"$1\"".into(),
            "sh".into(),
            "$(id)".into()
        ])
    );
}
