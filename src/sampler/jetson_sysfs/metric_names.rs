//! Metric names made from what the kernel calls a sensor or rail: safe for the
//! samples schema and unique, so no reading overwrites another.

use crate::sampler::Reading;

/// A reading under `metric`, as every sysfs source builds one.
pub(super) fn reading(metric: &str, value: f64) -> Reading {
    Reading {
        metric: metric.to_string(),
        value,
    }
}

/// Colliding names get their tag appended so no reading overwrites another.
pub(super) fn disambiguate(bases: &[String], tags: &[String]) -> Vec<String> {
    bases
        .iter()
        .zip(tags)
        .map(|(base, tag)| {
            if bases.iter().filter(|b| *b == base).count() > 1 {
                format!("{base}_{tag}")
            } else {
                base.clone()
            }
        })
        .collect()
}

/// Lower-case ASCII letters, digits and single underscores.
pub(super) fn metric_safe(text: &str) -> String {
    metric_safe_keep_case(&text.to_ascii_lowercase())
}

/// Letters, digits and single underscores, case kept (rail labels are upper-case by convention).
pub(super) fn metric_safe_keep_case(text: &str) -> String {
    let mapped: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    mapped
        .split('_')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}
