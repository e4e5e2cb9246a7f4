//! What the serving charts show: the concurrency levels of each served
//! candidate (throughput against latency) and one model file's generation
//! rate under each engine.
use super::super::candidates::ReportCandidate;
use super::super::engines_table::{engine_groups, engine_name};
use super::super::levels_table::CandidateLevels;
use super::bars::{Bar, BarChart, BarPanel};
use super::throughput_latency::{CandidateLine, LevelPoint, ThroughputLatency};
use crate::results::Targets;

/// None when no level has both a TTFT and an aggregate rate: no chart file.
pub fn throughput_latency_chart(
    levels: &[CandidateLevels],
    targets: &Targets,
) -> Option<ThroughputLatency> {
    let lines: Vec<CandidateLine> = levels
        .iter()
        .map(|c| CandidateLine {
            label: c.label.clone(),
            points: c
                .levels
                .iter()
                .filter_map(|l| {
                    Some(LevelPoint {
                        streams: l.streams,
                        ttft_p50_ms: l.ttft_p50_ms.filter(|v| v.is_finite())?,
                        tg_tps: l.tg_tps.filter(|v| v.is_finite())?,
                    })
                })
                .collect(),
        })
        .filter(|line| !line.points.is_empty())
        .collect();
    (!lines.is_empty()).then_some(ThroughputLatency {
        lines,
        max_ttft_ms: targets.max_ttft_ms,
    })
}

/// One panel per model file run under several engines, one bar per engine:
/// the user-path generation rate, the one rate both have. None: no such file.
pub fn engines_chart(candidates: &[ReportCandidate]) -> Option<BarChart> {
    let groups = engine_groups(candidates);
    let panels: Vec<BarPanel> = groups
        .iter()
        .map(|g| BarPanel {
            title: format!("{}: generation tok/s per engine (user path)", g.model),
            axis: "tg tok/s".into(),
            bars: g
                .members
                .iter()
                .map(|&i| {
                    let c = &candidates[i];
                    Bar {
                        label: engine_name(c),
                        value: c.e2e_tg_tps,
                        text: c
                            .e2e_tg_tps
                            .map_or("n/a".into(), |v| format!("{v:.1} tok/s")),
                        ..Default::default()
                    }
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    (!panels.is_empty()).then_some(BarChart { panels })
}

#[cfg(test)]
mod tests {
    use super::super::super::levels::LevelRow;
    use super::*;
    use crate::results::{SERVED_BACKEND, STARTED_SERVER_BACKEND};

    fn level(streams: u32, ttft: Option<f64>, tg: f64) -> LevelRow {
        LevelRow {
            streams,
            ttft_p50_ms: ttft,
            tg_tps: Some(tg),
            ..Default::default()
        }
    }

    #[test]
    fn a_line_per_candidate_through_its_measured_levels_or_no_chart() {
        let levels = vec![
            CandidateLevels {
                label: "served".into(),
                levels: vec![
                    level(1, Some(90.0), 40.0),
                    level(4, None, 0.0),
                    level(8, Some(400.0), 150.0),
                ],
            },
            CandidateLevels {
                label: "all-failed".into(),
                levels: vec![level(2, None, 0.0)],
            },
        ];
        let chart = throughput_latency_chart(&levels, &Targets::voice_assistant()).unwrap();
        assert_eq!(
            chart.lines.len(),
            1,
            "a candidate without a point has no line"
        );
        let streams: Vec<u32> = chart.lines[0].points.iter().map(|p| p.streams).collect();
        assert_eq!(streams, vec![1, 8]);
        assert_eq!(chart.max_ttft_ms, Some(500.0));
        assert!(throughput_latency_chart(&levels[1..], &Targets::voice_assistant()).is_none());
    }

    #[test]
    fn one_panel_per_model_run_under_several_engines() {
        let c = |sha: &str, backend: &str, tg: f64| ReportCandidate {
            model_file: format!("/m/{sha}.gguf"),
            model_sha256: sha.into(),
            backend: backend.into(),
            e2e_tg_tps: Some(tg),
            ..Default::default()
        };
        let all = vec![
            c("aa", "CPU", 50.0),
            c("aa", STARTED_SERVER_BACKEND, 45.0),
            c("bb", SERVED_BACKEND, 9.0),
        ];
        let chart = engines_chart(&all).unwrap();
        assert_eq!(chart.panels.len(), 1);
        let texts: Vec<&str> = chart.panels[0]
            .bars
            .iter()
            .map(|b| b.text.as_str())
            .collect();
        assert_eq!(texts, vec!["50.0 tok/s", "45.0 tok/s"]);
        assert!(engines_chart(&all[1..]).is_none());
    }
}
