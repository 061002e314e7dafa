//! Python's packaging tools (pip, setuptools, wheel) in each side's final image, and what
//! leaving them out saves.

use std::fmt::Write as _;

use super::{Report, bytes};
use crate::{ExampleResult, Variant};

/// One side's bytes of packaging tools, from its last image (the same image every run).
fn tools(example: &ExampleResult, variant: Variant) -> Option<u64> {
    example
        .images
        .get(&variant)
        .and_then(|all| all.last())
        .map(|facts| facts.packaging_tools)
}

/// `none` for no bytes, else the bytes.
fn amount(n: u64) -> String {
    if n == 0 { "none".to_owned() } else { bytes(n) }
}

/// The "Packaging tools in the image" table: every example with both images.
pub(super) fn packaging_tools(out: &mut String, report: &Report) {
    out.push_str("\n## Packaging tools in the image\n\n");
    out.push_str(
        "Bytes of pip, setuptools and wheel (their packages and metadata in a `site-packages`, \
         `pkg_resources`, `_distutils_hack`, and `pip`/`wheel` commands in a `bin`) among the \
         files the build added to its base image, as `docker export` lists them: tools a \
         runtime does not need, which Stagefile leaves out unless the spec asks for them (the \
         base image's own copy, under `/usr/local`, is not counted on either side). *Saved* is \
         the Dockerfile's bytes less Stagefile's. Measured, no target.\n\n",
    );
    out.push_str(
        "| Example | Stagefile | Dockerfile (docker/dockerfile:1) | Saved |\n\
         |---|---:|---:|---:|\n",
    );
    for example in &report.examples {
        let (Some(ours), Some(theirs)) = (
            tools(example, Variant::Stagefile),
            tools(example, Variant::External),
        ) else {
            continue;
        };
        let saved = match theirs.checked_sub(ours) {
            Some(saved) => amount(saved),
            None => format!("−{}", bytes(ours - theirs)),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {saved} |",
            example.name,
            amount(ours),
            amount(theirs),
        );
    }
}
