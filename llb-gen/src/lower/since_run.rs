//! A filesystem as of its last run step, and what the steps since wrote. A builder's results
//! are read from there when no later step changed them, or when only copies from the build
//! context did: then the image copies the result as of that step and applies those same
//! copies itself, as a hand-written Dockerfile copies the code last. A source edit then makes
//! no new builder snapshot for the image to read (reading a fresh one took 0.3 s on Docker's
//! classic store), and the library scans stay cached.

use super::copy::overlaps;
use super::{Lowering, SinceRun, Written};
use crate::ir::{CopyFrom, FileCopy, Owner};
use crate::llb::{FileAction, OpMeta, State};
use crate::options::ContextSource;

impl SinceRun {
    /// Records a copy that wrote at `paths`.
    pub fn copied(&mut self, copy: &FileCopy, paths: Vec<String>) {
        let context_only = matches!(copy.from, CopyFrom::Context);
        if context_only {
            self.context_copies.push((copy.clone(), paths.clone()));
        }
        self.written
            .extend(paths.into_iter().map(|path| Written { path, context_only }));
    }

    /// What steps since the last run step wrote where `path` is (in it, or around it).
    fn writes_at<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a Written> + 'a {
        self.written
            .iter()
            .filter(move |written| overlaps(path, &written.path))
    }

    /// Whether something wrote at `path` since the last run step, and only the build
    /// context's files or empty directories did.
    fn only_context_at(&self, path: &str) -> bool {
        let mut writes = self.writes_at(path).peekable();
        path.starts_with('/')
            && writes.peek().is_some()
            && writes.all(|written| written.context_only)
    }
}

impl Lowering<'_> {
    /// The builder state to read `paths` from: as of its last run step when no step since
    /// then (the source copy) wrote there, so that the reads of a virtualenv (its copy, its
    /// scan) do not depend on the snapshot a source edit makes; else the finished builder.
    pub(super) fn builder_for<'p>(&self, mut paths: impl Iterator<Item = &'p str>) -> State {
        let run = &self.builder_run;
        let untouched = paths.all(|path| path.starts_with('/') && run.writes_at(path).count() == 0);
        match (&run.last_run, &self.builder) {
            (Some(last_run), _) if untouched => last_run.clone(),
            (_, Some(built)) => built.state.clone(),
            (_, None) => State::scratch(),
        }
    }

    /// The builder as of its last run step with `root` made there (an empty directory, when
    /// only later steps made it).
    fn as_of_last_run(&self, root: &str) -> Option<State> {
        let made = FileAction::Mkdir {
            path: root.to_owned(),
            mode: 0o755,
            owner: None,
        };
        let meta = OpMeta::named(format!("[internal] {root} as of the last run step"));
        Some(self.builder_run.last_run.as_ref()?.file(vec![made], meta))
    }

    /// The builder state a library scan of `root` reads: [`Self::builder_for`]'s, except when
    /// only copies from the build context (and made directories) wrote there since the last
    /// run step and the caller found no ELF file in the context. Then they add nothing to
    /// scan: the root is read as of that step, so a source edit leaves the scan cached.
    pub(super) fn scan_source(&self, root: &str) -> State {
        let fallback = || self.builder_for(std::iter::once(root));
        if !self.builder_run.only_context_at(root) {
            return fallback();
        }
        let Some(as_of_last_run) = self.as_of_last_run(root) else {
            return fallback();
        };
        self.scans_context.set(true);
        let ContextSource::Local { without_elf, .. } = &self.options.context;
        if *without_elf {
            as_of_last_run
        } else {
            fallback()
        }
    }

    /// For the image's copy of a builder result (`pairs`, one root copied to the same path)
    /// that only context copies changed since the last run step: the builder as of that step
    /// to copy it from, and those copies, to apply in the image after it. `None` when the
    /// result cannot be rebuilt so (other writers, patterns, owners by name, a copy that
    /// writes outside the root or into a part the result leaves out).
    pub(super) fn replayable(
        &self,
        copy: &FileCopy,
        pairs: &[(String, String)],
    ) -> Option<(State, Vec<FileCopy>)> {
        let [(root, dest)] = pairs else {
            return None;
        };
        let plain = copy.owner.is_none() && copy.mode.is_none() && copy.include.is_empty();
        if root != dest || !plain || !self.builder_run.only_context_at(root) {
            return None;
        }
        let root = root.trim_end_matches('/');
        let literal = |pattern: &String| !pattern.contains(['*', '?', '[', '\\', '!']);
        if !copy.exclude.iter().all(literal) {
            return None;
        }
        let left_out: Vec<String> = copy
            .exclude
            .iter()
            .map(|part| format!("{root}/{}", part.trim_matches('/')))
            .collect();
        let within = |path: &str| {
            let path = path.trim_end_matches('/');
            path == root || path.starts_with(&format!("{root}/"))
        };
        let mut replayed = Vec::new();
        for (context_copy, written) in &self.builder_run.context_copies {
            if !written.iter().any(|path| overlaps(path, root)) {
                continue;
            }
            let fits = written
                .iter()
                .all(|path| within(path) && left_out.iter().all(|out| !overlaps(path, out)));
            if !fits || matches!(context_copy.owner, Some(Owner::Names(..))) {
                return None;
            }
            replayed.push(context_copy.clone());
        }
        Some((self.as_of_last_run(root)?, replayed))
    }
}
