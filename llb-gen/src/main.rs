//! `llb-gen`: compile a Stagefile.toml to BuildKit LLB, for `buildctl build` or for reading.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use llb_gen::compile::{CompileOptions, ContextSource, Prepared};
use llb_gen::limits::MAX_SPEC_BYTES;
use llb_gen::{Diagnostics, LocalDirProbe, Platform, SourceFile, dump};
use prost::Message;

/// Compile a Stagefile.toml into a BuildKit LLB definition.
#[derive(Debug, Parser)]
#[command(name = "llb-gen", version, about)]
struct Cli {
    /// The spec file.
    #[arg(default_value = "Stagefile.toml")]
    file: PathBuf,
    /// Build context directory (default: the spec file's directory).
    #[arg(long)]
    context: Option<PathBuf>,
    /// Output format: the marshalled definition (for `buildctl build`), text or JSON of its
    /// ops, or the recipes' steps before lowering.
    #[arg(long, value_enum, default_value_t = Format::Pb)]
    format: Format,
    /// Stage to build (default: the spec's default target).
    #[arg(long)]
    target: Option<String>,
    /// Build arg, as NAME=VALUE (repeatable).
    #[arg(long = "build-arg", value_name = "NAME=VALUE", value_parser = parse_key_value)]
    build_args: Vec<(String, String)>,
    /// Target platform, e.g. linux/amd64.
    #[arg(long, value_parser = Platform::parse, default_value = "linux/amd64")]
    platform: Platform,
    /// Base images check the registry for a newer image even when one is local.
    #[arg(long)]
    pull: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// The marshalled pb.Definition.
    Pb,
    /// One line per op.
    Text,
    /// Decoded ops as JSON.
    Json,
    /// The recipes' steps per stage, before they become LLB.
    Steps,
}

fn parse_key_value(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("expected NAME=VALUE, got `{text}`"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(error) => {
            report(&format!("error: {error:#}\n"));
            ExitCode::from(1)
        }
    }
}

/// The spec's bytes, at most one more than the size limit (`SourceFile::from_bytes` refuses
/// more): `llb-gen /dev/zero` must not read forever. A FIFO is read (`<(...)` is one).
fn read_spec(path: &Path) -> anyhow::Result<Vec<u8>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_SPEC_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(bytes)
}

/// The context's `.dockerignore` patterns, read as the frontend reads them (lossily, so a file
/// that is not UTF-8 still excludes what it names). No file means no patterns; anything else
/// that cannot be read, or is not a regular file (a FIFO would block forever), is an error:
/// ignoring it would send the files it excludes.
fn read_dockerignore(context: &Path) -> anyhow::Result<Vec<String>> {
    let path = context.join(".dockerignore");
    match std::fs::metadata(&path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(error).with_context(|| format!("cannot read {}", path.display()));
        }
        Ok(meta) if !meta.is_file() => {
            anyhow::bail!("{} is not a regular file", path.display())
        }
        Ok(_) => {}
    }
    let mut bytes = Vec::new();
    std::fs::File::open(&path)
        .and_then(|file| {
            let limit = llb_gen::ignore::MAX_DOCKERIGNORE_BYTES as u64 + 1;
            file.take(limit).read_to_end(&mut bytes)
        })
        .with_context(|| format!("cannot read {}", path.display()))?;
    llb_gen::ignore::decode_dockerignore(&bytes).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Writes to stderr, ignoring a closed or full one: `eprint!` panics there, and the exit
/// status already says whether the compilation worked.
fn report(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let bytes = read_spec(&cli.file)?;
    let name = cli.file.file_name().map_or_else(
        || "Stagefile.toml".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let context_dir = match &cli.context {
        Some(dir) => dir.clone(),
        None => cli
            .file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
    };
    if !context_dir.is_dir() {
        anyhow::bail!(
            "the build context {} is not a directory",
            context_dir.display()
        );
    }
    let ignore = read_dockerignore(&context_dir)?;
    let color = std::io::stderr().is_terminal();
    let file = match SourceFile::from_bytes(name, bytes) {
        Ok(file) => file,
        Err(diagnostics) => {
            report(&diagnostics.render(color));
            return Ok(ExitCode::from(1));
        }
    };
    let options = CompileOptions {
        target: cli.target.clone(),
        build_args: cli.build_args.iter().cloned().collect::<BTreeMap<_, _>>(),
        platform: cli.platform.clone(),
        context: ContextSource::Local {
            name: "context".into(),
            session_id: None,
            exclude_patterns: ignore,
            without_elf: false,
        },
        pull: cli.pull,
        ..CompileOptions::default()
    };
    let probe = LocalDirProbe::new(context_dir);
    let prepared = match Prepared::new(file.clone(), options) {
        Ok(prepared) => prepared,
        Err(diagnostics) => {
            report(&diagnostics.render(color));
            return Ok(ExitCode::from(1));
        }
    };
    if let Format::Steps = cli.format {
        // The recipes' output, before lowering: nothing of LLB in it.
        return match prepared.steps_text(&probe) {
            Ok(text) => {
                std::io::stdout().lock().write_all(text.as_bytes())?;
                Ok(ExitCode::SUCCESS)
            }
            Err(diagnostics) => {
                report(&diagnostics.render(color));
                Ok(ExitCode::from(1))
            }
        };
    }
    let compiled = match prepared.compile(&probe, &BTreeMap::new()) {
        Ok(compiled) => compiled,
        Err(diagnostics) => {
            report(&diagnostics.render(color));
            return Ok(ExitCode::from(1));
        }
    };
    if !compiled.warnings.is_empty() {
        let warnings = Diagnostics {
            file,
            items: compiled.warnings.clone(),
        };
        report(&warnings.render(color));
    }
    let mut stdout = std::io::stdout().lock();
    match cli.format {
        Format::Pb => stdout.write_all(&compiled.definition.encode_to_vec())?,
        Format::Text => stdout.write_all(dump::text(&compiled.definition)?.as_bytes())?,
        Format::Json => writeln!(stdout, "{}", dump::json(&compiled.definition)?)?,
        Format::Steps => {}
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}
