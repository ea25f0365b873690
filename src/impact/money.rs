//! Amounts, shares and durations as people read them in one line.

/// `$1,240`, `$64.50`, `€980`, `¥15,000`, `1,240 CHF`. An estimate is not an invoice:
/// from 100 up, cents are noise and are dropped; below, they are kept unless zero.
pub fn format_money(amount: f64, currency: &str) -> String {
    if !amount.is_finite() {
        return format!("? {currency}");
    }
    let number = number(amount.abs(), has_minor_unit(currency));
    // A negative amount that rounds to zero would read "-$0".
    let sign = if amount < 0.0 && number != "0" {
        "-"
    } else {
        ""
    };
    match symbol(currency) {
        Some(symbol) => format!("{sign}{symbol}{number}"),
        None => format!("{sign}{number} {currency}"),
    }
}

fn symbol(currency: &str) -> Option<&'static str> {
    match currency {
        "USD" => Some("$"),
        "EUR" => Some("€"),
        "GBP" => Some("£"),
        "JPY" => Some("¥"),
        _ => None,
    }
}

/// Currencies whose smallest unit is the whole unit.
fn has_minor_unit(currency: &str) -> bool {
    !matches!(currency, "JPY" | "KRW" | "ISK" | "CLP" | "VND")
}

fn number(x: f64, minor_unit: bool) -> String {
    // Rounded to cents first, so that 99.996 becomes 100 and loses its cents too.
    let cents = (x * 100.0).round() as u64;
    if !minor_unit || cents >= 10_000 {
        return grouped(x.round() as u64);
    }
    match cents % 100 {
        0 => grouped(cents / 100),
        c => format!("{}.{c:02}", grouped(cents / 100)),
    }
}

/// Thousands separated by commas: 1,240.
pub(super) fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A count of conversions, whole: expectations are fractional, people are not.
pub(super) fn count(x: f64) -> String {
    grouped(x.max(0.0).round() as u64)
}

/// `97%`; a share too small to round to 1% still shows it is not zero.
pub(super) fn percent(share: f64) -> String {
    match share * 100.0 {
        p if p > 0.0 && p < 0.5 => "<1%".into(),
        p => format!("{p:.0}%"),
    }
}

/// `36 min`, `1.6 h`, `3 h`.
pub(super) fn duration(hours: f64) -> String {
    let minutes = (hours * 60.0).round();
    if minutes < 60.0 {
        return format!("{minutes:.0} min");
    }
    let text = format!("{hours:.1}");
    format!("{} h", text.trim_end_matches(".0"))
}
