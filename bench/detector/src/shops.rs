//! The synthetic shops every section uses.

use shopsim::Shop;

/// 2026-01-05 00:00 UTC, a Monday.
pub const START: i64 = 1_767_571_200;
pub const WEEK: i64 = 7 * 86_400;

/// Sizes by peak "View Content" per minute; "Add to Cart" peaks at 0.3 of that,
/// "Initiate Checkout" at 0.12 and "Complete Payment" at 0.08. Each shop lives in its own
/// time zone, so "night" is not the same UTC hours for all.
const SIZES: [(&str, f64, i64); 4] = [
    ("tiny (0.5/min)", 0.5, 3600),
    ("small (5/min)", 5.0, -5 * 3600),
    ("medium (50/min)", 50.0, 0),
    ("busy (500/min)", 500.0, 9 * 3600),
];

/// One shop of each size; `variant` changes every seed.
pub fn shops(seed: u64, variant: u64) -> Vec<(&'static str, Shop)> {
    SIZES
        .iter()
        .enumerate()
        .map(|(i, &(label, peak, offset))| {
            let mut shop = Shop::new(seed * 1000 + variant * 10 + i as u64, peak);
            shop.utc_offset_secs = offset;
            (label, shop)
        })
        .collect()
}
