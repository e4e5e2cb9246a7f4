//! Expansion of a sweep into work units: candidate x every combination of the
//! configuration axes, in llama-bench's order (model outermost, so each model
//! is loaded once per configuration).
use super::{Configuration, Sweep, WorkUnit};

pub fn expand(sweep: &Sweep) -> Vec<WorkUnit> {
    let mut units = Vec::new();
    for (ci, candidate) in sweep.candidates.iter().enumerate() {
        // A per-candidate override replaces that axis for this candidate only.
        let axis =
            |over: Option<u32>, list: &[u32]| over.map_or_else(|| list.to_vec(), |v| vec![v]);
        let threads = axis(candidate.n_threads, &sweep.threads);
        let layers = axis(candidate.n_gpu_layers, &sweep.n_gpu_layers);
        let batches = axis(candidate.n_batch, &sweep.n_batch);
        let flash = candidate
            .flash_attn
            .map_or_else(|| sweep.flash_attn.clone(), |f| vec![f]);
        let n_ctx = candidate.n_ctx.unwrap_or(sweep.n_ctx);
        let mut k = 0;
        for &n_gpu_layers in &layers {
            for &n_batch in &batches {
                for &flash_attn in &flash {
                    for &n_threads in &threads {
                        units.push(WorkUnit {
                            id: format!("c{ci}-k{k}"),
                            candidate_index: ci,
                            candidate: candidate.clone(),
                            config: Configuration {
                                n_threads,
                                n_gpu_layers,
                                n_batch,
                                flash_attn,
                                n_ctx,
                            },
                        });
                        k += 1;
                    }
                }
            }
        }
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Candidate, FlashAttn};

    fn candidate(name: &str) -> Candidate {
        Candidate::new(name, format!("{name}.gguf"))
    }

    fn sweep(candidates: Vec<Candidate>) -> Sweep {
        Sweep {
            candidates,
            suites: vec!["speed".into()],
            reps: 5,
            warmup: 1,
            timeout_secs: 60,
            threads: vec![1, 2],
            n_gpu_layers: vec![0],
            n_batch: vec![512, 2048],
            flash_attn: vec![FlashAttn::Auto],
            pp: vec![512],
            tg: vec![128],
            n_ctx: 4096,
            e2e_tokens: 64,
            fallback_chat_template: None,
            sample_ms: 250,
            cooldown_temp_c: None,
            cooldown_max_secs: 600,
            soak_secs: None,
            reference: None,
            concurrency: Vec::new(),
            targets: Default::default(),
        }
    }

    #[test]
    fn lists_expand_to_the_cartesian_product() {
        let units = expand(&sweep(vec![candidate("a"), candidate("b")]));
        assert_eq!(units.len(), 2 * 2 * 2);
        let a: Vec<_> = units.iter().filter(|u| u.candidate.name == "a").collect();
        let combos: std::collections::HashSet<_> = a
            .iter()
            .map(|u| (u.config.n_threads, u.config.n_batch))
            .collect();
        assert_eq!(combos.len(), 4);
        assert_eq!(units[0].id, "c0-k0");
        assert_eq!(units[7].id, "c1-k3");
        // Candidate order is kept: all of a before b.
        assert!(units[..4].iter().all(|u| u.candidate.name == "a"));
    }

    #[test]
    fn candidate_overrides_replace_an_axis() {
        let mut b = candidate("b");
        b.n_threads = Some(4);
        b.n_ctx = Some(1024);
        b.flash_attn = Some(FlashAttn::On);
        let units = expand(&sweep(vec![b]));
        assert_eq!(units.len(), 2); // only n_batch still varies
        assert!(units.iter().all(|u| u.config.n_threads == 4
            && u.config.n_ctx == 1024
            && u.config.flash_attn == FlashAttn::On));
    }
}
