//! The comparison table printed at the end of a run, and summary.md's speed table.
use crate::export::Table;
use crate::results::{test_depth, Metric, Status, SummaryRow, TestKind};
use crate::stats::Spread;

/// One line per candidate x configuration: the numbers people choose models by.
pub fn comparison_table(summary: &[SummaryRow]) -> Table {
    let header = [
        "candidate",
        "arch",
        "quant",
        "size MiB",
        "params M",
        "config",
        "pp t/s",
        "tg t/s",
        "TTFT ms",
        "50-tok ms",
        "peak RSS MiB",
        "load ms",
        "status",
    ];
    let mut units: Vec<&str> = Vec::new();
    for row in summary {
        if !units.contains(&row.first.id.unit_id.as_str()) {
            units.push(&row.first.id.unit_id);
        }
    }
    let mut lines: Vec<Vec<String>> = Vec::new();
    for unit in units {
        let rows: Vec<&SummaryRow> = summary
            .iter()
            .filter(|r| r.first.id.unit_id == unit)
            .collect();
        let first = &rows[0].first;
        let engine = |metric: Metric| engine_spread(&rows, metric);
        let user_path = |metric: Metric| user_path_median(&rows, metric);
        // Tests the engine cannot do (a server's ppN/tgN) show as `-`, not as its status.
        let failure = rows
            .iter()
            .find(|r| !r.status.is_ok() && r.status != Status::Unsupported);
        lines.push(vec![
            first.id.candidate.clone(),
            first.arch.clone(),
            first.id.quant.clone(),
            format!("{:.0}", first.size_bytes as f64 / 1048576.0),
            format!("{:.0}", first.params as f64 / 1e6),
            first.config.label(),
            rate(engine(Metric::PpTps)),
            rate(engine(Metric::TgTps)),
            opt(user_path(Metric::TtftMs)),
            opt(user_path(Metric::Latency50Ms)),
            opt(rows
                .iter()
                .filter_map(|r| r.resources.peak_rss_mb)
                .reduce(f64::max)),
            opt(first.load_ms),
            failure.map_or(Status::Ok, |r| r.status).to_string(),
        ]);
    }
    Table::of_text("comparison", &header, lines)
}

/// The spread of `metric` in the first random-token test (ppN, tgN) that measures it.
pub fn engine_spread(rows: &[&SummaryRow], metric: Metric) -> Option<Spread> {
    rows.iter()
        .filter(|r| r.first.kind().is_some_and(TestKind::is_engine_bench))
        // The headline is from the empty cache; rows at a depth have their own chart.
        .filter(|r| r.first.n_depth == 0)
        .find_map(|r| r.spread(metric))
}

/// The median over the user-path prompts of each prompt's median of `metric`.
pub fn user_path_median(rows: &[&SummaryRow], metric: Metric) -> Option<f64> {
    let medians: Vec<f64> = rows
        .iter()
        .filter(|r| r.first.kind() == Some(TestKind::EndToEnd) && test_depth(&r.first.test) == 0)
        .filter_map(|r| r.spread(metric).map(|s| s.median))
        .collect();
    Spread::of(&medians).map(|s| s.median)
}

/// summary.md: every summary row, mean ± stddev of every metric.
pub fn speed_summary_table(summary: &[SummaryRow]) -> Table {
    let header = [
        "candidate",
        "config",
        "test",
        "n",
        "pp t/s",
        "tg t/s",
        "TTFT ms",
        "50-tok ms",
        "ITL p50 ms",
        "ITL p95 ms",
        "status",
    ];
    let lines: Vec<Vec<String>> = summary
        .iter()
        .map(|r| {
            vec![
                r.first.id.candidate.clone(),
                r.first.config.label(),
                r.first.test.clone(),
                r.n.to_string(),
                rate(r.spread(Metric::PpTps)),
                rate(r.spread(Metric::TgTps)),
                rate(r.spread(Metric::TtftMs)),
                rate(r.spread(Metric::Latency50Ms)),
                rate(r.spread(Metric::ItlP50Ms)),
                rate(r.spread(Metric::ItlP95Ms)),
                match &r.error {
                    Some(e) => format!("{}: {e}", r.status),
                    None => r.status.to_string(),
                },
            ]
        })
        .collect();
    Table::of_text("summary", &header, lines)
}

fn rate(s: Option<Spread>) -> String {
    match s {
        Some(s) if s.n > 1 => format!("{:.1} ± {:.1}", s.mean, s.stddev),
        Some(s) => format!("{:.1}", s.mean),
        None => "-".into(),
    }
}

fn opt(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.0}"))
}
