//! Speculative decoding against draft length: per kind of text (a
//! user-path prompt of the `speculative` suite, or tgN) and per target/draft
//! pair, the speed-up over the baseline and the acceptance at each
//! `draft_max`. The baseline is drawn at draft length 0 (speed-up 1).
use super::bars::RefLine;
use super::figures::Inputs;
use super::lines::{LineChart, LinePanel, Series};
use super::style::GREY;
use crate::results::SummaryRow;

/// One line of the chart: a pair and a kind of text.
#[derive(PartialEq)]
struct LineKey {
    candidate: String,
    draft: String,
    draft_min: u32,
    test: String,
}

impl LineKey {
    fn category(&self) -> &str {
        self.test.strip_prefix("e2e:").unwrap_or(&self.test)
    }

    fn pair(&self) -> String {
        let min = match self.draft_min {
            0 => String::new(),
            n => format!(" dmin={n}"),
        };
        format!("{} + {}{min}", self.candidate, self.draft)
    }

    /// The kind of text first: the legend shortens long names from the end.
    fn name(&self) -> String {
        format!("{} · {}", self.category(), self.pair())
    }
}

/// One (draft length, speed-up, acceptance) point of a line.
struct Point {
    draft_max: f64,
    speedup: Option<f64>,
    acceptance: Option<f64>,
}

/// None unless some row ran with a draft (MTP and baselines have no draft length).
pub fn spec_chart(i: &Inputs) -> Option<LineChart> {
    let rows = i.runs.iter().flat_map(|r| &r.summary);
    let lines = collect_lines(rows);
    if lines.is_empty() {
        return None;
    }
    let series = |pick: &dyn Fn(&Point) -> Option<f64>, baseline: Option<f64>| {
        lines
            .iter()
            .map(|(_, points)| line_series(points, pick, baseline))
            .collect()
    };
    // One pair: the panels name it once and each line is a kind of text.
    let mut pairs: Vec<String> = lines.iter().map(|(key, _)| key.pair()).collect();
    pairs.sort();
    pairs.dedup();
    let (names, of_pair): (Vec<String>, String) = match &pairs[..] {
        [pair] => (
            lines
                .iter()
                .map(|(k, _)| k.category().to_string())
                .collect(),
            format!(": {pair}"),
        ),
        _ => (lines.iter().map(|(k, _)| k.name()).collect(), String::new()),
    };
    let speedup = LinePanel {
        title: format!("Speed-up over the baseline{of_pair}"),
        x_axis: "draft length (draft_max; 0 = no draft); prompts: 50-token latency, tgN: tok/s"
            .into(),
        y_axis: "× baseline".into(),
        series: series(&|p| p.speedup, Some(1.0)),
        lines: vec![RefLine {
            value: 1.0,
            name: "1× (no gain)".into(),
            color: GREY,
        }],
    };
    let acceptance = LinePanel {
        title: "Acceptance: accepted of drafted tokens".into(),
        x_axis: "draft length (draft_max)".into(),
        y_axis: "%".into(),
        series: series(&|p| p.acceptance.map(|a| a * 100.0), None),
        lines: Vec::new(),
    };
    Some(LineChart {
        title: "Speculative decoding against draft length, per kind of text".into(),
        names,
        panels: vec![speedup, acceptance],
    })
}

/// The draft rows grouped into lines, in first-seen order.
fn collect_lines<'a>(rows: impl Iterator<Item = &'a SummaryRow>) -> Vec<(LineKey, Vec<Point>)> {
    let mut lines: Vec<(LineKey, Vec<Point>)> = Vec::new();
    for row in rows.filter(|r| r.status.is_ok()) {
        let (Some(spec), config) = (row.spec.as_ref(), &row.first.config.spec) else {
            continue;
        };
        let (Some(draft), Some(draft_max)) = (config.draft_model.clone(), config.draft_max) else {
            continue;
        };
        let key = LineKey {
            candidate: row.first.id.candidate.clone(),
            draft,
            draft_min: config.draft_min.unwrap_or(0),
            test: row.first.test.clone(),
        };
        let point = Point {
            draft_max: f64::from(draft_max),
            speedup: spec.latency_50_speedup.or(spec.tg_speedup),
            acceptance: spec.acceptance_rate,
        };
        match lines.iter_mut().find(|(k, _)| *k == key) {
            Some((_, points)) => points.push(point),
            None => lines.push((key, vec![point])),
        }
    }
    lines
}

/// A line's points in draft-length order, `baseline` at length 0 when given.
fn line_series(
    points: &[Point],
    pick: &dyn Fn(&Point) -> Option<f64>,
    baseline: Option<f64>,
) -> Option<Series> {
    let mut series: Series = points
        .iter()
        .filter_map(|p| pick(p).map(|v| (p.draft_max, v)))
        .collect();
    if series.is_empty() {
        return None;
    }
    if let Some(b) = baseline {
        series.push((0.0, b));
    }
    series.sort_by(|a, b| a.0.total_cmp(&b.0));
    Some(series)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(draft_max: f64, speedup: Option<f64>) -> Point {
        Point {
            draft_max,
            speedup,
            acceptance: Some(0.5),
        }
    }

    #[test]
    fn a_line_starts_at_the_baseline_and_runs_in_draft_length_order() {
        let points = [point(8.0, Some(1.4)), point(4.0, Some(1.2))];
        let s = line_series(&points, &|p| p.speedup, Some(1.0)).unwrap();
        assert_eq!(s, vec![(0.0, 1.0), (4.0, 1.2), (8.0, 1.4)]);
        let acceptance = line_series(&points, &|p| p.acceptance, None).unwrap();
        assert_eq!(acceptance, vec![(4.0, 0.5), (8.0, 0.5)]);
    }

    #[test]
    fn a_line_with_no_figure_is_not_drawn_even_with_its_baseline() {
        let points = [point(4.0, None)];
        assert!(line_series(&points, &|p| p.speedup, Some(1.0)).is_none());
    }

    #[test]
    fn a_line_is_named_by_pair_and_kind_of_text() {
        let key = LineKey {
            candidate: "qwen-1.5b".into(),
            draft: "qwen-0.5b".into(),
            draft_min: 0,
            test: "e2e:spec-code".into(),
        };
        assert_eq!(key.name(), "spec-code · qwen-1.5b + qwen-0.5b");
        let with_min = LineKey {
            draft_min: 2,
            ..key
        };
        assert_eq!(with_min.name(), "spec-code · qwen-1.5b + qwen-0.5b dmin=2");
    }
}
