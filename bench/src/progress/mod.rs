//! `docker buildx build --progress=rawjson` output: BuildKit's vertices with their timestamps,
//! and what they tell about a build (which steps ran, where the time went, how long the
//! frontend took before its Solve call).

use std::collections::HashMap;

use anyhow::{Context, bail};
use serde::Deserialize;

/// One vertex (a build step, or a frontend request BuildKit shows as one).
#[derive(Debug, Clone, PartialEq)]
pub struct Vertex {
    /// Its digest.
    pub digest: String,
    /// Its progress name, e.g. `[app 2/4] create user app (10001)`.
    pub name: String,
    /// First start, in seconds since the Unix epoch.
    pub started: Option<f64>,
    /// Last completion, in seconds since the Unix epoch.
    pub completed: Option<f64>,
    /// Whether BuildKit reused it from the cache.
    pub cached: bool,
    /// Its error, if it failed.
    pub error: Option<String>,
}

impl Vertex {
    /// Seconds between its start and its completion.
    pub fn duration(&self) -> Option<f64> {
        Some(self.completed? - self.started?)
    }

    /// A step of the build itself (it ran a command, copied files, ...), as opposed to what the
    /// frontends and the exporter do around it, and to the base image sources.
    pub fn is_build_step(&self) -> bool {
        !is_frontend_request(&self.name)
            && !self.name.starts_with("[internal]")
            && !self.name.starts_with("exporting")
            && !self.name.starts_with("docker-image://")
            && !self.name.contains("] FROM ")
    }

    /// A build step that BuildKit executed (not reused from the cache).
    pub fn ran(&self) -> bool {
        self.is_build_step() && !self.cached && self.started.is_some()
    }

    /// A build step that BuildKit reused from the cache.
    pub fn reused(&self) -> bool {
        self.is_build_step() && self.cached
    }
}

/// Vertices a frontend creates before it submits the build: reading the build definition and
/// `.dockerignore`, resolving image metadata, probing the context, and the frontend image.
pub fn is_frontend_request(name: &str) -> bool {
    const PREFIXES: [&str; 6] = [
        "[internal] load build definition",
        "[internal] load .dockerignore",
        "[internal] load metadata for ",
        "[internal] load build context: detection files",
        "resolve image config for ",
        "docker-image://",
    ];
    PREFIXES.iter().any(|p| name.starts_with(p))
        || (name.starts_with("[context ") && name.contains("] load metadata for "))
}

#[derive(Deserialize)]
struct Line {
    #[serde(default)]
    vertexes: Vec<RawVertex>,
}

#[derive(Deserialize)]
struct RawVertex {
    digest: String,
    #[serde(default)]
    name: String,
    started: Option<String>,
    completed: Option<String>,
    #[serde(default)]
    cached: bool,
    error: Option<String>,
}

/// Parses rawjson progress (one JSON object a line; other lines are ignored) into vertices,
/// merged by digest, in the order they first appear. A vertex reported several times keeps its
/// earliest start and its latest completion; it counts as cached if any report says so.
pub fn parse(text: &str) -> anyhow::Result<Vec<Vertex>> {
    let mut order: Vec<String> = Vec::new();
    let mut by_digest: HashMap<String, Vertex> = HashMap::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if !line.starts_with('{') {
            continue;
        }
        let parsed: Line =
            serde_json::from_str(line).with_context(|| format!("progress line {}", number + 1))?;
        for raw in parsed.vertexes {
            let started = raw.started.as_deref().map(timestamp).transpose()?;
            let completed = raw.completed.as_deref().map(timestamp).transpose()?;
            let vertex = by_digest.entry(raw.digest.clone()).or_insert_with(|| {
                order.push(raw.digest.clone());
                Vertex {
                    digest: raw.digest.clone(),
                    name: String::new(),
                    started: None,
                    completed: None,
                    cached: false,
                    error: None,
                }
            });
            if !raw.name.is_empty() {
                vertex.name = raw.name;
            }
            vertex.started = earliest(vertex.started, started);
            vertex.completed = latest(vertex.completed, completed);
            vertex.cached |= raw.cached;
            if raw.error.is_some() {
                vertex.error = raw.error;
            }
        }
    }
    Ok(order
        .into_iter()
        .filter_map(|d| by_digest.remove(&d))
        .collect())
}

fn earliest(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn latest(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// An RFC 3339 time (`2026-11-22T16:36:55.963171151Z`, or with a `+hh:mm` offset) as seconds
/// since the Unix epoch.
pub fn timestamp(text: &str) -> anyhow::Result<f64> {
    let bad = || format!("not an RFC 3339 time: `{text}`");
    let (date, rest) = text.split_once(['T', 't']).with_context(bad)?;
    let mut parts = date.splitn(3, '-');
    let mut number = |what: &str| -> anyhow::Result<i64> {
        parts
            .next()
            .and_then(|p| p.parse().ok())
            .with_context(|| format!("{} ({what})", bad()))
    };
    let (year, month, day) = (number("year")?, number("month")?, number("day")?);
    let (clock, offset) = if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else {
        let at = rest.rfind(['+', '-']).with_context(bad)?;
        let (clock, zone) = rest.split_at(at);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (h, m) = zone[1..].split_once(':').with_context(bad)?;
        let minutes =
            h.parse::<i64>().with_context(bad)? * 60 + m.parse::<i64>().with_context(bad)?;
        (clock, sign * minutes * 60)
    };
    let mut fields = clock.splitn(3, ':');
    let hour: i64 = fields
        .next()
        .and_then(|f| f.parse().ok())
        .with_context(bad)?;
    let minute: i64 = fields
        .next()
        .and_then(|f| f.parse().ok())
        .with_context(bad)?;
    let second: f64 = fields
        .next()
        .and_then(|f| f.parse().ok())
        .with_context(bad)?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        bail!(bad());
    }
    let days = days_from_civil(year, month, day);
    Ok((days * 86_400 + hour * 3600 + minute * 60 - offset) as f64 + second)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// How long a build spent before its first build step, split up for a gateway frontend.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FrontendTimes {
    /// From the first vertex of the build (BuildKit reading the build definition) to the first
    /// vertex of the solved build: what the client waits before any step starts, whatever the
    /// frontend.
    pub to_first_step: Option<f64>,
    /// Gateway frontends only: from BuildKit having the frontend image (the last of its
    /// `resolve image config` and `docker-image://` vertices completes) to the first vertex of
    /// the solved build. That is starting the
    /// frontend's container plus everything the frontend does before its Solve call is
    /// visible.
    pub frontend: Option<f64>,
    /// Of that: from the frontend image to the frontend's first request (container start,
    /// process start, capability ping).
    pub startup: Option<f64>,
    /// Of that: from the frontend's first request to the end of its last one (spec,
    /// `.dockerignore`, image metadata, detection files).
    pub requests: Option<f64>,
    /// Of that: from the end of its last request to the first vertex of the solved build:
    /// compiling, the Solve and Return calls, the frontend's exit and its container's removal,
    /// then BuildKit starting the build. (Solve results are lazy, for the built-in Dockerfile
    /// frontend too: the steps run after the frontend has returned.)
    pub after_requests: Option<f64>,
}

/// The vertices of this build: those that started at or after `launch` (seconds since the
/// epoch, when the client was started), or never started.
///
/// BuildKit shares identical vertices between concurrent builds and replays a shared vertex's
/// past progress to every build that uses it, under the name and with the timestamps of the
/// build that ran it first (even its error). On an engine other builds use, such replays would
/// count as steps of this build and move its start; dropping what started before the client
/// did removes them.
pub fn since(vertices: Vec<Vertex>, launch: f64) -> Vec<Vertex> {
    split_at(vertices, launch).0
}

/// [`since`], and the build steps it dropped: steps this build shares with another build that
/// started them first. A build that shares steps did not do all its work itself, and its time
/// says so.
pub fn split_at(vertices: Vec<Vertex>, launch: f64) -> (Vec<Vertex>, usize) {
    let (ours, earlier): (Vec<Vertex>, Vec<Vertex>) = vertices
        .into_iter()
        .partition(|v| v.started.is_none_or(|t| t >= launch));
    let shared = earlier.iter().filter(|v| v.is_build_step()).count();
    (ours, shared)
}

/// Vertices that show BuildKit getting a gateway frontend's image: resolving its config, and
/// the image source itself.
fn is_frontend_image(name: &str) -> bool {
    name.starts_with("resolve image config for docker-image://")
        || name.starts_with("docker-image://")
}

/// The frontend times of a build, from its vertices.
pub fn frontend_times(vertices: &[Vertex]) -> FrontendTimes {
    let start = vertices
        .iter()
        .filter_map(|v| v.started)
        .min_by(f64::total_cmp);
    // The gateway frontend's image is ready when the last of its vertices completes (the
    // image source may be shared with an earlier build, then only its resolution shows).
    let image_ready = vertices
        .iter()
        .filter(|v| is_frontend_image(&v.name))
        .filter_map(|v| v.completed)
        .max_by(f64::total_cmp);
    let after = image_ready.unwrap_or(f64::NEG_INFINITY);
    let first_step = vertices
        .iter()
        .filter(|v| !is_frontend_request(&v.name))
        .filter_map(|v| v.started)
        .filter(|&t| t >= after)
        .min_by(f64::total_cmp);
    let mut times = FrontendTimes {
        to_first_step: first_step.zip(start).map(|(s, t)| s - t),
        ..FrontendTimes::default()
    };
    let (Some(ready), Some(first_step)) = (image_ready, first_step) else {
        return times;
    };
    let requests: Vec<&Vertex> = vertices
        .iter()
        .filter(|v| is_frontend_request(&v.name) && !is_frontend_image(&v.name))
        .filter(|v| v.started.is_some_and(|t| t >= ready && t <= first_step))
        .collect();
    let first_request = requests
        .iter()
        .filter_map(|v| v.started)
        .min_by(f64::total_cmp);
    let last_request_done = requests
        .iter()
        .filter_map(|v| v.completed)
        .max_by(f64::total_cmp);
    times.frontend = Some(first_step - ready);
    times.startup = first_request.map(|t| t - ready);
    times.requests = first_request.zip(last_request_done).map(|(a, b)| b - a);
    times.after_requests = last_request_done.map(|t| first_step - t);
    times
}

/// Where a build's wall time went, from the client's start to its exit.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Phases {
    /// From starting the client to BuildKit's first vertex (buildx starting, connecting,
    /// sending the build request and the session).
    pub client_start: f64,
    /// From the first vertex to the first build step (the frontend's work).
    pub before_steps: f64,
    /// From the first build step to the last vertex's end (the steps and the export).
    pub steps_and_export: f64,
    /// From the last vertex's end to the client's exit.
    pub client_end: f64,
}

/// The phases of a build that took `seconds` from `launch` (seconds since the epoch).
pub fn phases(vertices: &[Vertex], launch: f64, seconds: f64) -> Option<Phases> {
    let first = vertices
        .iter()
        .filter_map(|v| v.started)
        .min_by(f64::total_cmp)?;
    let last = vertices
        .iter()
        .filter_map(|v| v.completed)
        .max_by(f64::total_cmp)?;
    let before_steps = frontend_times(vertices).to_first_step.unwrap_or(0.0);
    Some(Phases {
        client_start: first - launch,
        before_steps,
        steps_and_export: last - first - before_steps,
        client_end: launch + seconds - last,
    })
}

/// The `n` build steps that took longest, longest first, as (name, seconds, cached).
pub fn slowest(vertices: &[Vertex], n: usize) -> Vec<(String, f64, bool)> {
    let mut steps: Vec<(String, f64, bool)> = vertices
        .iter()
        .filter(|v| !v.name.is_empty())
        .filter_map(|v| Some((v.name.clone(), v.duration()?, v.cached)))
        .collect();
    steps.sort_by(|a, b| b.1.total_cmp(&a.1));
    steps.truncate(n);
    steps
}

/// The first error a vertex reported, with its name.
pub fn first_error(vertices: &[Vertex]) -> Option<String> {
    vertices
        .iter()
        .find_map(|v| Some(format!("{}: {}", v.name, v.error.as_deref()?)))
}

/// A one-line-per-vertex text of a build, for people reading why a figure is what it is; times
/// are relative to `origin` (when the client started).
pub fn timeline(vertices: &[Vertex], origin: f64) -> String {
    let start = origin;
    let mut sorted: Vec<&Vertex> = vertices.iter().collect();
    sorted.sort_by(|a, b| {
        a.started
            .unwrap_or(f64::MAX)
            .total_cmp(&b.started.unwrap_or(f64::MAX))
    });
    let mut out =
        String::from("   start      took  state   name  (seconds since the client started)\n");
    for v in sorted {
        let at = v
            .started
            .map_or("-".to_owned(), |t| format!("{:.3}", t - start));
        let took = v.duration().map_or("-".to_owned(), |d| format!("{d:.3}"));
        let state = if v.error.is_some() {
            "ERROR"
        } else if v.cached {
            "cached"
        } else {
            "ran"
        };
        out.push_str(&format!("{at:>8} {took:>9}  {state:<6}  {}\n", v.name));
    }
    out
}

#[cfg(test)]
mod tests;
