use super::*;

#[test]
fn money_reads_like_money() {
    let cases = [
        (1240.0, "USD", "$1,240"),
        (1239.5, "USD", "$1,240"),
        (64.5, "USD", "$64.50"),
        (65.0, "USD", "$65"),
        (99.996, "USD", "$100"),
        (0.004, "USD", "$0"),
        (0.0, "USD", "$0"),
        (-0.001, "USD", "$0"),
        (-1500.0, "USD", "-$1,500"),
        (1_234_567.0, "USD", "$1,234,567"),
        (980.0, "EUR", "€980"),
        (2.5, "GBP", "£2.50"),
        (15_000.4, "JPY", "¥15,000"),
        (64.5, "JPY", "¥65"),
        (1240.0, "CHF", "1,240 CHF"),
        (62.5, "CHF", "62.50 CHF"),
    ];
    for (amount, currency, expected) in cases {
        assert_eq!(
            format_money(amount, currency),
            expected,
            "{amount} {currency}"
        );
    }
}

#[test]
fn shares_and_durations_for_summaries() {
    use crate::impact::money::{duration, percent};
    assert_eq!(percent(0.97), "97%");
    assert_eq!(percent(0.001), "<1%");
    assert_eq!(percent(0.0), "0%");
    assert_eq!(duration(1.6), "1.6 h");
    assert_eq!(duration(3.0), "3 h");
    assert_eq!(duration(0.6), "36 min");
    assert_eq!(duration(0.999), "1 h");
}
