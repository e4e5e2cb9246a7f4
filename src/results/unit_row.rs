//! A work unit's identity as a row: the candidate, its model and the
//! configuration, with no figures. Every row the unit writes starts from it,
//! and the report uses it for a unit that wrote no speed row (a run of
//! stability suites only).
use super::manifest::Manifest;
use super::plan::WorkUnit;
use super::rows::{
    ModelMeta, RowConfig, RowIdentity, SpeedRow, SERVED_BACKEND, STARTED_SERVER_BACKEND,
};
use super::speculation::RowSpec;

pub fn unit_row(unit: &WorkUnit, meta: &ModelMeta, manifest: &Manifest) -> SpeedRow {
    let gpu = manifest.llama_cpp.devices.iter().find(|d| d.kind != "Cpu");
    let backend = match (&unit.candidate.server, gpu) {
        (Some(server), _) if server.launch.is_some() => STARTED_SERVER_BACKEND.to_string(),
        (Some(_), _) => SERVED_BACKEND.to_string(),
        (None, Some(d)) if unit.config.n_gpu_layers > 0 => d.backend.clone(),
        (None, _) => "CPU".to_string(),
    };
    let c = &unit.config;
    SpeedRow {
        id: RowIdentity {
            run_id: manifest.run_id.clone(),
            unit_id: unit.id.clone(),
            candidate: meta.candidate.clone(),
            model_sha256: meta.model_sha256.clone(),
            quant: meta.quant.clone(),
            synthetic: meta.synthetic,
        },
        model_file: meta.model_file.clone(),
        arch: meta.arch.clone(),
        params: meta.params,
        size_bytes: meta.size_bytes,
        config: RowConfig {
            backend,
            n_threads: c.n_threads,
            n_gpu_layers: c.n_gpu_layers,
            n_ctx: c.n_ctx,
            n_batch: c.n_batch,
            // As llama.cpp does: the physical batch is at most the logical one.
            n_ubatch: c.n_ubatch.min(c.n_batch),
            flash_attn: c.flash_attn.to_string(),
            type_k: c.cache_type_k.to_string(),
            type_v: c.cache_type_v.to_string(),
            use_mmap: c.use_mmap,
            spec: RowSpec::of(c.speculative.as_ref()),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// The identity row of the manifest's unit `unit_id` (None: not in it).
pub fn unit_row_of(manifest: &Manifest, unit_id: &str) -> Option<SpeedRow> {
    let unit = manifest.units.iter().find(|u| u.id == unit_id)?;
    let meta = manifest.models.get(unit.candidate_index)?;
    Some(unit_row(unit, meta, manifest))
}
