//! Statistics and Markdown.

/// The `q` quantile (nearest rank) of `values`, `None` when empty.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len().max(1));
    v.get(rank - 1).copied()
}

/// A Markdown table.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!(
        "| {} |\n|{}\n",
        header.join(" | "),
        "---|".repeat(header.len())
    );
    for row in rows {
        out += &format!("| {} |\n", row.join(" | "));
    }
    out
}

/// The expected-count band a run belongs to: "<1", "1–7" or "≥7" per bucket.
pub fn band(expected_per_bucket: f64) -> &'static str {
    match expected_per_bucket {
        e if e < 1.0 => "<1",
        e if e < 7.0 => "1–7",
        _ => "≥7",
    }
}

pub const BANDS: [&str; 3] = ["<1", "1–7", "≥7"];

/// A length of time for people: "45 s", "12 min", "3.5 h".
pub fn duration(secs: f64) -> String {
    if secs < 60.0 {
        format!("{secs:.0} s")
    } else if secs < 3600.0 {
        format!("{:.0} min", secs / 60.0)
    } else {
        let hours = format!("{:.1}", secs / 3600.0);
        format!("{} h", hours.trim_end_matches(".0"))
    }
}

/// Delays of one group of runs, in buckets; `None` = missed.
pub struct Delays<'a> {
    pub delays: &'a [Option<f64>],
    pub step_secs: i64,
}

impl Delays<'_> {
    pub fn caught(&self) -> usize {
        self.delays.iter().flatten().count()
    }

    /// "7/8 (88%)".
    pub fn rate(&self) -> String {
        let (caught, n) = (self.caught(), self.delays.len());
        format!(
            "{caught}/{n} ({:.0}%)",
            100.0 * caught as f64 / n.max(1) as f64
        )
    }

    /// The `q` quantile of the caught runs' delays: "3 (3 min)", or "–".
    pub fn quantile(&self, q: f64) -> String {
        self.quantile_buckets(q).map_or("–".into(), |b| {
            format!("{b:.0} ({})", duration(b * self.step_secs as f64))
        })
    }

    /// The same as a time alone: "3 min", or "–".
    pub fn quantile_time(&self, q: f64) -> String {
        self.quantile_buckets(q)
            .map_or("–".into(), |b| duration(b * self.step_secs as f64))
    }

    fn quantile_buckets(&self, q: f64) -> Option<f64> {
        let caught: Vec<f64> = self.delays.iter().flatten().copied().collect();
        quantile(&caught, q)
    }

    /// Share of all runs (misses included) alerted within `buckets`.
    pub fn within(&self, buckets: f64) -> f64 {
        let hits = self
            .delays
            .iter()
            .flatten()
            .filter(|&&d| d <= buckets)
            .count();
        hits as f64 / self.delays.len().max(1) as f64
    }
}

/// "pass" or "FAIL".
pub fn verdict(ok: bool) -> &'static str {
    if ok {
        "pass"
    } else {
        "**FAIL**"
    }
}
