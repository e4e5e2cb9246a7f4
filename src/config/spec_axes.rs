//! The speculative-decoding axes: `--draft-model`, `--draft-max N[,N..]`,
//! `--draft-min N` and `--spec mtp` from the command line and the sweep file
//! (command line first), checked as the other axes are.
use std::path::PathBuf;

use super::{Candidate, Configuration, Sweep};
use crate::error::UsageError;
use crate::results::plan::{SpecMethod, Speculation};
use crate::results::speculation::{DEFAULT_DRAFT_MAX, MAX_DRAFT};

/// What the command line and the file say about speculation.
#[derive(Debug, Clone, Default)]
pub struct SpecInput<'a> {
    pub draft_model: Option<&'a PathBuf>,
    pub draft_max: (&'a [u32], Option<&'a Vec<u32>>),
    pub draft_min: Option<u32>,
    pub spec: Option<&'a str>,
}

/// The sweep's speculation settings: (draft lengths, shortest draft, MTP),
/// with `--draft-model` given to every in-process candidate.
pub fn resolve_spec(
    input: &SpecInput,
    candidates: &mut [Candidate],
) -> Result<(Vec<u32>, u32, bool), UsageError> {
    let mtp = match input.spec {
        None => false,
        Some("mtp") => true,
        Some(other) => {
            return Err(UsageError::new(format!(
                "--spec {other}: the one method is mtp (a draft model is --draft-model)"
            )))
        }
    };
    if let Some(draft) = input.draft_model {
        if let Some(served) = candidates.iter().find(|c| c.server.is_some()) {
            return Err(UsageError::new(format!(
                "--draft-model: candidate `{}` is served; a llama-server takes its draft with -md in its command",
                served.name
            )));
        }
        for c in candidates.iter_mut() {
            c.draft = Some(draft.clone());
        }
    }
    let speculative = mtp || candidates.iter().any(|c| c.draft.is_some());
    let (cli, file) = input.draft_max;
    let given = !cli.is_empty() || file.is_some() || input.draft_min.is_some();
    if given && !speculative {
        return Err(UsageError::new(
            "--draft-max and --draft-min need a draft model (--draft-model, or draft = in a candidate) or --spec mtp",
        ));
    }
    let draft_max = match (cli, file) {
        (cli, _) if !cli.is_empty() => cli.to_vec(),
        (_, Some(list)) if !list.is_empty() => list.clone(),
        _ if speculative => vec![DEFAULT_DRAFT_MAX],
        _ => Vec::new(),
    };
    Ok((draft_max, input.draft_min.unwrap_or(0), mtp))
}

/// The rules of the speculation axes (a new sweep's and a resumed one's).
pub fn validate_spec(sweep: &Sweep) -> Result<(), UsageError> {
    let speculative = sweep.spec_mtp || sweep.candidates.iter().any(|c| c.draft.is_some());
    if !speculative {
        if !sweep.draft_max.is_empty() || sweep.draft_min > 0 {
            return Err(UsageError::new(
                "--draft-max and --draft-min need a draft model (--draft-model, or draft = in a candidate) or --spec mtp",
            ));
        }
        return Ok(());
    }
    if sweep.draft_max.is_empty() {
        return Err(UsageError::new("--draft-max: give at least one length"));
    }
    for &n in &sweep.draft_max {
        if n == 0 || n > MAX_DRAFT {
            return Err(UsageError::new(format!(
                "--draft-max {n}: give 1 to {MAX_DRAFT} tokens"
            )));
        }
        if sweep.draft_min > n {
            return Err(UsageError::new(format!(
                "--draft-min {} is more than --draft-max {n}: no draft would be verified",
                sweep.draft_min
            )));
        }
        let own = sweep.candidates.iter().filter_map(|c| c.n_batch.as_ref());
        let mut batches = sweep.n_batch.iter().chain(own);
        if let Some(b) = batches.find(|&&b| n.checked_add(1).is_none_or(|v| v > b)) {
            return Err(UsageError::new(format!(
                "--draft-max {n}: the target verifies {} tokens in one batch, more than --batch {b}",
                n.saturating_add(1)
            )));
        }
    }
    if let Some(served) = sweep
        .candidates
        .iter()
        .find(|c| c.server.is_some() && c.draft.is_some())
    {
        return Err(UsageError::new(format!(
            "candidate `{}`: draft is for in-process candidates; a llama-server takes its draft with -md in its command",
            served.name
        )));
    }
    Ok(())
}

/// The longest draft of the sweep (0 without speculation): a speculative
/// test's context holds it beyond its generated tokens.
pub fn longest_draft(sweep: &Sweep) -> u32 {
    sweep.draft_max.iter().copied().max().unwrap_or(0)
}

/// `base` first (the baseline), then the candidate with its draft model and,
/// with `--spec mtp`, its MTP heads, at each draft length: innermost, so a
/// sweep without speculation keeps its unit ids.
pub fn spec_variants(
    sweep: &Sweep,
    candidate: &Candidate,
    base: Configuration,
) -> Vec<Configuration> {
    let mut methods = Vec::new();
    if candidate.server.is_none() {
        if let Some(model) = &candidate.draft {
            methods.push(SpecMethod::Draft {
                model: model.clone(),
            });
        }
        if sweep.spec_mtp {
            methods.push(SpecMethod::Mtp);
        }
    }
    let mut out = vec![base.clone()];
    for method in methods {
        for &draft_max in &sweep.draft_max {
            out.push(Configuration {
                speculative: Some(Speculation {
                    method: method.clone(),
                    draft_max,
                    draft_min: sweep.draft_min,
                }),
                ..base.clone()
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{expand, parse_sweep_toml, resolve, SweepOverrides};
    use std::path::Path;

    fn sweep(args: &SweepOverrides, file: &str) -> Result<Sweep, UsageError> {
        let file = parse_sweep_toml(file, Path::new("sweep.toml")).unwrap();
        resolve(args, &file, None)
    }

    fn models(extra: SweepOverrides) -> SweepOverrides {
        SweepOverrides {
            models: vec!["t.gguf".into()],
            threads: vec![2],
            ..extra
        }
    }

    #[test]
    fn a_draft_expands_to_the_baseline_then_each_length_labelled() {
        let args = models(SweepOverrides {
            draft_model: Some("models/d-0.5b.gguf".into()),
            draft_max: vec![4, 8],
            ..Default::default()
        });
        let s = sweep(&args, "").unwrap();
        assert_eq!(
            (s.draft_max.clone(), s.draft_min, s.spec_mtp),
            (vec![4, 8], 0, false)
        );
        let units = expand(&s);
        let labels: Vec<String> = units.iter().map(|u| u.config.label()).collect();
        assert_eq!(units.len(), 3);
        assert!(
            !labels[0].contains("draft"),
            "the baseline first: {}",
            labels[0]
        );
        assert!(labels[1].ends_with(" draft=d-0.5b dmax=4"), "{}", labels[1]);
        assert!(labels[2].ends_with(" draft=d-0.5b dmax=8"), "{}", labels[2]);
        assert_eq!(
            units[0].id, "c0-k0",
            "a sweep without speculation keeps its ids"
        );
    }

    #[test]
    fn file_candidates_take_their_own_draft_and_mtp_adds_its_configurations() {
        let file = "[params]\ndraft_max = [3]\ndraft_min = 1\nspec = \"mtp\"\n\
                    [[candidate]]\npath = \"t.gguf\"\ndraft = \"d.gguf\"\n\
                    [[candidate]]\npath = \"u.gguf\"\n";
        let s = sweep(&SweepOverrides::default(), file).unwrap();
        let units = expand(&s);
        let t: Vec<String> = units
            .iter()
            .filter(|u| u.candidate.name == "t")
            .map(|u| u.config.label())
            .collect();
        assert_eq!(t.len(), 3, "{t:?}");
        assert!(t[1].ends_with(" draft=d dmax=3 dmin=1"), "{}", t[1]);
        assert!(t[2].ends_with(" spec=mtp dmax=3 dmin=1"), "{}", t[2]);
        let u = units.iter().filter(|u| u.candidate.name == "u").count();
        assert_eq!(u, 2, "the candidate without a draft: baseline and mtp");
        let json = serde_json::to_string(&units[1].config).unwrap();
        assert!(
            json.contains("\"speculative\":{\"method\":\"draft\",\"model\":\"d.gguf\""),
            "{json}"
        );
    }

    #[test]
    fn bad_speculative_settings_are_one_line_usage_errors() {
        let e = |extra: SweepOverrides, file: &str| {
            sweep(&models(extra), file).unwrap_err().to_string()
        };
        let draft = || Some(std::path::PathBuf::from("d.gguf"));
        let cases = [
            (
                SweepOverrides {
                    draft_max: vec![4],
                    ..Default::default()
                },
                "",
                "need a draft model",
            ),
            (
                SweepOverrides {
                    draft_min: Some(2),
                    ..Default::default()
                },
                "",
                "need a draft model",
            ),
            (
                SweepOverrides {
                    spec: Some("eagle".into()),
                    ..Default::default()
                },
                "",
                "--spec eagle",
            ),
            (
                SweepOverrides {
                    draft_model: draft(),
                    draft_max: vec![0],
                    ..Default::default()
                },
                "",
                "--draft-max 0: give 1 to 1024",
            ),
            (
                SweepOverrides {
                    draft_model: draft(),
                    draft_max: vec![4],
                    draft_min: Some(5),
                    ..Default::default()
                },
                "",
                "--draft-min 5 is more than --draft-max 4",
            ),
            (
                SweepOverrides {
                    draft_model: draft(),
                    draft_max: vec![600],
                    n_batch: vec![512],
                    ..Default::default()
                },
                "",
                "verifies 601 tokens in one batch, more than --batch 512",
            ),
        ];
        for (args, file, expected) in cases {
            let error = e(args, file);
            assert!(error.contains(expected) && !error.contains('\n'), "{error}");
        }
        let served = "[[candidate]]\nengine = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\nmodel = \"m\"\ndraft = \"d.gguf\"\n";
        let error = sweep(&SweepOverrides::default(), served)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("draft is for in-process candidates"),
            "{error}"
        );
    }
}
