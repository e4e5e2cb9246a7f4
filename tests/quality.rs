//! Quality and stability suites end to end on the real default models: answers,
//! verdicts, scores, constrained decoding, rescoring, and suite-file errors.
mod common;
use std::path::{Path, PathBuf};

use common::*;

/// The shipped suite `name` cut to its first `per_category` cases of each category
/// (the full suites run from the CLI; tests keep to a few minutes).
fn subset_suite(
    name: &str,
    per_category: usize,
    dir: &Path,
    edit: impl Fn(&mut toml::Table),
) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("suites/{name}.toml"));
    let mut table: toml::Table = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    if let Some(cases) = table.get_mut("case").and_then(|c| c.as_array_mut()) {
        let mut seen: std::collections::HashMap<String, usize> = Default::default();
        cases.retain(|case| {
            let category = case["category"].as_str().unwrap().to_string();
            let n = seen.entry(category).or_default();
            *n += 1;
            *n <= per_category
        });
    }
    edit(&mut table);
    let out = dir.join(format!("{name}.toml"));
    std::fs::write(&out, toml::to_string(&table).unwrap()).unwrap();
    out
}

fn case_count(path: &Path) -> usize {
    let table: toml::Table = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    table["case"].as_array().unwrap().len()
}

fn bools(df: &polars::prelude::DataFrame, column: &str) -> Vec<Option<bool>> {
    strings(df, column)
        .into_iter()
        .map(|v| v.map(|s| s == "true"))
        .collect()
}

#[test]
fn shipped_quality_suites_run_on_the_default_models() {
    let _serial = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let suites: Vec<PathBuf> = [
        "quality-basic",
        "tool-calling",
        "instruction-following",
        "multiple-choice",
    ]
    .iter()
    .map(|name| subset_suite(name, 1, tmp.path(), |_| {}))
    .collect();
    let mut extra: Vec<&str> = vec!["--pp", "16", "--tg", "4"];
    for s in &suites {
        extra.extend(["--suite", s.to_str().unwrap()]);
    }
    let (gemma, smol) = (gemma(), smollm());
    let o = quick_run(&[&smol, &gemma], tmp.path(), &extra);
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let dir = run_dir(&o);
    assert!(dir.join("quality.csv").is_file());
    let q = read_parquet(&dir.join("quality.parquet"));

    // One row per candidate x case x decoding (reps = 1); tool cases also run constrained.
    let decodings = strings(&q, "decoding");
    let constrained = decodings
        .iter()
        .filter(|d| d.as_deref() == Some("constrained"))
        .count();
    let cases: usize = suites.iter().map(|s| case_count(s)).sum();
    assert_eq!(
        q.height(),
        2 * (cases + constrained / 2),
        "rows: {}",
        q.height()
    );
    assert!(
        constrained > 0,
        "tool-calling cases must also run constrained"
    );

    // Every answered row carries its verdicts, consistent with pass.
    let (pass, n_checks, passed) = (
        bools(&q, "pass"),
        floats(&q, "n_checks"),
        floats(&q, "n_checks_passed"),
    );
    let verdicts = strings(&q, "verdicts");
    let status = strings(&q, "status");
    for i in 0..q.height() {
        assert_eq!(
            status[i].as_deref(),
            Some("ok"),
            "row {i}: {:?}",
            strings(&q, "error")[i]
        );
        let v: Vec<serde_json::Value> =
            serde_json::from_str(verdicts[i].as_deref().unwrap()).unwrap();
        assert_eq!(v.len() as f64, n_checks[i].unwrap());
        assert_eq!(pass[i], Some(passed[i] == n_checks[i]));
        assert!(v
            .iter()
            .all(|x| !x["reason"].as_str().unwrap_or("").is_empty()));
    }

    // Constrained decoding yields calls that parse whenever the model ended the answer.
    let (parsed, ended, suite) = (
        bools(&q, "tool_parsed"),
        bools(&q, "ended"),
        strings(&q, "suite"),
    );
    let expected = bools(&q, "tool_expected");
    for i in 0..q.height() {
        if decodings[i].as_deref() == Some("constrained")
            && ended[i] == Some(true)
            && expected[i] == Some(true)
        {
            assert_eq!(
                parsed[i],
                Some(true),
                "row {i}: {:?}",
                strings(&q, "output_text")[i]
            );
        }
    }

    // In-process answers decode only what the previous answer did not leave in
    // the cache: tool cases share the suite's system prompt and tool schemas.
    let (n_prompt, reused) = (floats(&q, "n_prompt"), floats(&q, "n_prompt_reused"));
    for i in 0..q.height() {
        assert!(reused[i].unwrap_or(0.0) < n_prompt[i].unwrap(), "row {i}");
    }
    // Why each in-process answer ended: its end token, or max_tokens.
    let (finish, n_gen, max_tokens, status) = (
        strings(&q, "finish_reason"),
        floats(&q, "n_gen"),
        floats(&q, "max_tokens"),
        strings(&q, "status"),
    );
    let generated = |i: &usize| suite[*i].as_deref() != Some("multiple-choice");
    for i in (0..q.height()).filter(generated) {
        if status[i].as_deref() != Some("ok") {
            assert_eq!(finish[i].as_deref(), Some("error"), "row {i}");
            continue;
        }
        let want = match ended[i] {
            Some(true) => "stop",
            _ => "length",
        };
        assert_eq!(finish[i].as_deref(), Some(want), "row {i}");
        if want == "length" {
            assert_eq!(n_gen[i], max_tokens[i], "row {i}");
        }
    }
    let tool_rows: Vec<usize> = (0..q.height())
        .filter(|&i| suite[i].as_deref() == Some("tool-calling"))
        .collect();
    assert!(
        tool_rows.iter().any(|&i| reused[i].unwrap() > 100.0),
        "tool schemas reused: {:?}",
        tool_rows.iter().map(|&i| reused[i]).collect::<Vec<_>>()
    );

    // Multiple choice: every option scored, no text generated, acc flavours present.
    let scores = strings(&q, "choice_scores");
    for i in (0..q.height()).filter(|&i| suite[i].as_deref() == Some("multiple-choice")) {
        let s: Vec<serde_json::Value> =
            serde_json::from_str(scores[i].as_deref().unwrap()).unwrap();
        assert!(s.len() >= 3);
        assert!(s
            .iter()
            .all(|o| o["logprob"].as_f64().unwrap() < 0.0 && o["n_tokens"].as_u64().unwrap() >= 1));
        assert!(bools(&q, "acc_norm")[i].is_some() && bools(&q, "acc_tok")[i].is_some());
    }

    // summary.*: a pass rate with its Wilson interval per candidate x suite.
    let summary = read_parquet(&dir.join("summary.parquet"));
    let tests = strings(&summary, "test");
    let (rate, lo, hi) = (
        floats(&summary, "pass_rate"),
        floats(&summary, "pass_rate_lo"),
        floats(&summary, "pass_rate_hi"),
    );
    let overall: Vec<usize> = (0..summary.height())
        .filter(|&i| tests[i].as_deref() == Some("quality:quality-basic"))
        .collect();
    assert_eq!(overall.len(), 2, "one per candidate");
    for i in overall {
        let (r, l, h) = (rate[i].unwrap(), lo[i].unwrap(), hi[i].unwrap());
        assert!((0.0..=1.0).contains(&r) && l <= r && r <= h, "{l} {r} {h}");
        assert!(h - l > 0.1, "4 cases leave a wide interval: {l}..{h}");
    }
    assert!(tests
        .iter()
        .any(|t| t.as_deref() == Some("quality:tool-calling+grammar")));
    assert!(tests.iter().any(|t| t
        .as_deref()
        .is_some_and(|t| t.starts_with("quality:tool-calling/"))));
    let per_min = floats(&summary, "answers_per_min");
    assert!(tests.iter().zip(&per_min).all(|(t, r)| {
        t.as_deref().is_none_or(|t| !t.starts_with("quality:")) || r.is_some_and(|r| r > 0.0)
    }));
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(md.contains("pass rate [95% CI]") && md.contains("quality:multiple-choice"));
    assert!(md.contains("answers/min"));
}

#[test]
fn stability_suite_measures_soak_turns_ladder_and_fidelity() {
    let _serial = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let suite = subset_suite("stability", 1, tmp.path(), |t| {
        t["soak"]["window_s"] = toml::Value::Integer(2);
        t["multi_turn"]["max_turns"] = toml::Value::Integer(3);
        t["memory_ceiling"]["contexts"] =
            toml::Value::try_from(vec![512, 1024, 4_000_000]).unwrap();
        t["fidelity"]["chunk_tokens"] = toml::Value::Integer(64);
        t["fidelity"]["max_chunks"] = toml::Value::Integer(2);
    });
    let gemma = gemma();
    // The same file twice: the second is compared with the first as its "reference".
    let o = quick_run(
        &[&gemma, &gemma],
        tmp.path(),
        &[
            "--suite",
            suite.to_str().unwrap(),
            "--soak",
            "6s",
            "--reference",
            "gemma-3-270m-Q4_K_M",
            "--reps",
            "2",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let dir = run_dir(&o);
    let steps = read_parquet(&dir.join("stability.parquet"));
    let test = strings(&steps, "test");
    let count = |name: &str| test.iter().filter(|t| t.as_deref() == Some(name)).count();
    assert!(
        count("soak") >= 2 * 2,
        "two candidates x >= 2 windows of 2 s in 6 s"
    );
    assert_eq!(
        count("memory_ceiling"),
        2 * 3,
        "512 and 1024 pass, 4M fails and ends the ladder"
    );
    assert_eq!(count("fidelity"), 2 * 2);
    assert!(count("multi_turn") >= 2 * 2);

    let s = read_parquet(&dir.join("stability_summary.parquet"));
    assert_eq!(s.height(), 2);
    assert_eq!(floats(&s, "max_ctx_ok"), vec![Some(1024.0); 2]);
    assert_eq!(floats(&s, "first_ctx_failed"), vec![Some(4_000_000.0); 2]);
    let ceiling_errors = strings(&s, "ceiling_error");
    assert!(
        ceiling_errors[0].as_deref().unwrap().contains("memory"),
        "{ceiling_errors:?}"
    );
    let ppl = floats(&s, "ppl");
    assert!(
        ppl.iter().all(|p| p.is_some_and(|p| p > 1.0 && p < 1000.0)),
        "{ppl:?}"
    );
    assert_eq!(ppl[0], ppl[1], "same weights, same text, same perplexity");
    // Candidate 2 against the same weights: no divergence, the same top token, no flips.
    let (kld, top1, flips) = (
        floats(&s, "kld_mean"),
        floats(&s, "top1_agree"),
        floats(&s, "answer_flip_share"),
    );
    assert_eq!(kld[0], None, "the reference itself has no reference");
    assert!(kld[1].unwrap() < 1e-6, "{kld:?}");
    assert_eq!(top1[1], Some(1.0));
    assert_eq!(flips[1], Some(0.0));
    // reps = 2 with a fixed seed: determinism is measured, and soak figures exist.
    assert!(floats(&s, "determinism_differs")[0].is_some());
    assert!(floats(&s, "soak_first_min_tps")[0].unwrap() > 1.0);
    assert!(floats(&s, "tg_cv")[0].is_some());
    // A run of stability suites only has no speed row: the report still lists
    // its candidates (their identity from the manifest), not an empty comparison.
    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(
        report.contains("## Comparison") && report.contains("| gemma-3-270m-Q4_K_M"),
        "{report}"
    );
}

const TINY_SUITE: &str = r#"
name = "tiny"
kind = "quality"
max_tokens = 16

[[case]]
id = "add"
category = "math"
prompt = "What is 2 + 2? Answer with the number only."
checks = [{ type = "min_words", value = 1 }]

[[case]]
id = "capital"
category = "knowledge"
prompt = "What is the capital of France? Answer in one word."
checks = [{ type = "min_words", value = 1 }]
"#;

#[test]
fn rescore_reapplies_changed_checks_without_a_model() {
    let _serial = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let suite = tmp.path().join("tiny.toml");
    std::fs::write(&suite, TINY_SUITE).unwrap();
    let smol = smollm();
    let o = quick_run(
        &[&smol],
        tmp.path(),
        &[
            "--suite",
            suite.to_str().unwrap(),
            "--pp",
            "16",
            "--tg",
            "4",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let dir = run_dir(&o);
    let before = read_parquet(&dir.join("quality.parquet"));
    let outputs = strings(&before, "output_text");
    assert!(
        outputs
            .iter()
            .all(|t| !t.as_deref().unwrap().trim().is_empty()),
        "{outputs:?}"
    );
    assert_eq!(bools(&before, "pass"), vec![Some(true); 2]);

    // A check nobody's answer can pass: rescoring must fail both, naming the reason.
    std::fs::write(
        &suite,
        TINY_SUITE.replace(
            r#"{ type = "min_words", value = 1 }"#,
            r#"{ type = "contains", value = "zzzz-never" }"#,
        ),
    )
    .unwrap();
    let o = edgebench()
        .args([
            "rescore",
            dir.to_str().unwrap(),
            "--suite",
            suite.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    assert!(
        stdout(&o).contains("rescored 2 answers (2 changed verdict)"),
        "{}",
        stdout(&o)
    );
    let after = read_parquet(&dir.join("quality.parquet"));
    assert_eq!(
        strings(&after, "output_text"),
        outputs,
        "answers are kept, only verdicts change"
    );
    assert_eq!(bools(&after, "pass"), vec![Some(false); 2]);
    assert!(strings(&after, "failed_reasons")
        .iter()
        .all(|r| r.as_deref().unwrap().contains("zzzz-never")));
    let csv = std::fs::read_to_string(dir.join("quality.csv")).unwrap();
    assert!(csv.contains("zzzz-never"));
    let summary = read_parquet(&dir.join("summary.parquet"));
    let rates: Vec<Option<f64>> = floats(&summary, "pass_rate")
        .into_iter()
        .flatten()
        .map(Some)
        .collect();
    assert!(
        !rates.is_empty() && rates.iter().all(|r| *r == Some(0.0)),
        "{rates:?}"
    );
}

#[test]
fn rescore_of_a_run_without_answers_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let o = edgebench()
        .args(["rescore", tmp.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_clean_error(&o, 2, &["not a run directory"]);
}

#[test]
fn a_bad_suite_file_stops_the_run_before_any_model_loads() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = [
        (
            "unknown check",
            "checks = [{ type = \"contans\", value = \"x\" }]",
            "contans",
        ),
        (
            "bad regex",
            "checks = [{ type = \"regex\", pattern = \"(x\" }]",
            "regex",
        ),
        ("missing field", "checks = [{ type = \"number\" }]", "value"),
    ];
    for (what, checks, expected) in bad {
        let path = tmp.path().join("bad.toml");
        std::fs::write(&path, format!("name = \"bad\"\nkind = \"quality\"\n\n[[case]]\nid = \"a\"\ncategory = \"c\"\nprompt = \"hi\"\n{checks}\n")).unwrap();
        let out = tmp.path().join("out");
        let o = edgebench()
            .args([
                "run",
                "--model",
                gemma().to_str().unwrap(),
                "--suite",
                path.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert_clean_error(&o, 2, &["bad.toml:8", expected]);
        assert!(
            !out.exists(),
            "{what}: nothing may be created before the suite is valid"
        );
    }
}

#[test]
fn suites_lists_every_shipped_suite_with_its_case_count() {
    let o = edgebench().arg("suites").output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    for (name, kind, at_least) in [
        ("quality-basic", "quality", 40),
        ("tool-calling", "quality", 40),
        ("instruction-following", "quality", 30),
        ("multiple-choice", "quality", 50),
        ("stability", "stability", 1),
        ("speed", "speed", 3),
    ] {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} not listed:\n{text}"));
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields[1], kind, "{line}");
        let cases: usize = fields[2].parse().unwrap();
        assert!(cases >= at_least, "{line}");
    }
}
