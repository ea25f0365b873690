//! The seasonal shape of a shop's traffic: share of the weekly peak at a given local time.

const DAY_SECS: i64 = 86_400;

/// Share of the daily peak at each local hour (value at hh:00) on a weekday: quiet from
/// 02:00 to 05:00, a morning climb, a lunch plateau and the evening peak at 20:00 that
/// online shops see when people are home.
const HOURLY: [f64; 24] = [
    0.30, 0.18, 0.10, 0.06, 0.05, 0.06, 0.12, 0.25, 0.42, 0.55, 0.63, 0.68, //
    0.72, 0.70, 0.68, 0.68, 0.70, 0.74, 0.80, 0.90, 1.00, 0.97, 0.80, 0.52,
];

/// Level of each weekday, Monday first. Sunday evening is the busiest time of the week.
const WEEKDAY: [f64; 7] = [0.97, 0.95, 0.94, 0.93, 0.88, 0.85, 1.00];

/// On Saturdays and Sundays the day starts later: the weekday curve is read this many
/// hours earlier, so the morning climb comes later and the night lasts longer.
const WEEKEND_LAG_HOURS: f64 = 1.5;

/// Share of the week's peak rate at `local_secs` (seconds since the Unix epoch in the
/// shop's local time), in (0, 1].
pub(crate) fn seasonal(local_secs: i64) -> f64 {
    let weekday = weekday(local_secs);
    let mut hour = local_secs.rem_euclid(DAY_SECS) as f64 / 3600.0;
    if weekday >= 5 {
        hour = (hour - WEEKEND_LAG_HOURS).rem_euclid(24.0);
    }
    WEEKDAY[weekday] * daily(hour)
}

/// Day of the week of `local_secs`, Monday = 0. 1970-01-01 was a Thursday.
pub(crate) fn weekday(local_secs: i64) -> usize {
    (local_secs.div_euclid(DAY_SECS) + 3).rem_euclid(7) as usize
}

/// Cosine interpolation between the hourly anchors: smooth, and never overshoots them.
fn daily(hour: f64) -> f64 {
    let h0 = hour.floor() as usize % 24;
    let h1 = (h0 + 1) % 24;
    let w = (1.0 - (std::f64::consts::PI * hour.fract()).cos()) / 2.0;
    HOURLY[h0] * (1.0 - w) + HOURLY[h1] * w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_week_peaks_at_one_on_sunday_evening() {
        let week: Vec<f64> = (0..7 * 24 * 60).map(|m| seasonal(m * 60)).collect();
        let max = week.iter().cloned().fold(0.0, f64::max);
        assert!((max - 1.0).abs() < 1e-12, "max {max}");
        // 1970-01-04 was a Sunday; 20:00 + the weekend lag.
        let sunday_peak = 3 * DAY_SECS + 21 * 3600 + 1800;
        assert!((seasonal(sunday_peak) - 1.0).abs() < 1e-12);
        assert!(week.iter().all(|&s| s > 0.0));
    }

    #[test]
    fn nights_are_quiet() {
        let monday = 4 * DAY_SECS;
        assert!(seasonal(monday + 4 * 3600) < 0.1 * seasonal(monday + 20 * 3600));
    }
}
