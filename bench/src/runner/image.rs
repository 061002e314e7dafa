//! What a final image holds: size, layers, and among the files the build added to its base,
//! build tools, caches and Python's packaging tools.

use std::collections::BTreeMap;
use std::path::Path;

use super::Runner;
use crate::{ImageFacts, docker, dockerfile, leaks, packaging};

impl Runner {
    /// Size, layers, leaks and packaging tools of the image `tag`; the base is the
    /// Dockerfile's `FROM` image the image is built on.
    pub(super) fn image_facts(
        &mut self,
        tag: &str,
        dockerfile_path: &Path,
    ) -> anyhow::Result<ImageFacts> {
        let layers = docker::layers(tag)?;
        let text = std::fs::read_to_string(dockerfile_path).unwrap_or_default();
        let candidates: Vec<(String, Vec<String>)> = dockerfile::base_images(&text)
            .into_iter()
            .filter_map(|image| {
                let layers = docker::layers(&image).ok()?;
                Some((image, layers))
            })
            .collect();
        let base = dockerfile::base_of(&layers, &candidates).map(str::to_owned);
        let files = docker::files(tag)?;
        let base_files = match &base {
            Some(image) => self.base_files(image)?,
            None => BTreeMap::new(),
        };
        let workdir = docker::workdir(tag)?;
        let added: Vec<(&str, u64)> = files
            .iter()
            .filter(|(path, _)| !base_files.contains_key(*path))
            .map(|(path, size)| (path.as_str(), *size))
            .collect();
        Ok(ImageFacts {
            size: docker::image_size(tag)?,
            layers: layers.len(),
            leaks: leaks::find(added.iter().map(|(path, _)| *path), &workdir),
            packaging_tools: packaging::bytes(added.iter().copied()),
            base,
        })
    }

    /// The files of base image `image`, listed once per image id.
    fn base_files(&mut self, image: &str) -> anyhow::Result<BTreeMap<String, u64>> {
        let id = docker::image_id(image).unwrap_or_else(|| image.to_owned());
        if !self.base_files.contains_key(&id) {
            let listed = docker::files(image)?;
            self.base_files.insert(id.clone(), listed);
        }
        Ok(self.base_files.get(&id).cloned().unwrap_or_default())
    }
}
