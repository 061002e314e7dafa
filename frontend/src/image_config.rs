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
        config.created = Some(rfc3339(epoch));
    }
}

/// Seconds since 1970 as RFC 3339 UTC, as Go's `time.Time` marshals it.
pub fn rfc3339(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_formats() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        let mut config = ImageConfig::default();
        finish_config(&mut config, &Platform::default(), Some(0));
        assert_eq!(config.created.as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(config.os, "linux");
        assert_eq!(config.architecture, "amd64");
    }
}
