//! Timestamps as the UI reads them: what node's `new Date()` serializes to.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, as `2026-12-05T02:40:00.123Z`.
pub(crate) fn now_iso() -> String {
    iso(SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64))
}

/// Milliseconds since the epoch, truncated to the second (node's
/// aggregated events are per second).
pub(crate) fn this_second_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() * 1000)
}

/// `ms` since the Unix epoch in ISO 8601 with milliseconds, UTC.
pub(crate) fn iso(ms: u64) -> String {
    let secs = ms / 1000;
    let (hour, minute, second) = (secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    let (year, month, day) = crate::core::civil_from_days(secs / 86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{:03}Z",
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso_dates_as_javascript_writes_them() {
        assert_eq!(super::iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(super::iso(951_782_400_007), "2000-02-29T00:00:00.007Z");
        assert_eq!(super::iso(1_796_438_400_123), "2026-12-05T02:40:00.123Z");
    }
}
