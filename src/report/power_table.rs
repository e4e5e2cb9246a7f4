//! Power modes side by side: when candidates ran under Jetson power modes
//! (`power_mode`, `jetson_clocks`), each candidate's speed and energy per token
//! for prefill and decode in each mode, so the cheapest mode that still meets
//! the targets can be read off.
use super::candidates::ReportCandidate;
use crate::export::{Cell, Table};

/// Indices of the candidates that ran under a power axis, grouped by model
/// file (in report order), then in the order their modes ran.
pub fn power_mode_members(candidates: &[ReportCandidate]) -> Vec<usize> {
    let mut models: Vec<&str> = Vec::new();
    for c in candidates.iter().filter(|c| c.power.is_some()) {
        if !models.contains(&c.model_file.as_str()) {
            models.push(&c.model_file);
        }
    }
    models
        .iter()
        .flat_map(|m| {
            candidates
                .iter()
                .enumerate()
                .filter(move |(_, c)| c.power.is_some() && c.model_file == *m)
                .map(|(i, _)| i)
        })
        .collect()
}

/// "MAXN, clocks pinned": a power state in words.
pub fn power_state_name(c: &ReportCandidate) -> String {
    let Some(power) = &c.power else {
        return "n/a".into();
    };
    let mode = power.mode.as_deref().unwrap_or("mode unchanged");
    match power.clocks_pinned {
        Some(true) => format!("{mode}, clocks pinned"),
        Some(false) => format!("{mode}, DVFS"),
        None => mode.to_string(),
    }
}

const HEADER: [&str; 8] = [
    "candidate",
    "power state",
    "GPU max MHz",
    "pp tok/s",
    "tg tok/s",
    "prefill J/token",
    "decode J/token",
    "50-token latency ms",
];

/// None when no candidate ran under a power axis.
pub fn power_modes_table(candidates: &[ReportCandidate]) -> Option<Table> {
    let members = power_mode_members(candidates);
    let rows: Vec<Vec<Cell>> = members
        .iter()
        .map(|&i| {
            let c = &candidates[i];
            let power = c.power.as_ref();
            vec![
                Cell::text(c.name.clone()),
                Cell::text(power_state_name(c)),
                Cell::number(power.and_then(|p| p.gpu_max_freq_mhz), |v| {
                    format!("{v:.0}")
                }),
                Cell::number(c.pp_tps.map(|s| s.mean), |v| format!("{v:.1}")),
                Cell::number(c.tg_tps.map(|s| s.mean), |v| format!("{v:.1}")),
                Cell::number(power.and_then(|p| p.prefill_j_per_token), joules),
                Cell::number(power.and_then(|p| p.decode_j_per_token), joules),
                Cell::number(c.latency_50_ms, |v| format!("{v:.0}")),
            ]
        })
        .collect();
    (!rows.is_empty()).then(|| Table {
        id: "power-modes".into(),
        header: HEADER.to_vec(),
        rows,
    })
}

/// Joules with three significant digits: decode costs ~0.1-1 J/token, prefill
/// a tenth of that.
pub fn joules(v: f64) -> String {
    format!("{v:.3}")
}

#[cfg(test)]
mod tests {
    use super::super::candidates::PowerFigures;
    use super::*;

    fn candidate(
        model: &str,
        mode: Option<&str>,
        pinned: Option<bool>,
        decode: f64,
    ) -> ReportCandidate {
        ReportCandidate {
            name: model.into(),
            model_file: format!("/m/{model}.gguf"),
            power: mode.map(|m| PowerFigures {
                mode: Some(m.into()),
                clocks_pinned: pinned,
                gpu_max_freq_mhz: Some(918.0),
                prefill_j_per_token: Some(decode / 10.0),
                decode_j_per_token: Some(decode),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn one_line_per_candidate_and_mode_grouped_by_model() {
        let all = vec![
            candidate("smol", Some("MAXN"), Some(true), 0.2),
            candidate("gemma", Some("MAXN"), Some(true), 0.5),
            candidate("smol", Some("15W"), Some(false), 0.1),
            candidate("plain", None, None, 9.0),
        ];
        assert_eq!(power_mode_members(&all), vec![0, 2, 1]);
        let table = power_modes_table(&all).unwrap();
        let texts: Vec<Vec<&str>> = table
            .rows
            .iter()
            .map(|r| r.iter().map(|c| c.text.as_str()).collect())
            .collect();
        assert_eq!(texts[0][..2], ["smol", "MAXN, clocks pinned"]);
        assert_eq!(texts[1][..2], ["smol", "15W, DVFS"]);
        assert_eq!(texts[1][5..7], ["0.010", "0.100"]);
        assert_eq!(texts[2][0], "gemma");
        assert!(power_modes_table(&all[3..]).is_none());
    }
}
