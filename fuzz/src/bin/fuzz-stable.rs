//! The fuzz harness on stable Rust, for CI: replays the seed corpus, then mutates it for a
//! bounded time (no coverage feedback: an input whose outcome is new joins the corpus).
//! cargo-fuzz (nightly, libFuzzer) runs the same harness for longer runs; see fuzz/README.md.
//!
//! ```sh
//! cargo run --profile fuzz -p stagefile-fuzz --bin fuzz-stable -- --seconds 60
//! ```
//!
//! Fails (exit 1) when the harness panics, an input takes longer than `--max-exec-ms`, or the
//! process's peak memory passes `--max-rss-mb`. Each input is written to
//! `<artifacts>/current` before it runs, so an abort (a stack overflow) leaves it behind;
//! a panicking input is saved as `<artifacts>/crash-<hash>`.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use stagefile_fuzz::mutate::{Rng, mutate};
use stagefile_fuzz::{check, fnv1a, repo_root, seeds};

struct Args {
    seconds: u64,
    seed: u64,
    artifacts: PathBuf,
    max_exec: Duration,
    max_rss_mb: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seconds: 60,
        seed: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_secs()),
        artifacts: repo_root().join("target/fuzz-stable"),
        max_exec: Duration::from_millis(2_000),
        max_rss_mb: 400,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let number = |text: String| text.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--seconds" => args.seconds = number(value()?)?,
            "--seed" => args.seed = number(value()?)?,
            "--artifacts" => args.artifacts = PathBuf::from(value()?),
            "--max-exec-ms" => args.max_exec = Duration::from_millis(number(value()?)?),
            "--max-rss-mb" => args.max_rss_mb = number(value()?)?,
            "--dict" => {
                // libFuzzer's dictionary format, for fuzz/run.sh (a closed stdout ends it).
                let mut out = std::io::stdout().lock();
                for token in stagefile_fuzz::DICTIONARY {
                    let escaped: String = token
                        .bytes()
                        .map(|b| match b {
                            b'"' | b'\\' => format!("\\{}", b as char),
                            b' '..=b'~' => (b as char).to_string(),
                            _ => format!("\\x{b:02X}"),
                        })
                        .collect();
                    if writeln!(out, "\"{escaped}\"").is_err() {
                        break;
                    }
                }
                std::process::exit(0);
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(args)
}

/// The process's peak resident memory in MiB (Linux), 0 when unknown.
fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kb| kb / 1024)
}

struct Run {
    args: Args,
    execs: u64,
    slowest: (Duration, usize),
    failures: Vec<String>,
}

impl Run {
    /// Runs one input; its outcome, or `None` when the run must stop.
    fn exec(&mut self, data: &[u8]) -> Option<String> {
        let current = self.args.artifacts.join("current");
        if let Err(e) = std::fs::write(&current, data) {
            self.failures
                .push(format!("cannot write {}: {e}", current.display()));
            return None;
        }
        let started = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| check(data)));
        let took = started.elapsed();
        self.execs += 1;
        if took > self.slowest.0 {
            self.slowest = (took, data.len());
        }
        let failure = match result {
            Err(_) => "panicked".to_owned(),
            Ok(_) if took > self.args.max_exec => format!("took {took:?}"),
            Ok(outcome) => return Some(outcome),
        };
        let saved = self
            .args
            .artifacts
            .join(format!("crash-{:016x}", fnv1a(data)));
        let _ = std::fs::write(&saved, data);
        self.failures.push(format!(
            "{failure} on {} ({} bytes)",
            saved.display(),
            data.len()
        ));
        None
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("fuzz-stable: {message}");
            return ExitCode::from(2);
        }
    };
    // Panics are caught and reported once, with the input saved.
    std::panic::set_hook(Box::new(|info| eprintln!("fuzz-stable: panic: {info}")));
    if let Err(e) = std::fs::create_dir_all(&args.artifacts) {
        eprintln!(
            "fuzz-stable: cannot create {}: {e}",
            args.artifacts.display()
        );
        return ExitCode::from(2);
    }
    let seeds = seeds(&repo_root(), true);
    if seeds.len() < 60 {
        eprintln!(
            "fuzz-stable: only {} seeds found: the corpus went missing",
            seeds.len()
        );
        return ExitCode::from(1);
    }
    let mut corpus: Vec<Vec<u8>> = seeds.iter().map(|(_, bytes)| bytes.clone()).collect();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    eprintln!(
        "fuzz-stable: seed {}, {} seeds, {} s, artifacts in {}",
        args.seed,
        corpus.len(),
        args.seconds,
        args.artifacts.display()
    );
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut rng = Rng::new(args.seed);
    let mut run = Run {
        args,
        execs: 0,
        slowest: (Duration::ZERO, 0),
        failures: Vec::new(),
    };
    let mut ok = true;
    for (_, bytes) in &seeds {
        match run.exec(bytes) {
            Some(outcome) => {
                seen.insert(outcome);
            }
            None => {
                ok = false;
                break;
            }
        }
    }
    let started = Instant::now();
    while ok && Instant::now() < deadline {
        let parent = rng.pick(&corpus).clone();
        let child = mutate(&parent, &corpus, &mut rng);
        let Some(outcome) = run.exec(&child) else {
            break;
        };
        // Large inputs are made again by growth from small ones; kept, they slow every run.
        if seen.insert(outcome) && corpus.len() < 10_000 && child.len() <= 64 * 1024 {
            corpus.push(child);
        }
        if peak_rss_mb() > run.args.max_rss_mb {
            run.failures.push(format!(
                "peak memory {} MiB passed {} MiB",
                peak_rss_mb(),
                run.args.max_rss_mb
            ));
            break;
        }
    }
    let elapsed = started.elapsed().as_secs_f64().max(0.001);
    eprintln!(
        "fuzz-stable: {} execs ({:.0}/s), corpus {} ({} outcomes), slowest {:?} ({} bytes), peak RSS {} MiB",
        run.execs,
        run.execs as f64 / elapsed,
        corpus.len(),
        seen.len(),
        run.slowest.0,
        run.slowest.1,
        peak_rss_mb()
    );
    for failure in &run.failures {
        eprintln!("fuzz-stable: FAILED: {failure}");
    }
    if run.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
