//! The image config as returned to the exporter: the compiler's config, completed with what the
//! exporter needs whatever the spec said (platform, creation time from `SOURCE_DATE_EPOCH`).

use llb_gen::Platform;
use llb_gen::image::ImageConfig;

/// Fills what the image config must hold whatever the compiler did: the platform, and the
/// creation time from `SOURCE_DATE_EPOCH`.
pub fn finish_config(config: &mut ImageConfig, platform: &Platform, epoch: Option<i64>) {
    if config.os.is_empty() {
        config.os = platform.os.clone();
    }
    if config.architecture.is_empty() {
        config.architecture = platform.architecture.clone();
        config.variant = platform.variant.clone();
    }
    if let Some(epoch) = epoch
        && config.created.is_none()
    {
        config.created = Some(llb_gen::image::rfc3339(epoch));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_formats() {
        let mut config = ImageConfig::default();
        finish_config(&mut config, &Platform::default(), Some(0));
        assert_eq!(config.created.as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(config.os, "linux");
        assert_eq!(config.architecture, "amd64");
    }
}
