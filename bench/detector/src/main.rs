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
mod targets;
mod throughput;

use anyhow::{bail, Context, Result};
use report::{table, verdict};
use std::path::PathBuf;
use std::time::Instant;
use targets::{Injected, Seeds, TARGET_SHARE};

const USAGE: &str =
    "usage: flatline-bench-detector --data DIR [--seed N] [--seeds K] [--quiet-seeds K] \
                     [--trials N] [--weeks N] [--sections labelled,injected,quiet,throughput]";
const SECTIONS: [&str; 4] = ["labelled", "injected", "quiet", "throughput"];

struct Args {
    data: PathBuf,
    seed: u64,
    /// How many seeds, from `seed` on, the targets are judged over.
    seeds: u64,
    /// The same for false alarms and campaigns, which are cheap to run and rare: the
    /// campaigns' few alerts against the placebo's are chance over ten seeds.
    quiet_seeds: u64,
    trials: usize,
    weeks: i64,
    sections: Vec<String>,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        data: PathBuf::new(),
        seed: 1,
        seeds: 10,
        quiet_seeds: 100,
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
            "--seeds" => args.seeds = value()?.parse().context("--seeds")?,
            "--quiet-seeds" => args.quiet_seeds = value()?.parse().context("--quiet-seeds")?,
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
    if args.seeds == 0 || args.quiet_seeds == 0 {
        bail!("--seeds and --quiet-seeds need at least 1\n{USAGE}");
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
    let seeds = Seeds {
        first: args.seed,
        count: args.seeds,
    };
    let quiet_seeds = Seeds {
        first: args.seed,
        count: args.quiet_seeds,
    };
    let mut targets = Vec::new();
    println!(
        "Delay = detected_at − injected (or labelled) onset, in buckets; detected_at is the end \
         of the bucket whose data raised the alert, so 1 bucket is the earliest possible. \
         Tables: seed {}, {} runs per source, outage kind and duration. Targets: the runs of \
         {} together; false alarms and campaigns over {}.\n",
        args.seed,
        args.trials,
        seeds.label(),
        quiet_seeds.label()
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
        let mut runs = Vec::new();
        for seed in seeds.all() {
            let (md, real, shops) = injected::run(&args.data, seed, args.trials)?;
            if seed == args.seed {
                println!("### 2. Injected outages\n\n{md}");
            }
            runs.push(Injected { real, shops });
        }
        eprintln!("injected: {:.0} s", t.elapsed().as_secs_f64());
        targets.push(targets::full_outage(&runs, seeds));
        targets.push(targets::half_drop(&runs, seeds));
    }
    if wanted("quiet") {
        let t = Instant::now();
        let quiet: Vec<_> = quiet_seeds
            .all()
            .map(|s| quiet::run(s, args.weeks))
            .collect();
        println!(
            "### 3. False alarms and campaigns\n\n{}{}",
            quiet[0].markdown,
            quiet::over_seeds(&quiet)
        );
        eprintln!("quiet: {:.0} s", t.elapsed().as_secs_f64());
        targets.push(targets::false_alarms(
            &quiet,
            real_quiet.as_ref(),
            quiet_seeds,
        ));
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
        targets.push(vec![
            "replay reads a year of minute buckets for ten event types in seconds".into(),
            format!("{:.1} s", th.replay.as_secs_f64()),
            verdict(th.replay.as_secs() < 10).into(),
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
