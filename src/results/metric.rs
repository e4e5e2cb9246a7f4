//! The per-repetition figures of speed.* that summary.* spreads and `compare`
//! compares, in summary.* column order.
use super::{SpeedRow, TestKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    PpTps,
    TgTps,
    PgTps,
    TtftMs,
    Latency50Ms,
    ItlP50Ms,
    ItlP95Ms,
}

impl Metric {
    pub const ALL: [Metric; 7] = [
        Metric::PpTps,
        Metric::TgTps,
        Metric::PgTps,
        Metric::TtftMs,
        Metric::Latency50Ms,
        Metric::ItlP50Ms,
        Metric::ItlP95Ms,
    ];

    /// The column name in speed.* (and the prefix of its summary.* columns).
    pub fn name(self) -> &'static str {
        match self {
            Metric::PpTps => "pp_tps",
            Metric::TgTps => "tg_tps",
            Metric::PgTps => "pg_tps",
            Metric::TtftMs => "ttft_ms",
            Metric::Latency50Ms => "latency_50_ms",
            Metric::ItlP50Ms => "itl_p50_ms",
            Metric::ItlP95Ms => "itl_p95_ms",
        }
    }

    /// Rates: higher is better; latencies: lower is.
    pub fn higher_is_better(self) -> bool {
        matches!(self, Metric::PpTps | Metric::TgTps | Metric::PgTps)
    }

    /// The figure in a speed row (None: not measured by that test).
    pub fn of(self, row: &SpeedRow) -> Option<f64> {
        match self {
            Metric::PpTps => row.pp_tps,
            Metric::TgTps => row.tg_tps,
            Metric::PgTps => row.pg_tps,
            Metric::TtftMs => row.ttft_ms,
            Metric::Latency50Ms => row.latency_50_ms,
            Metric::ItlP50Ms => row.itl_p50_ms,
            Metric::ItlP95Ms => row.itl_p95_ms,
        }
    }

    /// The figure a test is judged by: what `--reps auto` watches, the
    /// precision and first-repetition columns describe, and the progress
    /// line shows. None for tests without one (quality, stability).
    pub fn headline(kind: TestKind) -> Option<Metric> {
        match kind {
            TestKind::Prompt(_) => Some(Metric::PpTps),
            TestKind::Generation(_) => Some(Metric::TgTps),
            TestKind::PromptThenGeneration(..) => Some(Metric::PgTps),
            TestKind::EndToEnd => Some(Metric::Latency50Ms),
            _ => None,
        }
    }

    pub fn parse(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_read_their_own_field() {
        let row = SpeedRow {
            pp_tps: Some(1.0),
            tg_tps: Some(2.0),
            pg_tps: Some(3.0),
            ttft_ms: Some(4.0),
            latency_50_ms: Some(5.0),
            itl_p50_ms: Some(6.0),
            itl_p95_ms: Some(7.0),
            ..Default::default()
        };
        for (i, metric) in Metric::ALL.into_iter().enumerate() {
            assert_eq!(Metric::parse(metric.name()), Some(metric));
            assert_eq!(metric.of(&row), Some(i as f64 + 1.0), "{metric}");
        }
        assert_eq!(Metric::parse("tps"), None);
    }
}
