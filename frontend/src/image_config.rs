//! The image config as returned to the exporter: the compiler's config, completed with the
//! platform the exporter needs whatever the spec said. (The creation time from
//! `SOURCE_DATE_EPOCH` is set by the compiler, which gets the epoch in its options.)

use llb_gen::Platform;
use llb_gen::image::ImageConfig;

/// Fills the platform the image config must hold whatever the compiler did.
pub fn finish_config(config: &mut ImageConfig, platform: &Platform) {
    if config.os.is_empty() {
        config.os = platform.os.clone();
    }
    if config.architecture.is_empty() {
        config.architecture = platform.architecture.clone();
        config.variant = platform.variant.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_fills_an_empty_config() {
        let mut config = ImageConfig::default();
        finish_config(&mut config, &Platform::default());
        assert_eq!(config.os, "linux");
        assert_eq!(config.architecture, "amd64");
    }
}
