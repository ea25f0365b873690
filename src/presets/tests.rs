//! Every preset is held to what the engine and the config parser need of it.

use super::*;
use crate::config::{Config, MonitorKind};
use std::collections::HashSet;
use std::path::Path;

fn https_with_host(raw: &str) -> url::Url {
    let url = url::Url::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
    assert_eq!(url.scheme(), "https", "{raw} is not https");
    assert!(
        url.host_str().is_some_and(|h| h.contains('.')),
        "{raw} has no host"
    );
    url
}

fn by_id(id: &str) -> &'static Preset {
    catalogue()
        .iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("no preset {id}"))
}

fn ids(found: &[&Preset]) -> Vec<String> {
    found.iter().map(|p| p.id.clone()).collect()
}

#[test]
fn catalogue_is_large_enough() {
    assert!(
        catalogue().len() >= 100,
        "only {} presets",
        catalogue().len()
    );
}

#[test]
fn ids_are_unique_kebab_case() {
    let mut seen = HashSet::new();
    for p in catalogue() {
        assert!(seen.insert(&p.id), "id {} is used twice", p.id);
        let kebab = !p.id.is_empty()
            && !p.id.starts_with('-')
            && !p.id.ends_with('-')
            && !p.id.contains("--")
            && p.id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        assert!(kebab, "id {} is not kebab-case", p.id);
        assert!(!p.name.trim().is_empty(), "{} has no name", p.id);
    }
}

#[test]
fn every_category_has_at_least_four_presets() {
    for category in Category::ALL {
        let n = catalogue()
            .iter()
            .filter(|p| p.category == category)
            .count();
        assert!(n >= 4, "{category} has only {n} presets");
    }
}

#[test]
fn every_url_is_https_with_a_host() {
    for p in catalogue() {
        match &p.status {
            StatusSource::Statuspage { url, .. } | StatusSource::Feed { url, .. } => {
                https_with_host(url);
            }
            StatusSource::Unavailable { probe_url, .. } => {
                if let Some(url) = probe_url {
                    https_with_host(url);
                }
            }
        }
        if let Some(page) = &p.page {
            https_with_host(page);
        }
    }
}

#[test]
fn statuspage_urls_are_base_urls() {
    for p in catalogue() {
        if let StatusSource::Statuspage { url, .. } = &p.status {
            let parsed = https_with_host(url);
            assert_eq!(parsed.path(), "/", "{}: {url} has a path", p.id);
            assert!(
                parsed.query().is_none() && parsed.fragment().is_none(),
                "{url}"
            );
            assert!(!url.ends_with('/'), "{}: {url} ends with a slash", p.id);
        }
    }
}

#[test]
fn notes_are_present_and_fit_on_a_comment_line() {
    for p in catalogue() {
        if let StatusSource::Unavailable { note, .. } = &p.status {
            assert!(!note.trim().is_empty(), "{} says none without a note", p.id);
        }
        if let Some(note) = p.status.note() {
            assert!(!note.trim().is_empty(), "{} has an empty note", p.id);
            assert!(
                !note.contains('\n'),
                "{}: notes become one comment line",
                p.id
            );
        }
    }
}

#[test]
fn probes_carry_no_component_filter() {
    for p in catalogue() {
        if matches!(p.status, StatusSource::Unavailable { .. }) {
            assert!(
                p.components.is_empty(),
                "{}: http probes take no components",
                p.id
            );
        }
    }
}

#[test]
fn every_monitor_entry_parses_into_one_monitor_of_its_kind() {
    let mut entries = 0;
    for p in catalogue() {
        let Some(entry) = p.monitor_toml() else {
            assert!(
                matches!(
                    p.status,
                    StatusSource::Unavailable {
                        probe_url: None,
                        ..
                    }
                ),
                "{} has a source but no entry",
                p.id
            );
            continue;
        };
        entries += 1;
        let cfg = Config::parse(&entry, Path::new("presets.toml"))
            .unwrap_or_else(|e| panic!("{}: {e}\n{entry}", p.id));
        let [monitor] = cfg.monitors.as_slice() else {
            panic!("{}: expected one monitor in\n{entry}", p.id)
        };
        assert_eq!(monitor.id, p.id);
        assert_eq!(monitor.display_name(), p.name);
        match (&p.status, &monitor.kind) {
            (StatusSource::Statuspage { url, .. }, MonitorKind::Statuspage(sp)) => {
                assert_eq!(&sp.url, url);
                assert_eq!(sp.components, p.components);
            }
            (StatusSource::Feed { url, .. }, MonitorKind::Feed(feed)) => {
                assert_eq!(&feed.url, url);
                assert_eq!(feed.components, p.components);
            }
            (
                StatusSource::Unavailable {
                    probe_url: Some(url),
                    probe_expect_status,
                    ..
                },
                MonitorKind::Http(probe),
            ) => {
                assert_eq!(&probe.url, url);
                assert_eq!(&probe.expect_status, probe_expect_status);
            }
            (source, kind) => panic!("{}: {source:?} became {kind}", p.id),
        }
    }
    assert!(entries >= 90, "only {entries} presets give a monitor entry");
}

#[test]
fn entries_quote_what_they_print() {
    let preset = Preset {
        id: "acme".into(),
        name: "Acme \"Shop\" \\ Co".into(),
        category: Category::Shop,
        aliases: vec![],
        components: vec!["Check \"out\"".into()],
        page: None,
        status: StatusSource::Feed {
            url: "https://status.acme.test/feed".into(),
            note: Some("A note with \"quotes\"".into()),
        },
    };
    let entry = preset.monitor_toml().expect("a feed gives an entry");
    assert!(
        entry.starts_with("# A note with \"quotes\"\n[[monitor]]\n"),
        "{entry}"
    );
    let cfg = Config::parse(&entry, Path::new("x.toml")).unwrap_or_else(|e| panic!("{e}\n{entry}"));
    assert_eq!(cfg.monitors[0].display_name(), "Acme \"Shop\" \\ Co");
    let MonitorKind::Feed(feed) = &cfg.monitors[0].kind else {
        panic!("feed expected")
    };
    assert_eq!(feed.components, ["Check \"out\""]);
}

#[test]
fn probe_method_reaches_the_entry() {
    let mut preset = by_id("tiktok").clone();
    let StatusSource::Unavailable { probe_method, .. } = &mut preset.status else {
        panic!("tiktok has no status API")
    };
    *probe_method = Some("HEAD".into());
    let entry = preset.monitor_toml().expect("a probe gives an entry");
    let cfg = Config::parse(&entry, Path::new("x.toml")).unwrap_or_else(|e| panic!("{e}\n{entry}"));
    let MonitorKind::Http(probe) = &cfg.monitors[0].kind else {
        panic!("http expected")
    };
    assert_eq!(probe.method, "HEAD");
}

#[test]
fn catalogue_rejects_unknown_keys() {
    let typo = "[[preset]]\nid = \"a\"\nname = \"A\"\ncategory = \"shop\"\n\
                status = { kind = \"none\", note = \"n\", probe_ur = \"https://a.test\" }\n";
    let err = toml::from_str::<CatalogueFile>(typo)
        .err()
        .expect("typo accepted");
    assert!(err.to_string().contains("probe_ur"), "{err}");
    let bad_category = typo
        .replace("shop", "shops")
        .replace("probe_ur", "probe_url");
    assert!(toml::from_str::<CatalogueFile>(&bad_category).is_err());
}

#[test]
fn search_puts_exact_matches_first() {
    assert_eq!(search("segment")[0].id, "segment");
    assert_eq!(search("  SHOPIFY ")[0].id, "shopify");
    // Heap's alias "contentsquare heap" only contains the term, so it comes last.
    assert_eq!(ids(&search("square")), ["square", "squarespace", "heap"]);
    let meta = ids(&search("meta"));
    assert_eq!(meta[0], "meta");
    assert!(
        meta[1..3].contains(&"meta-ads-manager".to_owned()),
        "{meta:?}"
    );
    assert!(meta[1..3].contains(&"meta-pixel".to_owned()), "{meta:?}");
}

#[test]
fn search_finds_aliases() {
    let fb = search("FB");
    assert!(fb.len() >= 2, "{:?}", ids(&fb));
    assert!(
        fb.iter().all(|p| p.id.starts_with("meta")),
        "{:?}",
        ids(&fb)
    );
    assert_eq!(search("ga4")[0].id, "google-analytics");
    assert_eq!(search("magento")[0].id, "adobe-commerce");
    assert_eq!(search("sendinblue")[0].id, "brevo");
}

#[test]
fn search_by_category_lists_that_category() {
    let payments = search("payments");
    let expected = catalogue()
        .iter()
        .filter(|p| p.category == Category::Payments)
        .count();
    assert_eq!(payments.len(), expected, "{:?}", ids(&payments));
    assert!(payments.iter().all(|p| p.category == Category::Payments));
    assert!(search("Email & SMS")
        .iter()
        .all(|p| p.category == Category::EmailSms));
}

#[test]
fn search_ranks_prefix_before_substring() {
    let rank = |id: &str, term: &str| by_id(id).rank(term);
    assert_eq!(rank("segment", "segment"), Some(Rank::ExactName));
    assert_eq!(rank("brevo", "sendinblue"), Some(Rank::ExactOther));
    assert_eq!(rank("google-ads", "ads"), Some(Rank::Prefix));
    assert_eq!(rank("triple-whale", "hale"), Some(Rank::Substring));
    assert_eq!(rank("segment", "whale"), None);
}

#[test]
fn empty_search_lists_everything_and_nonsense_nothing() {
    assert_eq!(search("").len(), catalogue().len());
    assert_eq!(search("   ").len(), catalogue().len());
    assert!(search("zzzz").is_empty());
}

#[test]
fn listing_line_names_the_source() {
    let line = by_id("segment").to_string();
    assert!(line.starts_with("segment "), "{line}");
    assert!(
        line.contains("statuspage https://status.segment.com"),
        "{line}"
    );
    let line = by_id("tiktok").to_string();
    assert!(
        line.contains("no status API, probe https://business-api.tiktok.com"),
        "{line}"
    );
    assert!(!line.contains('\n'), "{line}");
    let line = by_id("woocommerce").to_string();
    assert!(
        line.contains("no status API. WooCommerce runs on"),
        "{line}"
    );
}

#[test]
fn presets_serialize_for_json_output() {
    let json = serde_json::to_value(by_id("pinterest")).unwrap();
    assert_eq!(json["category"], "ad_platform");
    assert_eq!(json["status"]["kind"], "statuspage");
    assert_eq!(json["status"]["url"], "https://www.pintereststatus.com");
    assert_eq!(json["components"][0], "Conversions Endpoints");
    let json = serde_json::to_value(by_id("meta-pixel")).unwrap();
    assert_eq!(json["status"]["kind"], "none");
    assert!(json["status"]["note"]
        .as_str()
        .is_some_and(|n| !n.is_empty()));
}
