//! Where a stage's steps go, checked on the LLB: code copied after what it does not overlap
//! (without merge ops), the app user created once at the start of the chain, run steps kept
//! off the source when they come before it.

mod common;

use common::compile_files as compile;
use common::{command, compile_text, copies, exec_running, execs};
use llb_gen::compile::CompileOptions;
use llb_gen::{ContextSource, KnownPaths};

/// Position of the first copy (src, dest) matching `dest`.
fn copy_position(copies: &[(String, String)], dest: &str) -> usize {
    copies
        .iter()
        .position(|(_, d)| d == dest)
        .unwrap_or_else(|| panic!("no copy to {dest} in {copies:?}"))
}

#[test]
fn without_merge_ops_the_code_is_chained_after_copies_it_does_not_overlap() {
    // Docker's classic image store: copies are chained, each depends on those before it. The
    // source copy goes last, so a code edit does not copy and export the venv again.
    let spec = "[stage.deps]\npython = \"3.11\"\n\n[stage.web]\npython = \"3.11\"\ninstall = false\n\
                copy = [{ from = \"deps\", path = \"/venv\" }, { from = \"deps\", src = \"/venv/bin/x\", dest = \"/app/bin/x\" }]\n\
                cmd = [\"x\"]\n";
    let no_merge = CompileOptions {
        llb_caps: Some(std::collections::BTreeSet::new()),
        ..CompileOptions::default()
    };
    let probe = KnownPaths::new(["requirements.txt".to_owned()]);
    // The second stage copy writes into /app, where the code goes: the spec's order stays.
    let c = compile_text(spec, &probe, no_merge.clone()).definition;
    let order = copies(&c);
    assert!(
        copy_position(&order, "/app") < copy_position(&order, "/venv"),
        "{order:?}"
    );
    // Without it, the venv is chained before the code.
    let disjoint = spec.replace(
        ", { from = \"deps\", src = \"/venv/bin/x\", dest = \"/app/bin/x\" }",
        "",
    );
    let c = compile_text(&disjoint, &probe, no_merge).definition;
    // Each chained op is named for its own copy, so progress shows which one ran.
    let text = llb_gen::dump::text(&c).expect("dumps");
    assert!(text.contains("] COPY --from=deps /venv /venv\""), "{text}");
    assert!(!text.contains("/venv /venv, COPY"), "{text}");
    let order = copies(&c);
    assert!(
        copy_position(&order, "/venv") < copy_position(&order, "/app"),
        "{order:?}"
    );
}

#[test]
fn only_the_final_stage_gets_the_app_user() {
    let spec = "[stage.build]\nfrom = \"debian:bookworm-slim\"\nrun = [\"make\"]\n\
                [stage.app]\nfrom = \"debian:bookworm-slim\"\n\
                copy = [{ from = \"build\", src = \"/out\", dest = \"/out\" }]\n";
    let c = compile(spec, &[]);
    let users: Vec<_> = execs(&c.definition)
        .iter()
        .filter(|e| command(e).contains("useradd"))
        .cloned()
        .collect();
    assert_eq!(users.len(), 1);
    assert_eq!(c.image_config.config.user.as_deref(), Some("10001:10001"));

    let explicit = format!("{spec}user = \"nobody\"\n");
    let c = compile(&explicit, &[]);
    assert!(
        execs(&c.definition)
            .iter()
            .all(|e| !command(e).contains("useradd"))
    );
    assert_eq!(c.image_config.config.user.as_deref(), Some("nobody"));
}

#[test]
fn a_target_built_from_a_stage_gets_its_user_at_the_start_of_the_chain() {
    // As `RUN useradd` right after the first FROM: created after the code, the account would be
    // made again after every source edit.
    let spec = "[stage.build]\npython = \"3.11\"\ninstaller = \"pip\"\nrun = [\"python -c 1\"]\n\n\
                [stage.final]\nfrom = \"build\"\ndefault = true\ncmd = [\"python\"]\n";
    let c = compile(spec, &["requirements.txt"]);
    let all = execs(&c.definition);
    let at = |needle: &str| {
        all.iter()
            .position(|e| command(e).contains(needle))
            .unwrap_or_else(|| panic!("no exec running {needle}"))
    };
    assert!(at("useradd") < at("-m venv"), "{all:?}");
    assert!(at("useradd") < at("python -c 1"));
    assert_eq!(
        all.iter()
            .filter(|e| command(e).contains("useradd"))
            .count(),
        1
    );
    assert_eq!(c.image_config.config.user.as_deref(), Some("10001:10001"));
    // The build steps still run as root (the base image's user).
    assert_ne!(
        exec_running(&c.definition, "python -c 1")
            .meta
            .as_ref()
            .map(|m| m.user.as_str()),
        Some("10001:10001")
    );
}

#[test]
fn without_merge_ops_code_with_an_include_list_goes_after_a_venv_inside_its_directory() {
    // The source copy writes only `service` and `conf.py` under /srv: the venv in /srv/venv
    // cannot clash with it, so the venv is chained first and a code edit leaves it cached.
    let spec = "[stage.deps]\npython = \"3.11\"\nvenv = \"/srv/venv\"\n\n\
                [stage.web]\npython = \"3.11\"\ninstall = false\nworkdir = \"/srv\"\n\
                source = { include = [\"service\", \"conf.py\"] }\n\
                copy = [{ from = \"deps\", path = \"/srv/venv\" }]\ncmd = [\"x\"]\n";
    let no_merge = CompileOptions {
        llb_caps: Some(std::collections::BTreeSet::new()),
        ..CompileOptions::default()
    };
    let probe = KnownPaths::new(["requirements.txt".to_owned()]);
    let order = copies(&compile_text(spec, &probe, no_merge.clone()).definition);
    assert!(
        copy_position(&order, "/srv/venv") < copy_position(&order, "/srv"),
        "{order:?}"
    );
    // An include pattern that could reach the venv keeps the spec's order.
    let wide = spec.replace("\"conf.py\"", "\"**/*.py\"");
    let order = copies(&compile_text(&wide, &probe, no_merge).definition);
    assert!(
        copy_position(&order, "/srv") < copy_position(&order, "/srv/venv"),
        "{order:?}"
    );
}

#[test]
fn a_run_step_before_the_source_is_not_keyed_on_it() {
    let spec = "[stage.web]\npython = \"3.11\"\ninstall = false\nsource = \".\"\n\
                copy = [{ from = \"debian:bookworm-slim\", src = \"/etc/os-release\", dest = \"/opt/os\" }]\n\
                run = [\"make\", { cmd = \"ldconfig\", before_source = true }]\n";
    let c = compile(spec, &[]).definition;
    let text = llb_gen::dump::text(&c).expect("dumps");
    let at = |needle: &str| {
        text.lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle} in\n{text}"))
    };
    assert!(at("/opt/os") < at("ldconfig"), "{text}");
    assert!(at("ldconfig") < at("COPY . /app"), "{text}");
    assert!(at("COPY . /app") < at("\"make\""), "{text}");
}

/// Whether the exec running `needle` depends on the copy of the whole build context (the
/// source copy, which every source edit makes again).
fn reads_source(definition: &llb_gen::pb::Definition, needle: &str) -> bool {
    reaches_source(definition, |op| runs(op, needle))
}

/// Whether the exec running `needle` is `op`.
fn runs(op: &llb_gen::pb::Op, needle: &str) -> bool {
    match &op.op {
        Some(llb_gen::pb::op::Op::Exec(exec)) => exec
            .meta
            .as_ref()
            .is_some_and(|meta| meta.args.join(" ").contains(needle)),
        _ => false,
    }
}

/// Whether the copy of `path` to itself (a builder result into the image) depends on the copy
/// of the whole build context into the builder.
fn result_reads_source(definition: &llb_gen::pb::Definition, path: &str) -> bool {
    use llb_gen::pb::{file_action::Action, op::Op};
    reaches_source(definition, |op| {
        match &op.op {
        Some(Op::File(file)) => file.actions.first().is_some_and(|action| {
            matches!(&action.action, Some(Action::Copy(copy)) if copy.src == path && copy.dest == path)
        }),
        _ => false,
    }
    })
}

/// Whether the op that `start` picks depends on the copy of the whole build context, other
/// than through its own copies from the context.
fn reaches_source(
    definition: &llb_gen::pb::Definition,
    start: impl Fn(&llb_gen::pb::Op) -> bool,
) -> bool {
    use llb_gen::pb::{file_action::Action, op::Op};
    let copies_source = |op: &llb_gen::pb::Op| match &op.op {
        Some(Op::File(file)) => file
            .actions
            .iter()
            .any(|action| matches!(&action.action, Some(Action::Copy(copy)) if copy.src == "/")),
        _ => false,
    };
    reaches(definition, start, copies_source)
}

/// Whether the op that `start` picks depends on an op (other than itself) that `found` picks.
fn reaches(
    definition: &llb_gen::pb::Definition,
    start: impl Fn(&llb_gen::pb::Op) -> bool,
    found: impl Fn(&llb_gen::pb::Op) -> bool,
) -> bool {
    let ops: std::collections::BTreeMap<String, llb_gen::pb::Op> = definition
        .def
        .iter()
        .map(|bytes| {
            let op = prost::Message::decode(bytes.as_slice()).expect("op decodes");
            (llb_gen::llb::digest_bytes(bytes), op)
        })
        .collect();
    let start = ops
        .iter()
        .find(|(_, op)| start(op))
        .map(|(digest, _)| digest.clone())
        .expect("the op to start from");
    let mut pending = vec![start.clone()];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(digest) = pending.pop() {
        if !seen.insert(digest.clone()) {
            continue;
        }
        let op = &ops[&digest];
        if digest != start && found(op) {
            return true;
        }
        pending.extend(op.inputs.iter().map(|input| input.digest.clone()));
    }
    false
}

#[test]
fn a_context_without_elf_files_leaves_the_workdir_scan_off_the_source() {
    // The workdir's scan reads the source copy: every source edit ran it again. When the
    // frontend found no ELF file in the context, the copy adds nothing to scan, so the scan
    // reads the workdir as of the install, which an edit does not touch.
    let spec = "[stage.web]\npython = \"3.11\"\nbuild_apt = [\"libpq-dev\"]\ncmd = [\"x\"]\n";
    let probe = KnownPaths::new(["requirements.txt".to_owned()]);
    let compiled = |without_elf: bool| {
        let options = CompileOptions {
            context: ContextSource::Local {
                name: "context".into(),
                session_id: None,
                exclude_patterns: Vec::new(),
                without_elf,
            },
            ..CompileOptions::default()
        };
        compile_text(spec, &probe, options)
    };
    let scan = "needs /stagefile/scan/app";
    let unknown = compiled(false);
    assert!(unknown.scans_context);
    assert!(reads_source(&unknown.definition, scan));
    let checked = compiled(true);
    assert!(checked.scans_context);
    assert!(!reads_source(&checked.definition, scan));
    // The image still gets the source, and the venv's scan is the same in both.
    assert!(
        reads_source(&checked.definition, "needs /stagefile/scan/venv")
            == reads_source(&unknown.definition, "needs /stagefile/scan/venv")
    );
    assert!(
        copies(&checked.definition)
            .iter()
            .any(|(_, dest)| dest == "/app")
    );
    // Whatever the context holds, the image copies the workdir as of the install and the
    // source from the context itself, as a Dockerfile copies the code last.
    assert!(!result_reads_source(&unknown.definition, "/app"));
    assert!(!result_reads_source(&checked.definition, "/app"));
    // A caller that solves the context's own definition shares the build's transfer.
    let context = llb_gen::lower::context_definition(&ContextSource::Local {
        name: "context".into(),
        session_id: None,
        exclude_patterns: Vec::new(),
        without_elf: true,
    });
    let source = llb_gen::llb::digest_bytes(&context.def[0]);
    let digests: Vec<String> = checked
        .definition
        .def
        .iter()
        .map(|b| llb_gen::llb::digest_bytes(b))
        .collect();
    assert!(digests.contains(&source));
}

#[test]
fn a_scan_of_what_another_stage_copied_still_reads_it() {
    // A copy from another stage may bring ELF files whatever the context holds.
    let spec = "[stage.lib]\npython = \"3.11\"\ninstall = false\nrun = [\"true\"]\noutputs = [\"/out\"]\n\n\
                [stage.web]\npython = \"3.11\"\nbuild_apt = [\"libpq-dev\"]\n\
                copy = [{ from = \"lib\", dest = \"/app/lib\" }]\ncmd = [\"x\"]\n";
    let probe = KnownPaths::new(["requirements.txt".to_owned()]);
    let options = CompileOptions {
        context: ContextSource::Local {
            name: "context".into(),
            session_id: None,
            exclude_patterns: Vec::new(),
            without_elf: true,
        },
        ..CompileOptions::default()
    };
    let compiled = compile_text(spec, &probe, options);
    assert!(reads_source(
        &compiled.definition,
        "needs /stagefile/scan/app"
    ));
    assert!(result_reads_source(&compiled.definition, "/app"));
}

#[test]
fn a_carried_interpreter_comes_after_the_install_unless_the_install_may_run_it() {
    // The tool stage's last step, which the carry waits for.
    let tool = "[stage.tool]\npython = \"3.11\"\ninstall = false\nrun = [\"make-tool\"]\n\n";
    let carried = "copy = [{ from = \"tool\", path = \"/venv\", interpreter = true }]\n";
    let ruby = format!("{tool}[stage.web]\nruby = \"3.1\"\n{carried}");
    let c = compile(&ruby, &["Gemfile", "Gemfile.lock"]).definition;
    let waits = |needle: &str| reaches(&c, |op| runs(op, needle), |op| runs(op, "make-tool"));
    // bundle install runs while the tool stage builds; so does the install of the libraries
    // the base's interpreter needs (its scan reads python:3.11-slim, not the built stage).
    assert!(!waits("bundle install"));
    let provide = |op: &llb_gen::pb::Op| runs(op, "all present") && !runs(op, "tar -cf");
    assert!(!reaches(&c, provide, |op| runs(op, "make-tool")));
    assert!(waits("tar -cf"));
    let install = |op: &llb_gen::pb::Op| runs(op, "bundle install");
    assert!(reaches(&c, |op| runs(op, "tar -cf"), install));

    // node-gyp runs Python: a Node stage's install waits for the carried Python.
    let node = format!("{tool}[stage.web]\nnode = \"20\"\n{carried}");
    let c = compile(&node, &["package.json", "package-lock.json"]).definition;
    assert!(reaches(
        &c,
        |op| runs(op, "npm ci"),
        |op| runs(op, "tar -cf")
    ));
}

#[test]
fn an_interpreter_carried_from_a_replaced_stage_is_scanned_in_its_context() {
    // `--build-context tool=docker-image://...` replaces the stage: the libraries of its
    // interpreter are found in that image, not in an empty filesystem.
    let spec = "[stage.tool]\npython = \"3.11\"\ninstall = false\nrun = [\"make-tool\"]\n\n\
                [stage.web]\nruby = \"3.1\"\n\
                copy = [{ from = \"tool\", path = \"/venv\", interpreter = true }]\n";
    let mut options = CompileOptions::default();
    options.named_contexts.insert(
        "tool".into(),
        llb_gen::NamedContext::Image {
            reference: "docker.io/example/tool:1".into(),
            config: None,
        },
    );
    let probe = KnownPaths::new(["Gemfile".to_owned(), "Gemfile.lock".to_owned()]);
    let c = compile_text(spec, &probe, options).definition;
    let image = |op: &llb_gen::pb::Op| {
        matches!(&op.op, Some(llb_gen::pb::op::Op::Source(source))
            if source.identifier == "docker-image://docker.io/example/tool:1")
    };
    let base_scan = |op: &llb_gen::pb::Op| {
        runs(op, "/usr/local/lib") && !runs(op, "/venv") && runs(op, "find \"$root\"")
    };
    assert!(reaches(&c, base_scan, image));
    assert!(!execs(&c).iter().any(|e| command(e).contains("make-tool")));
}

#[test]
fn the_libraries_of_build_apt_packages_are_installed_while_the_build_runs() {
    // The image's early step waits for the builder's package install, not for its Python
    // install; the step that provides what the scan found waits for both.
    let spec = "[stage.web]\npython = \"3.11\"\nbuild_apt = [\"libpq-dev\"]\n\
                run = [\"build-it\"]\ncmd = [\"python\", \"app.py\"]\n";
    let c = compile(spec, &["requirements.txt"]).definition;
    let early = |op: &llb_gen::pb::Op| runs(op, "known before the build");
    let provide = |op: &llb_gen::pb::Op| runs(op, "all present") && !early(op);
    let apt =
        |op: &llb_gen::pb::Op| runs(op, "apt-get install -y --no-install-recommends libpq-dev");
    assert!(reaches(&c, early, apt));
    assert!(!reaches(&c, early, |op| runs(op, "pip install")));
    assert!(!reaches(&c, early, |op| runs(op, "build-it")));
    assert!(reaches(&c, provide, early));
    assert!(reaches(&c, provide, |op| runs(op, "build-it")));
}
