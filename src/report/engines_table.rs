//! One model file, several engines: when the same GGUF (same sha256) ran
//! in-process and behind a server, its candidates side by side with the
//! serving overhead (generation-rate ratio, TTFT difference).
use super::candidates::ReportCandidate;
use crate::export::{Cell, Table};
use crate::results::{SERVED_BACKEND, STARTED_SERVER_BACKEND};

/// The candidates of one model file that ran under more than one engine.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineGroup {
    /// The model file's name.
    pub model: String,
    /// Indices into the candidates, in report order.
    pub members: Vec<usize>,
    /// The first in-process member: what the overhead is measured against.
    pub reference: usize,
}

pub fn is_served(c: &ReportCandidate) -> bool {
    c.backend == SERVED_BACKEND || c.backend == STARTED_SERVER_BACKEND
}

/// How a candidate was run, in words.
pub fn engine_name(c: &ReportCandidate) -> String {
    match c.backend.as_str() {
        STARTED_SERVER_BACKEND => "server (started by edgebench)".into(),
        SERVED_BACKEND => "server (already running)".into(),
        backend => format!("llama.cpp in-process ({backend})"),
    }
}

/// Groups by sha256; only groups with an in-process and a served member.
pub fn engine_groups(candidates: &[ReportCandidate]) -> Vec<EngineGroup> {
    let mut groups: Vec<EngineGroup> = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        if c.model_sha256.is_empty() {
            continue;
        }
        match groups
            .iter_mut()
            .find(|g| candidates[g.members[0]].model_sha256 == c.model_sha256)
        {
            Some(g) => g.members.push(i),
            None => groups.push(EngineGroup {
                model: file_name(&c.model_file),
                members: vec![i],
                reference: i,
            }),
        }
    }
    groups.retain_mut(|g| {
        let in_process = g.members.iter().find(|&&i| !is_served(&candidates[i]));
        let served = g.members.iter().any(|&i| is_served(&candidates[i]));
        match in_process {
            Some(&r) if served => {
                g.reference = r;
                true
            }
            _ => false,
        }
    });
    groups
}

fn file_name(path: &str) -> String {
    path.rsplit(['/', '\\']).next().unwrap_or(path).to_string()
}

const HEADER: [&str; 9] = [
    "model",
    "engine",
    "candidate",
    "tg tok/s (user path)",
    "TTFT ms",
    "50-token latency ms",
    "peak memory MiB",
    "tg vs in-process",
    "TTFT vs in-process",
];

pub fn engines_table(candidates: &[ReportCandidate], groups: &[EngineGroup]) -> Table {
    let mut rows = Vec::new();
    for g in groups {
        let reference = &candidates[g.reference];
        for &i in &g.members {
            let c = &candidates[i];
            let ratio = c.e2e_tg_tps.zip(reference.e2e_tg_tps).map(|(a, b)| a / b);
            let ttft_delta = c.ttft_ms.zip(reference.ttft_ms).map(|(a, b)| a - b);
            let overhead = i != g.reference;
            rows.push(vec![
                Cell::text(g.model.clone()),
                Cell::text(engine_name(c)),
                Cell::text(c.label.clone()),
                Cell::number(c.e2e_tg_tps, |v| format!("{v:.1}")),
                Cell::number(c.ttft_ms, |v| format!("{v:.0}")),
                Cell::number(c.latency_50_ms, |v| format!("{v:.0}")),
                Cell::number(c.peak_memory_mb, |v| format!("{v:.0}")),
                match overhead {
                    true => Cell::number(ratio, |r| format!("{:.0}%", r * 100.0)),
                    false => Cell::text("reference"),
                },
                match overhead {
                    true => Cell::number(ttft_delta, |d| format!("{d:+.0} ms")),
                    false => Cell::text("reference"),
                },
            ]);
        }
    }
    Table {
        id: "engines".into(),
        header: HEADER.to_vec(),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(label: &str, sha: &str, backend: &str, tg: f64, ttft: f64) -> ReportCandidate {
        ReportCandidate {
            label: label.into(),
            model_file: format!("/models/{sha}.gguf"),
            model_sha256: sha.into(),
            backend: backend.into(),
            e2e_tg_tps: Some(tg),
            ttft_ms: Some(ttft),
            ..Default::default()
        }
    }

    #[test]
    fn groups_one_file_run_in_process_and_served_with_the_overhead() {
        let all = vec![
            candidate("smol-served", "aa", STARTED_SERVER_BACKEND, 45.0, 80.0),
            candidate("smol", "aa", "CPU", 50.0, 60.0),
            candidate("gemma", "bb", "CPU", 30.0, 90.0),
            candidate("other-served", "cc", SERVED_BACKEND, 20.0, 99.0),
        ];
        let groups = engine_groups(&all);
        assert_eq!(
            groups,
            vec![EngineGroup {
                model: "aa.gguf".into(),
                members: vec![0, 1],
                reference: 1,
            }]
        );
        let table = engines_table(&all, &groups);
        let texts: Vec<Vec<&str>> = table
            .rows
            .iter()
            .map(|r| r.iter().map(|c| c.text.as_str()).collect())
            .collect();
        assert_eq!(texts[0][1], "server (started by edgebench)");
        assert_eq!(texts[0][7], "90%");
        assert_eq!(texts[0][8], "+20 ms");
        assert_eq!(texts[1][1], "llama.cpp in-process (CPU)");
        assert_eq!(texts[1][7], "reference");
        assert_eq!(texts[1][6], "n/a", "memory not measured");
    }
}
