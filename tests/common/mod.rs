//! Support shared by the integration tests. Each test binary uses a different part of
//! it, so unused items are expected in any one of them.
#![allow(dead_code)]

pub mod notifier;
pub mod vendor;
