use super::*;
use crate::Health;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("/tmp/flatline.toml"))
}

#[test]
fn default_config_parses_and_watches_segment() {
    let cfg = parse(DEFAULT_CONFIG).unwrap();
    let segment = cfg.monitor("segment").expect("segment monitor");
    assert!(matches!(segment.kind, MonitorKind::Statuspage(_)));
    assert!(cfg.monitors.len() >= 4);
    assert_eq!(cfg.general.interval_secs, 60.0);
}

#[test]
fn default_monitors_agree_with_the_catalogue() {
    for m in parse(DEFAULT_CONFIG).unwrap().monitors {
        let preset = crate::presets::search(&m.id)
            .into_iter()
            .find(|p| p.id == m.id)
            .unwrap_or_else(|| panic!("default monitor {} is not a preset", m.id));
        let MonitorKind::Statuspage(sp) = &m.kind else {
            panic!("default monitors are status pages")
        };
        assert!(
            preset
                .monitor_toml()
                .unwrap()
                .contains(&format!("url = \"{}\"", sp.url)),
            "{} differs from its preset",
            m.id
        );
    }
}

#[test]
fn minimal_monitor_entry_works() {
    let cfg = parse(
        r#"
[[monitor]]
id = "segment"
kind = "statuspage"          # statuspage | feed | http
url = "https://status.segment.com"
# components = ["Connections (Destinations)"]   optional filter
"#,
    )
    .unwrap();
    let MonitorKind::Statuspage(sp) = &cfg.monitors[0].kind else {
        panic!("statuspage expected")
    };
    assert_eq!(
        sp.summary_url(),
        "https://status.segment.com/api/v2/summary.json"
    );
    assert!(sp.components.is_empty());
    assert_eq!(cfg.monitors[0].confirm, 1);
}

#[test]
fn typo_in_kind_names_line_and_key() {
    let err = parse("[[monitor]]\nid = \"a\"\nkind = \"statuspag\"\nurl = \"https://x.test\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("/tmp/flatline.toml: line 3, key `kind`"),
        "{err}"
    );
    assert!(err.contains("statuspag"), "{err}");
}

#[test]
fn unknown_key_is_an_error_with_its_line() {
    let err = parse("[general]\ninterval_secs = 30\nintervall = 5\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("intervall"), "{err}");
}

#[test]
fn a_bad_general_value_below_comments_names_its_own_line() {
    // The commented default puts lines above `[general]`; the search for the key
    // stopped at the table's header and blamed line 1.
    let text = "# Flatline\n\n[general]\n# How often\ninterval_secs = 0\n";
    let err = parse(text).unwrap_err().to_string();
    assert!(err.contains("line 5, key `interval_secs`"), "{err}");
    assert!(err.contains("at least 0.1 seconds, not 0"), "{err}");

    let text = "# Flatline\n[notifications]\n\n[general]\nconcurrency = 0\n";
    let err = parse(text).unwrap_err().to_string();
    assert!(err.contains("line 5, key `concurrency`"), "{err}");
}

#[test]
fn semantic_errors_point_at_the_key() {
    let text = "[[monitor]]\nid = \"a\"\nkind = \"http\"\nurl = \"https://x.test\"\n\n[[monitor]]\nid = \"b\"\nkind = \"statuspage\"\nurl = \"ftp://x.test\"\n";
    let err = parse(text).unwrap_err().to_string();
    assert!(err.contains("line 9, key `url`"), "{err}");

    let text = "[[monitor]]\nid = \"a\"\nkind = \"feed\"\nurl = \"https://x.test\"\nexpect_status = [200]\n";
    let err = parse(text).unwrap_err().to_string();
    assert!(err.contains("line 5, key `expect_status`"), "{err}");

    let text = "[[monitor]]\nid = \"a\"\nkind = \"feed\"\nurl = \"https://x.test\"\n[[monitor]]\nid = \"a\"\nkind = \"feed\"\nurl = \"https://y.test\"\n";
    let err = parse(text).unwrap_err().to_string();
    assert!(
        err.contains("line 6, key `id`") && err.contains("used twice"),
        "{err}"
    );
}

#[test]
fn missing_file_gets_the_commented_default() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/config.toml");
    let cfg = Config::load_or_init(&path).unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(written, DEFAULT_CONFIG);
    assert!(
        written
            .lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .count()
            > 10
    );
    assert_eq!(cfg, parse(DEFAULT_CONFIG).unwrap());
}

#[test]
fn volume_monitors_parse_with_their_defaults() {
    let cfg = parse(
        r#"
[[monitor]]
id = "segment"
kind = "statuspage"
url = "https://status.segment.com"

[[monitor]]
id = "shop"
kind = "segment_volume"
events = ["Add to Cart", "Complete Payment"]
funnel = ["Add to Cart", "Complete Payment"]
depends_on = ["segment"]

[[monitor]]
id = "canary"
kind = "canary"
volume_monitor = "shop"
"#,
    )
    .unwrap();
    let MonitorKind::Volume(v) = &cfg.monitor("shop").unwrap().kind else {
        panic!("a volume monitor")
    };
    let VolumeSourceConfig::Segment(s) = &v.source else {
        panic!("the Segment source")
    };
    assert_eq!(s.url, "https://api.segmentapis.com");
    assert_eq!(s.token_env, "SEGMENT_API_TOKEN");
    assert_eq!(s.granularity, Granularity::Minute);
    assert_eq!(v.history_days, 28.0);
    assert_eq!(v.depends_on, ["segment"]);
    assert_eq!(cfg.monitor("shop").unwrap().kind_name(), "segment_volume");
    let MonitorKind::Canary(c) = &cfg.monitor("canary").unwrap().kind else {
        panic!("a canary")
    };
    assert_eq!(
        (c.url.as_str(), c.deadline_secs),
        ("https://api.segment.io", 600.0)
    );
}

#[test]
fn volume_mistakes_name_their_line_and_key() {
    let err = |text: &str| parse(text).unwrap_err().to_string();
    let csv_without_path = "[[monitor]]\nid = \"x\"\nkind = \"csv\"\n";
    assert!(err(csv_without_path).contains("line 1, key `path`: is required"));
    let unknown_upstream =
        "[[monitor]]\nid = \"x\"\nkind = \"csv\"\npath = \"/tmp/x.csv\"\ndepends_on = [\"nope\"]\n";
    assert!(
        err(unknown_upstream).contains("line 5, key `depends_on`: no monitor has the id `nope`"),
        "{}",
        err(unknown_upstream)
    );
    let probe_key =
        "[[monitor]]\nid = \"x\"\nkind = \"csv\"\npath = \"/tmp/x.csv\"\nmethod = \"GET\"\n";
    assert!(err(probe_key).contains("line 5, key `method`: does not apply"));
    let volume_key_on_page =
        "[[monitor]]\nid = \"x\"\nkind = \"statuspage\"\nurl = \"https://a.b\"\nevents = [\"a\"]\n";
    assert!(err(volume_key_on_page).contains("line 5, key `events`"));
    let canary_to_page = "[[monitor]]\nid = \"p\"\nkind = \"statuspage\"\nurl = \"https://a.b\"\n\n[[monitor]]\nid = \"c\"\nkind = \"canary\"\nvolume_monitor = \"p\"\n";
    assert!(
        err(canary_to_page).contains("line 9, key `volume_monitor`"),
        "{}",
        err(canary_to_page)
    );
    let funnel_outside = "[[monitor]]\nid = \"x\"\nkind = \"csv\"\npath = \"/x\"\nevents = [\"a\", \"b\"]\nfunnel = [\"a\", \"c\"]\n";
    assert!(err(funnel_outside).contains("`c` is not one of the watched `events`"));
    let json_without_value =
        "[[monitor]]\nid = \"x\"\nkind = \"http_json\"\nurl = \"https://a.b\"\nevent = \"/name\"\n";
    assert!(err(json_without_value).contains("key `value`: is required"));
}

#[test]
fn impact_defaults_without_a_section() {
    let cfg = parse("[general]\ninterval_secs = 30\n").unwrap();
    let model = cfg.impact_model("anything");
    assert_eq!(model, crate::impact::Model::default());
    assert_eq!(model.kind, crate::impact::ModelKind::HourlyRate);
    assert_eq!((model.currency.as_str(), model.hourly_rate), ("USD", 800.0));
    assert_eq!(model.severity_weights.partial_outage, 0.5);
    assert_eq!(model.attribution, 1.0);
    assert!(model.conversion_values.is_empty());
    // The commented default spells out the same defaults.
    assert_eq!(parse(DEFAULT_CONFIG).unwrap().impact, model);
}

#[test]
fn monitor_impact_overrides_merge_key_by_key() {
    let cfg = parse(
        r#"
[impact]
currency = "EUR"
hourly_rate = 500
[impact.severity_weights]
degraded = 0.1
[impact.conversion_values]
"Complete Payment" = 65.0
"Add to Cart" = 2

[[monitor]]
id = "shop"
kind = "csv"
path = "/tmp/x.csv"
[monitor.impact]
model = "conversion_value"
attribution = 0.8
[monitor.impact.conversion_values]
"Add to Cart" = 3.5
"Initiate Checkout" = 10

[[monitor]]
id = "segment"
kind = "statuspage"
url = "https://status.segment.com"
impact = { hourly_rate = 1200, severity_weights = { major_outage = 0.9 } }

[[monitor]]
id = "plain"
kind = "statuspage"
url = "https://status.example.com"
"#,
    )
    .unwrap();
    use crate::impact::ModelKind;
    let global = &cfg.impact;
    assert_eq!(
        (global.currency.as_str(), global.hourly_rate),
        ("EUR", 500.0)
    );
    assert_eq!(global.severity_weights.degraded, 0.1);
    assert_eq!(
        global.severity_weights.major_outage, 1.0,
        "unset weights keep their default"
    );

    let shop = cfg.impact_model("shop");
    assert_eq!(shop.kind, ModelKind::ConversionValue);
    assert_eq!((shop.currency.as_str(), shop.attribution), ("EUR", 0.8));
    let values: Vec<(&str, f64)> = shop
        .conversion_values
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        values,
        [
            ("Add to Cart", 3.5),
            ("Complete Payment", 65.0),
            ("Initiate Checkout", 10.0)
        ]
    );

    let segment = cfg.impact_model("segment");
    assert_eq!(
        (segment.kind, segment.hourly_rate),
        (ModelKind::HourlyRate, 1200.0)
    );
    assert_eq!(segment.severity_weights.major_outage, 0.9);
    assert_eq!(segment.severity_weights.degraded, 0.1);
    assert_eq!(segment.conversion_values.len(), 2);

    assert_eq!(cfg.impact_model("plain"), *global);
    assert!(cfg.monitor("plain").unwrap().impact.is_empty());
    assert_eq!(cfg.impact_model("no-such-monitor"), *global);
}

#[test]
fn impact_mistakes_name_their_line_and_key() {
    let err = |text: &str| parse(text).unwrap_err().to_string();
    let cases = [
        ("[impact]\nhourly_rate = -800\n", "line 2, key `hourly_rate`: must be 0 or more"),
        ("[impact]\nattribution = 1.5\n", "line 2, key `attribution`: must be between 0 and 1"),
        ("[impact]\ncurrency = \"usd\"\n", "line 2, key `currency`: `usd` is not an ISO 4217"),
        ("[impact]\ncurrency = \"EURO\"\n", "line 2, key `currency`"),
        ("[impact]\nmodel = \"hourly\"\n", "line 2, key `model`"),
        ("[impact]\nhourly_rte = 5\n", "line 2, key `hourly_rte`"),
        (
            "[impact.severity_weights]\ndegraded = 0.2\nmajor_outage = 2\n",
            "line 3, key `major_outage`: must be between 0 and 1",
        ),
        (
            "[impact.severity_weights]\nminor = 0.2\n",
            "line 2, key `minor`",
        ),
        (
            "[impact.conversion_values]\n\"Complete Payment\" = -65\n",
            "line 2, key `Complete Payment`: must be 0 or more",
        ),
        (
            "[[monitor]]\nid = \"a\"\nkind = \"statuspage\"\nurl = \"https://a.b\"\nimpact = { hourly_rate = 5, attribution = -1 }\n",
            "line 5, key `attribution`: must be between 0 and 1",
        ),
        (
            "[[monitor]]\nid = \"a\"\nkind = \"statuspage\"\nurl = \"https://a.b\"\n\n[monitor.impact]\nhourly_rate = 5\ncurency = \"EUR\"\n",
            "line 8, key `curency`",
        ),
    ];
    for (text, expected) in cases {
        let e = err(text);
        assert!(e.contains(expected), "{text:?}: {e}");
    }
    assert!(err("[impact]\nhourly_rte = 5\n").contains("unknown field `hourly_rte`"));
}

#[test]
fn the_default_s_channel_example_works_once_uncommented() {
    let example: String = DEFAULT_CONFIG
        .lines()
        .skip_while(|l| *l != "# [[channel]]")
        .take_while(|l| l.starts_with("# "))
        .map(|l| format!("{}\n", &l[2..]))
        .collect();
    let cfg = parse(&example).unwrap();
    assert_eq!(
        cfg.channels,
        vec![ChannelConfig {
            id: "growth-team".into(),
            kind: ChannelKind::Slack,
            url_env: "FLATLINE_SLACK_WEBHOOK_URL".into(),
            min_severity: Health::PartialOutage,
            on: Change::ALL.to_vec(),
        }]
    );
}

#[test]
fn a_channel_needs_only_its_kind_and_variable() {
    let cfg =
        parse("[[channel]]\nid = \"ops\"\nkind = \"webhook\"\nurl_env = \"OPS_HOOK\"\n").unwrap();
    let ops = &cfg.channels[0];
    assert_eq!(ops.min_severity, Health::Degraded);
    assert!(ops.wants(Change::Resolved, Health::Degraded));
    assert!(!ops.wants(Change::Opened, Health::Unknown));
    let majors = parse(
        "[[channel]]\nid = \"ops\"\nkind = \"webhook\"\nurl_env = \"OPS_HOOK\"\nmin_severity = \"major_outage\"\non = [\"opened\"]\n",
    )
    .unwrap();
    assert!(majors.channels[0].wants(Change::Opened, Health::MajorOutage));
    assert!(!majors.channels[0].wants(Change::Opened, Health::PartialOutage));
    assert!(!majors.channels[0].wants(Change::Resolved, Health::MajorOutage));
}

#[test]
fn channel_mistakes_name_their_line_and_key() {
    let err = |text: &str| parse(text).unwrap_err().to_string();
    let head = "[general]\ninterval_secs = 60\n\n[[channel]]\nid = \"ops\"\nkind = \"slack\"\n";
    let url_in_file = format!("{head}url = \"https://hooks.slack.com/services/T0/B0/x\"\n");
    assert!(
        err(&url_in_file).contains("line 7, key `url`: a channel's URL is a secret"),
        "{}",
        err(&url_in_file)
    );
    assert!(
        err(head).contains("line 4, key `url_env`: is required"),
        "{}",
        err(head)
    );
    let spaced = format!("{head}url_env = \"MY HOOK\"\n");
    assert!(err(&spaced)
        .contains("line 7, key `url_env`: `MY HOOK` is not an environment variable name"));
    let never = format!("{head}url_env = \"H\"\nmin_severity = \"operational\"\n");
    assert!(
        err(&never).contains("line 8, key `min_severity`: `operational` never opens an incident")
    );
    let nothing = format!("{head}url_env = \"H\"\non = []\n");
    assert!(err(&nothing).contains("line 8, key `on`: lists nothing to post"));
    let unknown_change = format!("{head}url_env = \"H\"\non = [\"acknowledged\"]\n");
    assert!(
        err(&unknown_change).contains("line 8"),
        "{}",
        err(&unknown_change)
    );
    let teams = format!("{head}url_env = \"H\"\n");
    let twice = format!("{teams}\n{}", &teams[teams.find("[[channel]]").unwrap()..]);
    assert!(
        err(&twice).contains("line 10, key `id`: channel id `ops` is used twice"),
        "{}",
        err(&twice)
    );
    let unknown_kind = "[[channel]]\nid = \"x\"\nkind = \"teams\"\nurl_env = \"H\"\n";
    assert!(
        err(unknown_kind).contains("line 3"),
        "{}",
        err(unknown_kind)
    );
}

#[test]
fn quiet_hours_and_reminders_are_read_and_mistakes_named() {
    let cfg =
        parse("[notifications]\nquiet_hours = \"22:30-06:45\"\nrenotify_minutes = 0\n").unwrap();
    let quiet = cfg.notifications.quiet_hours.expect("quiet hours");
    assert_eq!(quiet, QuietHours::parse("22:30-06:45").unwrap());
    assert_eq!(cfg.notifications.renotify_minutes, 0);
    assert_eq!(parse("").unwrap().notifications.renotify_minutes, 60);
    let err = parse("[general]\n\n[notifications]\nquiet_hours = \"22-7\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 4, key `quiet_hours`: `22-7` is not a range of local times"),
        "{err}"
    );
}
