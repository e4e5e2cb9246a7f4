//! What the power-mode chart shows: for each candidate run under the Jetson
//! power axes, its generation rate and the energy a decoded and a prefilled
//! token cost in each power state (one bar per candidate and state).
use super::super::candidates::{PowerFigures, ReportCandidate};
use super::super::power_table::{joules, power_mode_members, power_state_name};
use super::bars::{Bar, BarChart, BarPanel};
use super::figures::target;
use super::style::tick;
use crate::results::Targets;

/// None when no candidate ran under a power axis: no chart file.
pub fn power_modes_chart(candidates: &[ReportCandidate], targets: &Targets) -> Option<BarChart> {
    let members: Vec<&ReportCandidate> = power_mode_members(candidates)
        .into_iter()
        .map(|i| &candidates[i])
        .collect();
    if members.is_empty() {
        return None;
    }
    let bars = |value: &dyn Fn(&ReportCandidate) -> Option<f64>, unit: &str| -> Vec<Bar> {
        members
            .iter()
            .map(|c| {
                let v = value(c).filter(|v| v.is_finite());
                Bar {
                    label: format!("{} · {}", c.name, power_state_name(c)),
                    value: v,
                    text: v.map_or("n/a".into(), |v| match unit {
                        "J/token" => format!("{} J/token", joules(v)),
                        _ => format!("{v:.1} {unit}"),
                    }),
                    ..Default::default()
                }
            })
            .collect()
    };
    let energy = |get: fn(&PowerFigures) -> Option<f64>| {
        move |c: &ReportCandidate| c.power.as_ref().and_then(get)
    };
    let speed = BarPanel {
        title: "Generation tok/s per power state (tgN)".into(),
        axis: "tg tok/s".into(),
        bars: bars(&|c| c.tg_tps.map(|s| s.mean), "tok/s"),
        lines: targets
            .min_tg_tps
            .map(|t| target(t, format!("target ≥ {} tok/s", tick(&t))))
            .into_iter()
            .collect(),
        ..Default::default()
    };
    let decode = BarPanel {
        title: "Decode energy per token (tgN, module power)".into(),
        axis: "J/token".into(),
        bars: bars(&energy(|p| p.decode_j_per_token), "J/token"),
        ..Default::default()
    };
    let prefill = BarPanel {
        title: "Prefill energy per token (ppN, module power)".into(),
        axis: "J/token".into(),
        bars: bars(&energy(|p| p.prefill_j_per_token), "J/token"),
        ..Default::default()
    };
    Some(BarChart {
        panels: vec![speed, decode, prefill],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Spread;

    #[test]
    fn three_panels_with_a_bar_per_candidate_and_power_state() {
        let c = |mode: &str, tg: f64, decode: Option<f64>| ReportCandidate {
            name: "smol".into(),
            model_file: "/m/smol.gguf".into(),
            tg_tps: Spread::of(&[tg]),
            power: Some(PowerFigures {
                mode: Some(mode.into()),
                clocks_pinned: Some(true),
                decode_j_per_token: decode,
                prefill_j_per_token: decode.map(|d| d / 8.0),
                ..Default::default()
            }),
            ..Default::default()
        };
        let plain = ReportCandidate::default();
        let all = vec![
            c("MAXN", 40.0, Some(0.25)),
            plain.clone(),
            c("15W", 22.0, None),
        ];
        let chart = power_modes_chart(&all, &Targets::voice_assistant()).unwrap();
        let texts = |p: usize| -> Vec<String> {
            chart.panels[p]
                .bars
                .iter()
                .map(|b| b.text.clone())
                .collect()
        };
        assert_eq!(texts(0), vec!["40.0 tok/s", "22.0 tok/s"]);
        assert_eq!(texts(1), vec!["0.250 J/token", "n/a"]);
        assert_eq!(texts(2), vec!["0.031 J/token", "n/a"]);
        assert_eq!(chart.panels[1].bars[1].label, "smol · 15W, clocks pinned");
        assert_eq!(chart.panels[0].lines.len(), 1, "the tok/s target is drawn");
        assert!(power_modes_chart(&[plain], &Targets::voice_assistant()).is_none());
    }
}
