//! Stability figures as a table (terminal and summary.md).
use crate::export::Table;
use crate::scoring::StabilitySummary;

const HEADER: [&str; 9] = [
    "candidate",
    "differs",
    "tg CV",
    "loop/max/empty",
    "soak first→last t/s",
    "multi-turn",
    "max ctx ok",
    "ppl",
    "KLD mean/p99, top-1, flips",
];

fn pct(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{:.0}%", v * 100.0))
}

fn num(v: Option<f64>, digits: usize) -> String {
    v.map_or("-".into(), |v| format!("{v:.digits$}"))
}

fn line(s: &StabilitySummary) -> Vec<String> {
    let soak = match (s.soak_first_min_tps, s.soak_last_min_tps) {
        (Some(a), Some(b)) => {
            let flag = if s.thermal_throttle_suspected == Some(true) {
                " THROTTLED?"
            } else {
                ""
            };
            let temps = match (s.soak_temp_first_c, s.soak_temp_last_c) {
                (Some(t0), Some(t1)) => format!(" ({t0:.0}→{t1:.0} °C)"),
                _ => String::new(),
            };
            // Not steady: the slices' verdict and what changed with the rate.
            let state = match (&s.soak_state, &s.soak_drift_cause) {
                (Some(state), Some(cause)) if state != "steady" => format!(" {state} ({cause})"),
                _ => String::new(),
            };
            format!(
                "{a:.1}→{b:.1} ({}){temps}{flag}{state}",
                pct(s.soak_drop.map(|d| -d))
            )
        }
        _ => "-".into(),
    };
    let turns = match (s.multi_turn_turns, &s.multi_turn_error) {
        (Some(n), None) => {
            let lost = s
                .recall_lost_at_turn
                .map_or(String::new(), |t| format!(", forgot at turn {t}"));
            format!(
                "{n} turns to {} tok{lost}",
                s.multi_turn_ctx_reached.unwrap_or(0)
            )
        }
        (_, Some(e)) => format!("failed: {e}"),
        _ => "-".into(),
    };
    let ceiling = match (s.max_ctx_ok, s.first_ctx_failed) {
        (Some(ok), Some(bad)) => format!("{ok} ({bad} failed)"),
        (None, Some(bad)) => format!("none ({bad} failed)"),
        (Some(ok), None) => ok.to_string(),
        _ => "-".into(),
    };
    let fidelity = match &s.reference {
        Some(r) => format!(
            "{}/{} vs {r}, {}, {}",
            num(s.kld_mean, 4),
            num(s.kld_p99, 3),
            pct(s.top1_agree),
            pct(s.answer_flip_share)
        ),
        None => "-".into(),
    };
    vec![
        s.candidate.clone(),
        pct(s.determinism_differs),
        pct(s.tg_cv),
        format!(
            "{}/{}/{}",
            pct(s.repetitive_share),
            pct(s.hit_max_share),
            pct(s.empty_share)
        ),
        soak,
        turns,
        ceiling,
        num(s.ppl, 2),
        fidelity,
    ]
}

pub fn stability_table(rows: &[StabilitySummary]) -> Table {
    Table::of_text("stability", &HEADER, rows.iter().map(line).collect())
}
