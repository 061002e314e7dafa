//! Just enough of a Dockerfile to know its base images, and of images to know which one another
//! is built on (to count only the files a build added).

use std::collections::BTreeMap;

/// The images named by the Dockerfile's `FROM` lines (not stages, not `scratch`), with global
/// `ARG` defaults substituted, in order, without duplicates.
pub fn base_images(text: &str) -> Vec<String> {
    let mut args: BTreeMap<String, String> = BTreeMap::new();
    let mut stages: Vec<String> = Vec::new();
    let mut images: Vec<String> = Vec::new();
    let mut seen_from = false;
    for line in logical_lines(text) {
        let mut words = line.split_whitespace();
        let Some(instruction) = words.next() else {
            continue;
        };
        match instruction.to_ascii_uppercase().as_str() {
            "ARG" if !seen_from => {
                for word in words {
                    if let Some((name, value)) = word.split_once('=') {
                        args.insert(name.to_owned(), value.trim_matches('"').to_owned());
                    }
                }
            }
            "FROM" => {
                seen_from = true;
                let rest: Vec<&str> = words.filter(|w| !w.starts_with("--")).collect();
                let Some(image) = rest.first() else {
                    continue;
                };
                let image = substitute(image, &args);
                if let [_, as_word, name] = rest.as_slice()
                    && as_word.eq_ignore_ascii_case("as")
                {
                    stages.push(name.to_ascii_lowercase());
                }
                let is_stage = stages
                    .iter()
                    .rev()
                    .skip(usize::from(rest.len() == 3))
                    .any(|s| *s == image.to_ascii_lowercase());
                if image != "scratch" && !is_stage && !images.contains(&image) {
                    images.push(image);
                }
            }
            _ => {}
        }
    }
    images
}

/// Lines with `\` continuations joined and comments dropped.
fn logical_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for raw in text.lines() {
        let trimmed = raw.trim();
        if current.is_empty() && (trimmed.starts_with('#') || trimmed.is_empty()) {
            continue;
        }
        if let Some(head) = trimmed.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
        } else {
            current.push_str(trimmed);
            lines.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// `${NAME}`, `${NAME:-default}` and `$NAME` replaced by the ARG defaults (unknown names: empty,
/// or the `:-` default).
fn substitute(text: &str, args: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(body) = after.strip_prefix('{')
            && let Some(end) = body.find('}')
        {
            let inner = &body[..end];
            let (name, default) = inner.split_once(":-").unwrap_or((inner, ""));
            out.push_str(args.get(name).map_or(default, String::as_str));
            rest = &body[end + 1..];
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if len == 0 {
                out.push('$');
            } else {
                out.push_str(args.get(&after[..len]).map_or("", String::as_str));
            }
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    out
}

/// Of the candidate images (name, layer diff ids), the one whose layers are the longest prefix
/// of `layers`: the image `layers` was built on.
pub fn base_of<'a>(layers: &[String], candidates: &'a [(String, Vec<String>)]) -> Option<&'a str> {
    candidates
        .iter()
        .filter(|(_, base)| {
            !base.is_empty() && base.len() <= layers.len() && layers.starts_with(base)
        })
        .max_by_key(|(_, base)| base.len())
        .map(|(name, _)| name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_lines_with_args_and_stages() {
        let text = "# comment\nARG PYTHON=3.11\nARG NODE=\"20\"\n\
                    FROM --platform=$BUILDPLATFORM node:${NODE}-slim AS assets\n\
                    RUN npm ci \\\n  && echo FROM not-an-image\n\
                    FROM python:${PYTHON}-slim AS deps\n\
                    FROM deps AS test\n\
                    FROM scratch AS empty\n\
                    from python:$PYTHON-slim\n\
                    FROM ${REGISTRY:-docker.io}/library/debian:bookworm-slim\n";
        assert_eq!(
            base_images(text),
            [
                "node:20-slim",
                "python:3.11-slim",
                "docker.io/library/debian:bookworm-slim"
            ]
        );
    }

    #[test]
    fn a_stage_can_reuse_an_image_name() {
        // `FROM python:3.11-slim AS python` then `FROM python`: the second is the stage.
        let text = "FROM python:3.11-slim AS python\nFROM python\n";
        assert_eq!(base_images(text), ["python:3.11-slim"]);
    }

    #[test]
    fn the_longest_layer_prefix_is_the_base() {
        let l = |ids: &[&str]| ids.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let image = l(&["a", "b", "c", "d"]);
        let candidates = vec![
            ("debian".to_owned(), l(&["a"])),
            ("python".to_owned(), l(&["a", "b"])),
            ("node".to_owned(), l(&["x", "y"])),
            ("bigger".to_owned(), l(&["a", "b", "c", "d", "e"])),
        ];
        assert_eq!(base_of(&image, &candidates), Some("python"));
        assert_eq!(base_of(&l(&["z"]), &candidates), None);
    }
}
