//! Benchmark of the volume detector (`flatline::detect`), as the benchmark data's README
//! asks: labelled drops in real series, outages injected into real series and synthetic
//! shops, false alarms and campaigns, throughput. Prints Markdown; run it through
//! `scripts/bench-detector`.

mod drive;
mod injected;
mod labelled;
mod quiet;
mod recorded;
mod report;
mod shops;
mod throughput;

use anyhow::{bail, Context, Result};
use injected::{Kind, Trial};
use report::{table, verdict, Delays};
use std::path::PathBuf;
use std::time::Instant;

const USAGE: &str =
    "usage: flatline-bench-detector --data DIR [--seed N] [--trials N] [--weeks N] \
                     [--sections labelled,injected,quiet,throughput]";
const SECTIONS: [&str; 4] = ["labelled", "injected", "quiet", "throughput"];
/// A target that holds for a share of runs needs at least this share.
const TARGET_SHARE: f64 = 0.95;

struct Args {
    data: PathBuf,
    seed: u64,
    trials: usize,
    weeks: i64,
    sections: Vec<String>,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        data: PathBuf::new(),
        seed: 1,
        trials: 30,
        weeks: 5,
        sections: SECTIONS.iter().map(|s| (*s).to_owned()).collect(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .with_context(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--data" => args.data = value()?.into(),
            "--seed" => args.seed = value()?.parse().context("--seed")?,
            "--trials" => args.trials = value()?.parse().context("--trials")?,
            "--weeks" => args.weeks = value()?.parse().context("--weeks")?,
            "--sections" => args.sections = value()?.split(',').map(str::to_owned).collect(),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}\n{USAGE}"),
        }
    }
    if let Some(s) = args
        .sections
        .iter()
        .find(|s| !SECTIONS.contains(&s.as_str()))
    {
        bail!("unknown section {s}; known: {}", SECTIONS.join(","));
    }
    if args.data.as_os_str().is_empty()
        && args
            .sections
            .iter()
            .any(|s| s != "quiet" && s != "throughput")
    {
        bail!("--data is required for the labelled and injected sections\n{USAGE}");
    }
    Ok(args)
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let wanted = |s: &str| args.sections.iter().any(|x| x == s);
    let mut targets = Vec::new();
    println!(
        "Delay = detected_at − injected (or labelled) onset, in buckets; detected_at is the end \
         of the bucket whose data raised the alert, so 1 bucket is the earliest possible. \
         Seed {}, {} runs per source, outage kind and duration.\n",
        args.seed, args.trials
    );

    let mut real_quiet = None;
    if wanted("labelled") {
        let t = Instant::now();
        let (md, quiet) = labelled::run(&args.data)?;
        println!("### 1. Labelled drops in the Microsoft series\n\n{md}");
        eprintln!("labelled: {:.0} s", t.elapsed().as_secs_f64());
        real_quiet = Some(quiet);
    }
    if wanted("injected") {
        let t = Instant::now();
        let (md, real, shops) = injected::run(&args.data, args.seed, args.trials)?;
        println!("### 2. Injected outages\n\n{md}");
        eprintln!("injected: {:.0} s", t.elapsed().as_secs_f64());
        targets.push(full_outage_target(&real, &shops));
        targets.push(half_drop_target(&shops));
    }
    if wanted("quiet") {
        let t = Instant::now();
        let q = quiet::run(args.seed, args.weeks);
        println!("### 3. False alarms and campaigns\n\n{}", q.markdown);
        eprintln!("quiet: {:.0} s", t.elapsed().as_secs_f64());
        let mut figure = format!(
            "shops: {:.2} (worst {} at {:.2}); caused by campaigns: {} alerts",
            q.per_30_days, q.worst.0, q.worst.1, q.campaign_alerts
        );
        let mut ok = q.per_30_days <= 1.0 && q.campaign_alerts == 0;
        if let Some(real) = &real_quiet {
            let rate = real.alerts as f64 * 30.0 / real.days;
            figure += &format!("; real series outside labels: {rate:.2}");
            ok &= rate <= 1.0;
        }
        targets.push(vec![
            "≤ 1 false alarm per event type per 30 days; none caused by a campaign".into(),
            figure,
            verdict(ok).into(),
        ]);
    }
    if wanted("throughput") {
        let t = Instant::now();
        let th = throughput::run(args.seed);
        println!("### 4. Throughput\n\n{}", th.markdown);
        eprintln!("throughput: {:.0} s", t.elapsed().as_secs_f64());
        targets.push(vec![
            "millions of stream-buckets per second on one core".into(),
            format!("{:.2} M/s", th.per_sec / 1e6),
            verdict(th.per_sec >= 1e6).into(),
        ]);
    }
    if !targets.is_empty() {
        println!(
            "### Targets\n\nA target on delays passes when at least {:.0}% of the runs in its \
             group were alerted in time (misses count as late).\n\n{}",
            TARGET_SHARE * 100.0,
            table(&["target", "measured", "verdict"], &targets)
        );
    }
    Ok(())
}

/// Full outages with ≥ 7 events expected per bucket, alerted within 1 bucket. The
/// shops' figure is also split at 12 expected, since one empty bucket at λ expected is
/// worth λ nats of evidence.
fn full_outage_target(real: &[Trial], shops: &[Trial]) -> Vec<String> {
    let within = |trials: &[Trial], from: f64, to: f64| -> (f64, usize) {
        let delays: Vec<Option<f64>> = trials
            .iter()
            .filter(|t| t.kind == Kind::All(0.0) && (from..to).contains(&t.expected))
            .map(|t| t.delay)
            .collect();
        (
            Delays {
                delays: &delays,
                step_secs: 60,
            }
            .within(1.0),
            delays.len(),
        )
    };
    let [shops_all, shops_low, shops_high, real_all] = [
        within(shops, 7.0, f64::INFINITY),
        within(shops, 7.0, 12.0),
        within(shops, 12.0, f64::INFINITY),
        within(real, 7.0, f64::INFINITY),
    ];
    let pct = |(share, n): (f64, usize)| format!("{:.0}% of {n}", 100.0 * share);
    vec![
        "full outage, ≥ 7 expected per bucket: alert within 1 bucket".into(),
        format!(
            "within 1 bucket: shops {} runs (7–12 expected: {}; ≥ 12: {}); real series {} runs",
            pct(shops_all),
            pct(shops_low),
            pct(shops_high),
            pct(real_all)
        ),
        verdict(shops_all.0 >= TARGET_SHARE && real_all.0 >= TARGET_SHARE).into(),
    ]
}

/// Half of one event type lost at ≥ 10 of it expected per minute, alerted within 15 min.
fn half_drop_target(shops: &[Trial]) -> Vec<String> {
    let delays: Vec<Option<f64>> = shops
        .iter()
        .filter(|t| t.kind == Kind::One(0.5) && t.expected * 60.0 / t.step_secs as f64 >= 10.0)
        .map(|t| t.delay)
        .collect();
    let d = Delays {
        delays: &delays,
        step_secs: 60,
    };
    let share = d.within(15.0);
    vec![
        "50% drop of one event type at ≥ 10 events/min: alert within 15 min".into(),
        format!(
            "{:.0}% of {} runs within 15 min (caught {}, median delay {})",
            100.0 * share,
            delays.len(),
            d.rate(),
            d.quantile(0.5)
        ),
        verdict(share >= TARGET_SHARE).into(),
    ]
}
