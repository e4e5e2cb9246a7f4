//! Expansion of a sweep into work units: candidate x every combination of the
//! configuration axes, in llama-bench's order (model outermost, so each model
//! is loaded once per configuration).
use super::spec_axes::spec_variants;
use super::{Candidate, Configuration, KvCacheType, Sweep, WorkUnit, DEFAULT_UBATCH};

pub fn expand(sweep: &Sweep) -> Vec<WorkUnit> {
    let mut units = Vec::new();
    for (ci, candidate) in sweep.candidates.iter().enumerate() {
        for (k, config) in configurations(sweep, candidate).into_iter().enumerate() {
            units.push(WorkUnit {
                id: format!("c{ci}-k{k}"),
                candidate_index: ci,
                candidate: candidate.clone(),
                config,
            });
        }
    }
    units
}

/// Every combination of the axes for one candidate; the power axes outermost,
/// so a candidate's configurations share a power mode as long as possible.
fn configurations(sweep: &Sweep, candidate: &Candidate) -> Vec<Configuration> {
    // A per-candidate override replaces that axis for this candidate only.
    let axis = |over: Option<u32>, list: &[u32]| over.map_or_else(|| list.to_vec(), |v| vec![v]);
    let threads = axis(candidate.n_threads, &sweep.threads);
    let layers = axis(candidate.n_gpu_layers, &sweep.n_gpu_layers);
    let batches = axis(candidate.n_batch, &sweep.n_batch);
    let flash = candidate
        .flash_attn
        .map_or_else(|| sweep.flash_attn.clone(), |f| vec![f]);
    let n_ctx = candidate.n_ctx.unwrap_or(sweep.n_ctx);
    let mut configs = Vec::new();
    for power_mode in optional_axis(&sweep.power_mode) {
        for jetson_clocks in optional_axis(&sweep.jetson_clocks) {
            for &n_gpu_layers in &layers {
                for &n_batch in &batches {
                    for &flash_attn in &flash {
                        for &n_threads in &threads {
                            let base = Configuration {
                                n_threads,
                                n_gpu_layers,
                                n_batch,
                                flash_attn,
                                n_ctx,
                                n_ubatch: DEFAULT_UBATCH,
                                cache_type_k: KvCacheType::F16,
                                cache_type_v: KvCacheType::F16,
                                use_mmap: true,
                                power_mode: power_mode.clone(),
                                jetson_clocks,
                                speculative: None,
                            };
                            for config in memory_axes(sweep, base) {
                                configs.extend(spec_variants(sweep, candidate, config));
                            }
                        }
                    }
                }
            }
        }
    }
    configs
}

/// An axis that may be absent: one `None` then, so it multiplies by one.
fn optional_axis<T: Clone>(values: &[T]) -> Vec<Option<T>> {
    if values.is_empty() {
        vec![None]
    } else {
        values.iter().cloned().map(Some).collect()
    }
}

/// `base` with every combination of the memory axes, innermost as
/// llama-bench orders them (ubatch, type_k, type_v, mmap). With the default
/// single values the unit ids are those of a sweep without these axes.
fn memory_axes(sweep: &Sweep, base: Configuration) -> Vec<Configuration> {
    let mut out = Vec::new();
    for &n_ubatch in &sweep.n_ubatch {
        for &cache_type_k in &sweep.cache_type_k {
            for &cache_type_v in &sweep.cache_type_v {
                for &use_mmap in &sweep.use_mmap {
                    out.push(Configuration {
                        n_ubatch,
                        cache_type_k,
                        cache_type_v,
                        use_mmap,
                        ..base.clone()
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FlashAttn;

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
            n_ubatch: vec![512],
            cache_type_k: vec![KvCacheType::F16],
            cache_type_v: vec![KvCacheType::F16],
            use_mmap: vec![true],
            depth: vec![0],
            pg: vec![],
            auto_reps: None,
            pacing: Default::default(),
            power_mode: Vec::new(),
            jetson_clocks: Vec::new(),
            targets: Default::default(),
            draft_max: Vec::new(),
            draft_min: 0,
            spec_mtp: false,
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
    fn memory_axes_expand_innermost_and_reach_every_unit() {
        let mut s = sweep(vec![candidate("a")]);
        s.threads = vec![2];
        s.n_batch = vec![2048];
        s.cache_type_k = vec![KvCacheType::F16, KvCacheType::Q8_0, KvCacheType::Q4_0];
        s.cache_type_v = vec![KvCacheType::Q8_0];
        s.use_mmap = vec![true, false];
        s.n_ubatch = vec![256];
        let units = expand(&s);
        assert_eq!(units.len(), 3 * 2);
        let combos: Vec<_> = units
            .iter()
            .map(|u| (u.config.cache_type_k, u.config.use_mmap))
            .collect();
        assert_eq!(combos[0], (KvCacheType::F16, true));
        assert_eq!(combos[1], (KvCacheType::F16, false), "mmap innermost");
        assert_eq!(combos[5], (KvCacheType::Q4_0, false));
        assert!(units
            .iter()
            .all(|u| u.config.cache_type_v == KvCacheType::Q8_0 && u.config.n_ubatch == 256));
        assert_eq!(
            units[0].config.label(),
            "t=2 ngl=0 b=2048 fa=auto ctx=4096 ub=256 ctv=q8_0"
        );
        assert_eq!(units[5].id, "c0-k5");
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

    #[test]
    fn power_axes_multiply_the_configurations_outermost() {
        let mut s = sweep(vec![candidate("a")]);
        s.power_mode = vec!["MAXN".into(), "25W".into()];
        s.jetson_clocks = vec![true, false];
        let units = expand(&s);
        assert_eq!(units.len(), 2 * 2 * 4);
        let power: Vec<_> = units
            .iter()
            .map(|u| {
                (
                    u.config.power_mode.clone().unwrap(),
                    u.config.jetson_clocks.unwrap(),
                )
            })
            .collect();
        assert_eq!(power[0], ("MAXN".to_string(), true));
        assert_eq!(power[3], ("MAXN".to_string(), true));
        assert_eq!(power[4], ("MAXN".to_string(), false));
        assert_eq!(power[15], ("25W".to_string(), false));
        assert!(units[0].config.label().ends_with(" pm=MAXN jc=on"));
        // Without the axes nothing is set and the label is as before.
        let plain = expand(&sweep(vec![candidate("a")]));
        assert!(plain
            .iter()
            .all(|u| u.config.power_mode.is_none() && u.config.jetson_clocks.is_none()));
        assert!(plain[0].config.label().ends_with("ctx=4096"));
    }
}
