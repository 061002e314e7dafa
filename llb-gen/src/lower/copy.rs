//! Lowering copies. Consecutive copies become one merge of independent copy layers (like
//! `COPY --link`): a change below them does not invalidate them, and each is cached alone.

use super::Lowering;
use crate::ir::{CopyFrom, FileCopy, Owner};
use crate::llb::{CopyOptions, FileAction, OpMeta, State};
use crate::plan::StagePlan;

impl Lowering<'_> {
    /// How a copy reads in progress output.
    pub(super) fn copy_display(&self, copy: &FileCopy) -> String {
        let from = match &copy.from {
            CopyFrom::Context => None,
            CopyFrom::Stage(index) => Some(self.plan.stages[*index].name.as_str()),
            CopyFrom::Image(reference) => Some(reference.as_str()),
            CopyFrom::Builder => Some("<builder>"),
            CopyFrom::Branch => Some("<install>"),
        };
        // Appended to one string: a target that copies many stages makes hundreds.
        let mut display = String::from("COPY ");
        if let Some(from) = from {
            display.extend(["--from=", from, " "]);
        }
        if copy.src.is_empty() {
            display.push_str("<outputs>");
        } else {
            display.push_str(&copy.src.join(" "));
        }
        display.extend([" ", &copy.dest]);
        display
    }

    /// About how many bytes a copy adds to the definition: each file action (one per source,
    /// or per output of the stage it copies) holds its paths and patterns.
    pub(super) fn copy_size(&self, copy: &FileCopy) -> usize {
        let patterns: usize = copy
            .include
            .iter()
            .chain(&copy.exclude)
            .map(String::len)
            .sum();
        let sources: Vec<usize> = match (&copy.from, copy.src.is_empty()) {
            (CopyFrom::Stage(index), true) => self.plan.stages[*index]
                .outputs
                .iter()
                .map(String::len)
                .collect(),
            _ => copy.src.iter().map(String::len).collect(),
        };
        sources
            .iter()
            .map(|src| src + copy.dest.len() + patterns + 128)
            .sum()
    }

    /// The state a copy reads from, and that state's working directory.
    fn copy_source(&self, from: &CopyFrom) -> (State, String) {
        match from {
            CopyFrom::Context => (self.context.clone(), "/".to_owned()),
            CopyFrom::Stage(index) => match self.built.get(index) {
                Some(built) => (
                    built.state.clone(),
                    built
                        .config
                        .config
                        .working_dir
                        .clone()
                        .unwrap_or_else(|| "/".into()),
                ),
                None => (State::scratch(), "/".into()),
            },
            CopyFrom::Builder => match &self.builder {
                Some(built) => (built.state.clone(), "/".into()),
                None => (State::scratch(), "/".into()),
            },
            CopyFrom::Branch => (
                self.branch.branched.clone().unwrap_or_else(State::scratch),
                "/".into(),
            ),
            CopyFrom::Image(reference) => {
                let built = self.image(
                    reference,
                    reference,
                    OpMeta::named(format!("[internal] load {reference}")),
                );
                (built.state, "/".into())
            }
        }
    }

    /// `(src, dest)` pairs of one copy; a copy from a stage without `src` takes its outputs.
    fn copy_pairs(&self, copy: &FileCopy, source_workdir: &str) -> Vec<(String, String)> {
        let dest = &copy.dest;
        match (&copy.from, copy.src.is_empty()) {
            (CopyFrom::Stage(index), true) => self.plan.stages[*index]
                .outputs
                .iter()
                .map(|output| {
                    let src = if output.starts_with('/') {
                        output.clone()
                    } else {
                        [source_workdir.trim_end_matches('/'), output].join("/")
                    };
                    (src, output_dest(dest, output))
                })
                .collect(),
            _ => copy
                .src
                .iter()
                .map(|src| (src.clone(), dest.clone()))
                .collect(),
        }
    }

    fn copy_actions(&self, copy: &FileCopy) -> Vec<FileAction> {
        let (mut from, workdir) = self.copy_source(&copy.from);
        let pairs = self.copy_pairs(copy, &workdir);
        let mut replayed = Vec::new();
        if matches!(copy.from, CopyFrom::Builder) {
            from = match self.replayable(copy, &pairs) {
                Some((last_run, copies)) => {
                    replayed = copies.iter().flat_map(|c| self.copy_actions(c)).collect();
                    last_run
                }
                None => self.builder_for(pairs.iter().map(|(src, _)| src.as_str())),
            };
        }
        let (owner, owner_names) = match &copy.owner {
            Some(Owner::Ids(uid, gid)) => (Some((*uid, *gid)), None),
            Some(Owner::Names(user, group)) => (None, Some((user.clone(), group.clone()))),
            None => (None, None),
        };
        pairs
            .into_iter()
            .map(|(src, dest)| {
                let src = match copy.from {
                    CopyFrom::Context => context_path(&src),
                    _ => src,
                };
                FileAction::Copy {
                    from: from.clone(),
                    options: CopyOptions {
                        // A root is no symlink. With patterns, following links makes BuildKit
                        // resolve every link below it while checksumming, and a link that loops
                        // (`x -> ../x` at the top) fails the copy ("too many links") where
                        // `COPY . .` copies it.
                        follow_symlink: src != "/",
                        owner,
                        owner_names: owner_names.clone(),
                        mode: copy.mode,
                        dir_contents: true,
                        allow_wildcard: true,
                        include: copy.include.clone(),
                        exclude: copy.exclude.clone(),
                    },
                    src,
                    dest,
                }
            })
            .chain(replayed)
            .collect()
    }

    /// Applies a group of consecutive copies on `base`; `names` are their
    /// [`Self::copy_display`]s, in the group's order.
    pub(super) fn copies(
        &self,
        base: &State,
        group: &[FileCopy],
        names: &[String],
        stage: &StagePlan,
        meta: OpMeta,
    ) -> State {
        // Owners by name are looked up in the destination's /etc/passwd, so those copies
        // must be applied on the stage itself rather than linked.
        let by_name = group
            .iter()
            .any(|c| matches!(c.owner, Some(Owner::Names(..))));
        if by_name {
            let actions = group.iter().flat_map(|c| self.copy_actions(c)).collect();
            return base.file(actions, meta);
        }
        if !self.options.supports("mergeop") {
            // Engines without merge ops (Docker's classic image store): chain the copies, each
            // op named for its own copy as the merged layers are.
            return self.chain_order(group, names).into_iter().fold(
                base.clone(),
                |state, (copy, name)| {
                    let copy_meta = OpMeta {
                        name: layer_name(&meta, name),
                        ranges: super::ranges(&self.plan.file, &copy.span),
                        ..meta.clone()
                    };
                    state.file(self.copy_actions(copy), copy_meta)
                },
            );
        }
        let mut layers = vec![base.clone()];
        for (copy, name) in group.iter().zip(names) {
            let layer_meta = OpMeta {
                name: layer_name(&meta, name),
                ranges: super::ranges(&self.plan.file, &copy.span),
                ignore_cache: stage.no_cache,
            };
            layers.push(State::scratch().file(self.copy_actions(copy), layer_meta));
        }
        State::merge(layers, meta)
    }
}

impl Lowering<'_> {
    /// Where a copy can write (see [`written_paths`]): the destinations of its pairs, without
    /// making their sources.
    pub(super) fn written(&self, copy: &FileCopy) -> Vec<String> {
        match (&copy.from, copy.src.is_empty()) {
            (CopyFrom::Stage(index), true) => self.plan.stages[*index]
                .outputs
                .iter()
                .map(|output| output_dest(&copy.dest, output))
                .collect(),
            _ => copy
                .src
                .iter()
                .flat_map(|src| written_paths(copy, src, &copy.dest))
                .collect(),
        }
    }

    /// The order to chain a group of copies in when the engine cannot merge them: the spec's,
    /// except that copies from the build context go after the others when none of the copies
    /// they would move behind writes where they write (so the result is the same). The context
    /// changes with every source edit, and a chained copy depends on every copy before it: a
    /// context copy first would make each later copy (a virtualenv, say) run and be exported
    /// again after every edit, as a hand-written Dockerfile that copies the code last does not.
    fn chain_order<'c>(
        &self,
        group: &'c [FileCopy],
        names: &'c [String],
    ) -> Vec<(&'c FileCopy, &'c String)> {
        let named = group.iter().zip(names);
        let from_context = |copy: &FileCopy| matches!(copy.from, CopyFrom::Context);
        let dests = |copy: &FileCopy| self.written(copy);
        let movable = group.iter().enumerate().all(|(i, copy)| {
            !from_context(copy)
                || group[i + 1..]
                    .iter()
                    .filter(|later| !from_context(later))
                    .all(|later| {
                        dests(copy)
                            .iter()
                            .all(|a| dests(later).iter().all(|b| !overlaps(a, b)))
                    })
        });
        if !movable {
            return named.collect();
        }
        let (others, context): (Vec<_>, Vec<_>) = named.partition(|(copy, _)| !from_context(copy));
        others.into_iter().chain(context).collect()
    }
}

/// The progress name of one copy of a group: the group's `[stage k/N]` and the copy's display.
fn layer_name(group: &OpMeta, display: &str) -> Option<String> {
    group
        .name
        .as_deref()
        .map(|n| [n.split(']').next().unwrap_or(n), "] ", display].concat())
}

/// Where a copy of a stage's `output` to `dest` lands: under `dest`, at the output's path.
fn output_dest(dest: &str, output: &str) -> String {
    [dest.trim_end_matches('/'), output.trim_start_matches('/')].join("/")
}

/// Whether two destination paths can hold the same file: one is the other or inside it (a
/// relative or root destination overlaps everything).
pub(super) fn overlaps(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim_end_matches('/'), b.trim_end_matches('/'));
    if !a.starts_with('/') || !b.starts_with('/') {
        return true;
    }
    a == b || a.starts_with(&format!("{b}/")) || b.starts_with(&format!("{a}/"))
}

/// Where a copy of `src` to `dest` can write: under `dest`, or only under the literal start
/// of each `include` pattern when a whole directory is copied (the source copy of a stage with
/// `include = ["app", "gunicorn.conf.py"]` writes nothing into `<workdir>/venv`).
fn written_paths(copy: &FileCopy, src: &str, dest: &str) -> Vec<String> {
    let whole_context = matches!(copy.from, CopyFrom::Context) && context_path(src) == "/";
    if !whole_context || copy.include.is_empty() {
        return vec![dest.to_owned()];
    }
    copy.include
        .iter()
        .map(|pattern| {
            let literal: Vec<&str> = pattern
                .trim_start_matches("./")
                .split('/')
                .take_while(|part| !part.contains(['*', '?', '[', '\\']))
                .filter(|part| !part.is_empty())
                .collect();
            if literal.is_empty() {
                dest.to_owned()
            } else {
                format!("{}/{}", dest.trim_end_matches('/'), literal.join("/"))
            }
        })
        .collect()
}

/// A context-relative path as an absolute path in the context state (`.` is `/`).
fn context_path(src: &str) -> String {
    let relative = src.trim_start_matches("./").trim_start_matches('/');
    if relative.is_empty() || relative == "." {
        "/".to_owned()
    } else {
        ["/", relative].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::{overlaps, written_paths};
    use crate::ir::{CopyFrom, FileCopy};

    #[test]
    fn include_patterns_narrow_where_a_context_copy_writes() {
        let copy = FileCopy {
            from: CopyFrom::Context,
            src: vec![".".into()],
            dest: "/srv/pack".into(),
            include: vec!["service".into(), "conf/*.py".into(), "**/*.txt".into()],
            exclude: Vec::new(),
            owner: None,
            mode: None,
            span: 0..0,
        };
        assert_eq!(
            written_paths(&copy, ".", "/srv/pack"),
            ["/srv/pack/service", "/srv/pack/conf", "/srv/pack"]
        );
        let stage_copy = FileCopy {
            from: CopyFrom::Stage(0),
            ..copy.clone()
        };
        assert_eq!(written_paths(&stage_copy, "/", "/srv/pack"), ["/srv/pack"]);
        assert_eq!(
            written_paths(&copy, "requirements.txt", "/srv/pack"),
            ["/srv/pack"]
        );
    }

    #[test]
    fn destinations_overlap_when_one_holds_the_other() {
        assert!(overlaps("/app", "/app/"));
        assert!(overlaps("/app", "/app/static"));
        assert!(overlaps("/app/static/", "/app"));
        assert!(!overlaps("/app", "/venv"));
        assert!(!overlaps("/app", "/application"));
        assert!(overlaps("/", "/venv"));
        assert!(overlaps("app", "/venv"));
    }
}
