//! One frontend invocation: options in, spec read, compiled per platform with `llb-gen`,
//! solved, result out. Everything else lives in the module named for it.

use std::collections::{BTreeMap, BTreeSet};

use bollard_buildkit_proto::moby::buildkit::v1::frontend::Result as GwResult;
use llb_gen::diag::UNSUPPORTED_OPTION;
use llb_gen::image::ImageConfig;
use llb_gen::{CompileOptions, ContextSource, Diagnostic, NamedContext, Platform, Prepared, pb};
use tokio::task::JoinSet;

use crate::Bridge;
use crate::caps::{Caps, id};
use crate::errors::FrontendError;
use crate::image_config::finish_config;
use crate::lint::{self, LINT};
use crate::load::{self, LoadedSpec};
use crate::options::Options;
use crate::resolve::Resolver;
use crate::solve::{self, PlatformImage};
use crate::{contexts, elf_check, subrequests, warnings};

/// Runs the build (or answers the subrequest) the client asked for.
pub async fn run(client: &mut Bridge) -> Result<GwResult, FrontendError> {
    let caps = Caps::ping(client).await?;
    caps.require_basics()?;
    caps.require(id::RETURN, "returning a result")?;
    let opts = Options::from_env().map_err(FrontendError::Message)?;

    if let Some(request) = opts.request_id.as_deref() {
        if request == subrequests::DESCRIBE {
            return Ok(subrequests::describe());
        }
        if !subrequests::is_supported(request) {
            return Err(FrontendError::UnsupportedSubrequest(request.to_owned()));
        }
    }
    check_supported(&opts)?;

    let session_id = std::env::var("BUILDKIT_SESSION_ID").unwrap_or_default();
    let spec = load::load_spec(client, &caps, &opts, &session_id).await?;
    let platforms = if opts.platforms.is_empty() {
        vec![caps.default_platform()]
    } else {
        opts.platforms.clone()
    };

    if let Some(request) = opts.request_id.as_deref()
        && request != LINT
    {
        let first = platforms.first().cloned().unwrap_or_default();
        return answer(
            request,
            &spec,
            compile_options(
                &opts,
                &caps,
                first,
                BTreeMap::new(),
                &session_id,
                Vec::new(),
            ),
        );
    }

    let compiled = compile_all(client, &caps, &opts, &session_id, &spec, &platforms).await;
    if opts.request_id.as_deref() == Some(LINT) {
        return match compiled {
            Ok((_, found)) => Ok(lint::result(&spec.file, &found, None)),
            Err(FrontendError::Spec(diagnostics)) => {
                Ok(lint::result(&spec.file, &[], Some(&diagnostics)))
            }
            Err(other) => Err(other),
        };
    }
    let (builds, found) = compiled?;

    let mut warned: Vec<Diagnostic> = opts
        .ignored
        .iter()
        .map(|key| {
            Diagnostic::warning(
                &UNSUPPORTED_OPTION,
                format!(
                    "option `{key}` is not supported by the Stagefile frontend and was ignored"
                ),
                None,
            )
        })
        .collect();
    warned.extend(found);
    warnings::send(client, &caps, &spec, &warned).await;

    let images = solve_all(client, &caps, &opts, builds).await?;
    solve::build_result(images, opts.multi_platform, opts.source_date_epoch, &caps)
}

/// One platform's compiled build.
type Build = (Platform, pb::Definition, ImageConfig);

/// Compiles the target for every platform: named contexts and base images resolved, detection
/// paths probed. Returns the builds and the compiler's warnings (each once).
async fn compile_all(
    client: &mut Bridge,
    caps: &Caps,
    opts: &Options,
    session_id: &str,
    spec: &LoadedSpec,
    platforms: &[Platform],
) -> Result<(Vec<Build>, Vec<Diagnostic>), FrontendError> {
    let resolver = Resolver {
        caps: caps.clone(),
        mode: opts.image_resolve_mode,
        multi_platform: opts.multi_platform,
    };
    let mut ignored: Option<Vec<String>> = None;
    let mut probed = BTreeSet::new();
    let mut found = BTreeSet::new();
    let mut texts = BTreeMap::new();
    let mut warned: Vec<Diagnostic> = Vec::new();
    let mut builds = Vec::new();
    let mut without_elf_checked = None;
    for platform in platforms {
        let named = contexts::named_contexts(client, &resolver, opts, session_id, platform).await?;
        let options = |excludes: Vec<String>| {
            compile_options(
                opts,
                caps,
                platform.clone(),
                named.clone(),
                session_id,
                excludes,
            )
        };
        // The images to resolve and the paths to probe come from the plan, which the
        // .dockerignore patterns do not change (only lowering uses them): all three are read
        // at the same time.
        let planned = Prepared::new(spec.file.clone(), options(Vec::new()))?;
        let missing: BTreeSet<String> = planned
            .probe_paths()
            .into_iter()
            .filter(|p| !probed.contains(p))
            .collect();
        let references = planned.images_to_resolve();
        let reads: BTreeSet<String> = planned
            .read_paths()
            .into_iter()
            .filter(|p| missing.contains(p))
            .collect();
        let (images, files) = tokio::try_join!(
            resolver.resolve_all(client, &references, platform),
            load::context_files(
                client,
                caps,
                opts,
                session_id,
                &missing,
                &reads,
                ignored.is_none()
            ),
        )?;
        if let Some(patterns) = files.dockerignore {
            ignored = Some(patterns);
        }
        found.extend(files.found);
        texts.extend(files.texts);
        probed.extend(missing);
        let known = load::known_paths(&found, &texts);
        let options = options(ignored.clone().unwrap_or_default());
        let context = options.context.clone();
        let mut prepared = Prepared::new(spec.file.clone(), options)?;
        let mut compiled = prepared.compile(&known, &images)?;
        // A scan reads the source copy: once the context is known to hold no ELF file, it
        // need not (checked once, for every platform).
        if compiled.scans_context {
            if without_elf_checked.is_none() {
                without_elf_checked =
                    Some(elf_check::context_without_elf(client, caps, &context).await);
            }
            if without_elf_checked == Some(true) {
                prepared.set_context_without_elf();
                compiled = prepared.compile(&known, &images)?;
            }
        }
        let definition = compiled.definition;
        caps.check_definition(&definition)?;
        for warning in compiled.warnings {
            if !warned.contains(&warning) {
                warned.push(warning);
            }
        }
        let mut config = compiled.image_config;
        finish_config(&mut config, platform);
        builds.push((platform.clone(), definition, config));
    }
    Ok((builds, warned))
}

/// Solves every platform's definition concurrently, keeping the platform order.
async fn solve_all(
    client: &Bridge,
    caps: &Caps,
    opts: &Options,
    builds: Vec<Build>,
) -> Result<Vec<PlatformImage>, FrontendError> {
    let mut tasks = JoinSet::new();
    for (index, (platform, definition, config)) in builds.into_iter().enumerate() {
        let mut client = client.clone();
        let caps = caps.clone();
        let cache_imports = opts.cache_imports.clone();
        tasks.spawn(async move {
            let reference =
                solve::solve_ref(&mut client, &caps, definition, &cache_imports).await?;
            Ok::<_, FrontendError>((
                index,
                PlatformImage {
                    platform,
                    reference,
                    config,
                },
            ))
        });
    }
    let mut images = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let done = joined.map_err(|e| FrontendError::msg(format!("solve task failed: {e}")))?;
        images.push(done?);
    }
    images.sort_by_key(|(index, _)| *index);
    Ok(images.into_iter().map(|(_, image)| image).collect())
}

/// `frontend.targets` and `frontend.outline`.
fn answer(
    request: &str,
    spec: &LoadedSpec,
    options: CompileOptions,
) -> Result<GwResult, FrontendError> {
    if request == subrequests::TARGETS {
        let prepared = Prepared::new(
            spec.file.clone(),
            CompileOptions {
                target: None,
                ..options
            },
        )?;
        return Ok(subrequests::targets(&spec.file, &prepared.targets()));
    }
    let prepared = Prepared::new(spec.file.clone(), options)?;
    let outline = prepared.outline();
    let targets = prepared.targets();
    let description = targets
        .iter()
        .find(|t| t.name == outline.target)
        .and_then(|t| t.description.as_deref());
    Ok(subrequests::outline(&spec.file, &outline, description))
}

/// Options of the main context this frontend cannot honour yet: fail clearly, not silently.
fn check_supported(opts: &Options) -> Result<(), FrontendError> {
    if let Some(url) = &opts.remote_context {
        return Err(FrontendError::msg(format!(
            "remote build contexts ({url}) are not supported by the Stagefile frontend yet; \
             build from a local directory"
        )));
    }
    if let Some(dir) = &opts.context_subdir {
        return Err(FrontendError::msg(format!(
            "a build context subdirectory (contextsubdir={dir}) is not supported by the Stagefile frontend"
        )));
    }
    Ok(())
}

/// The compiler's options for one platform.
pub fn compile_options(
    opts: &Options,
    caps: &Caps,
    platform: Platform,
    named_contexts: BTreeMap<String, NamedContext>,
    session_id: &str,
    exclude_patterns: Vec<String>,
) -> CompileOptions {
    let session = opts.session_for(&opts.context_local, session_id);
    CompileOptions {
        target: opts.target.clone(),
        build_args: opts.build_args.clone(),
        platform,
        context: ContextSource::Local {
            name: opts.context_local.clone(),
            session_id: (!session.is_empty()).then_some(session),
            exclude_patterns,
            without_elf: false,
        },
        named_contexts,
        no_cache: opts.no_cache.clone(),
        labels: opts.labels.clone(),
        source_date_epoch: opts.source_date_epoch,
        pull: opts.image_resolve_mode == crate::options::ResolveMode::Pull,
        llb_caps: Some(caps.llb_enabled()),
    }
}
