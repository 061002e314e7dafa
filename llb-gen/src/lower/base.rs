//! Where a stage starts: its base image (pinned when resolved), a named build context that
//! replaces an image or the stage, another stage, or nothing.

use super::{Built, Lowering, ranges};
use crate::image::ImageConfig;
use crate::ir::Span;
use crate::llb::{LocalOptions, OpMeta, State};
use crate::options::NamedContext;
use crate::plan::{Base, StagePlan};

impl Lowering<'_> {
    /// The state and config of a named build context.
    fn named(&self, context: &NamedContext, label: &str, span: &Span) -> Built {
        let meta =
            OpMeta::named(format!("[context {label}] load")).at(ranges(&self.plan.file, span));
        let empty = || ImageConfig::empty(&self.platform.os, &self.platform.architecture, None);
        match context {
            NamedContext::Image { reference, config } => Built {
                state: State::image(reference, &self.platform, self.options.pull, meta),
                config: config.as_deref().cloned().unwrap_or_else(empty),
            },
            NamedContext::Local { name, session_id } => Built {
                state: State::local(
                    name,
                    &LocalOptions {
                        session_id: session_id.clone(),
                        shared_key_hint: Some(name.clone()),
                        ..LocalOptions::default()
                    },
                    meta,
                ),
                config: empty(),
            },
            NamedContext::Git(url) => Built {
                state: State::git(url, false, meta),
                config: empty(),
            },
            NamedContext::Http(url) => Built {
                state: State::http(url, None, None, meta),
                config: empty(),
            },
        }
    }

    /// An image by normalized reference, pinned when resolved; named contexts replace it.
    pub(crate) fn image(&self, reference: &str, written: &str, meta: OpMeta) -> Built {
        let named = self
            .options
            .named_contexts
            .get(written)
            .or_else(|| self.options.named_contexts.get(reference));
        if let Some(context) = named {
            return self.named(context, written, &(0..0));
        }
        match self.images.get(reference) {
            Some(resolved) => Built {
                state: State::image(&resolved.pinned, &self.platform, self.options.pull, meta),
                config: resolved.config.clone(),
            },
            None => {
                let mut config =
                    ImageConfig::empty(&self.platform.os, &self.platform.architecture, None);
                config.set_env("PATH", crate::image::DEFAULT_PATH);
                Built {
                    state: State::image(reference, &self.platform, self.options.pull, meta),
                    config,
                }
            }
        }
    }

    pub(super) fn base(&self, stage: &StagePlan, total: usize) -> Built {
        if stage.replaced
            && let Some(context) = self.options.named_contexts.get(&stage.name)
        {
            return self.named(context, &stage.name, &stage.span);
        }
        match &stage.base {
            Base::Image {
                reference,
                written,
                span,
            } => {
                let meta = self.meta(stage, 1, total, &format!("FROM {reference}"), span);
                let mut built = self.image(reference, written, meta);
                built.config.created = None;
                built.config.config.extra.remove("OnBuild");
                built
            }
            Base::Stage { index, .. } => self.built.get(index).cloned().unwrap_or_else(|| Built {
                state: State::scratch(),
                config: ImageConfig::empty(&self.platform.os, &self.platform.architecture, None),
            }),
            Base::Scratch { .. } => Built {
                state: State::scratch(),
                config: ImageConfig::empty(&self.platform.os, &self.platform.architecture, None),
            },
        }
    }
}
