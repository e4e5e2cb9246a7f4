//! `--resume` continues a run only with the inputs it started with: the same
//! model files (sha256), suites (content digests) and builds. Otherwise rows
//! measured before and after would mix under one identity, which `compare`
//! then trusts.
use std::collections::BTreeMap;
use std::path::Path;

use crate::engine::EngineProbe;
use crate::error::UsageError;
use crate::results::manifest::{now, BuildInfo, ForcedResume, Manifest};
use crate::results::ModelMeta;

/// What the resumed run would use now.
pub(super) struct ResumeInputs {
    pub models: Vec<ModelMeta>,
    pub suite_digests: BTreeMap<String, String>,
    pub edgebench: BuildInfo,
    pub llama_cpp: EngineProbe,
}

impl ResumeInputs {
    /// Refuses (a usage error naming each change) to resume with other inputs
    /// than the manifest's, unless `force`, which records the change.
    pub fn check_against(
        self,
        manifest: &mut Manifest,
        run_dir: &Path,
        force: bool,
    ) -> Result<(), UsageError> {
        let changes = self.changes_from(manifest);
        if changes.is_empty() {
            self.note_usability(manifest);
            return Ok(());
        }
        if !force {
            return Err(refusal(run_dir, &changes));
        }
        eprintln!(
            "warning: resuming {} with changed inputs (--resume-force): {}",
            run_dir.display(),
            changes.join("; ")
        );
        self.replace_in(manifest, ForcedResume { at: now(), changes });
        Ok(())
    }

    /// A file fixed since (or broken since) `--keep-going` recorded it is found
    /// out now, not by a failed load.
    fn note_usability(self, manifest: &mut Manifest) {
        for (stored, now) in manifest.models.iter_mut().zip(self.models) {
            if stored.unusable.is_some() || now.unusable.is_some() {
                *stored = now;
            }
        }
    }

    /// Each difference from what the manifest recorded, in words.
    pub fn changes_from(&self, manifest: &Manifest) -> Vec<String> {
        let mut changes = self.model_changes(&manifest.models);
        // Runs from before suite digests were recorded have none to compare.
        if !manifest.suite_digests.is_empty() {
            for (name, digest) in &self.suite_digests {
                match manifest.suite_digests.get(name) {
                    Some(was) if was == digest => {}
                    Some(_) => changes.push(format!("suite `{name}` was edited")),
                    None => changes.push(format!("suite `{name}` is not the one recorded")),
                }
            }
        }
        changes.extend(build_changes(&manifest.edgebench, &self.edgebench));
        let (was, now) = (&manifest.llama_cpp, &self.llama_cpp);
        if was.llama_cpp_sys_version != now.llama_cpp_sys_version
            || was.system_info != now.system_info
        {
            changes.push(format!(
                "llama.cpp build {} -> {} (or its system_info changed)",
                was.llama_cpp_sys_version, now.llama_cpp_sys_version
            ));
        }
        changes
    }

    fn model_changes(&self, recorded: &[ModelMeta]) -> Vec<String> {
        let mut changes = Vec::new();
        for (was, now) in recorded.iter().zip(&self.models) {
            // A file that cannot be used has no hash to compare; it runs no child either.
            let usable = was.unusable.is_none() && now.unusable.is_none();
            if usable && was.model_sha256 != now.model_sha256 {
                changes.push(format!(
                    "model `{}` ({}) is another file: sha256 {} -> {}",
                    now.candidate,
                    now.model_file,
                    short(&was.model_sha256),
                    short(&now.model_sha256)
                ));
            }
            // A run from before drafts' hashes were recorded has none to compare.
            let draft = (was.draft_sha256.as_deref(), now.draft_sha256.as_deref());
            if let (true, (Some(was_draft), Some(now_draft))) = (usable, draft) {
                if was_draft != now_draft {
                    changes.push(format!(
                        "the draft model of `{}` is another file: sha256 {} -> {}",
                        now.candidate,
                        short(was_draft),
                        short(now_draft)
                    ));
                }
            }
        }
        changes
    }

    /// With `--resume-force`: the manifest describes what the rest of the run
    /// uses, and keeps what changed.
    pub fn replace_in(self, manifest: &mut Manifest, forced: ForcedResume) {
        manifest.models = self.models;
        manifest.suite_digests = self.suite_digests;
        manifest.edgebench = self.edgebench;
        manifest.llama_cpp = self.llama_cpp;
        manifest.forced_resumes.push(forced);
    }
}

fn build_changes(was: &BuildInfo, now: &BuildInfo) -> Vec<String> {
    let fields = [
        ("version", &was.version, &now.version),
        ("commit", &was.git_commit, &now.git_commit),
        ("profile", &was.profile, &now.profile),
        ("target", &was.target, &now.target),
        ("rustflags", &was.rustflags, &now.rustflags),
        ("features", &was.features, &now.features),
        (
            "llama.cpp CPU flags",
            &was.llama_cpu_flags,
            &now.llama_cpu_flags,
        ),
    ];
    fields
        .iter()
        .filter(|(_, was, now)| was != now)
        .map(|(field, was, now)| format!("edgebench build {field} {was:?} -> {now:?}"))
        .collect()
}

fn short(sha256: &str) -> &str {
    sha256.get(..12).unwrap_or(sha256)
}

/// The usage error of a resume whose inputs changed, saying what changed.
fn refusal(run_dir: &Path, changes: &[String]) -> UsageError {
    UsageError::new(format!(
        "--resume {}: not the run's inputs any more: {}; --resume-force continues anyway and records this in manifest.json",
        run_dir.display(),
        changes.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::tests::plan_in;

    fn recorded_inputs(manifest: &Manifest) -> ResumeInputs {
        ResumeInputs {
            models: manifest.models.clone(),
            suite_digests: manifest.suite_digests.clone(),
            edgebench: manifest.edgebench.clone(),
            llama_cpp: manifest.llama_cpp.clone(),
        }
    }

    #[test]
    fn each_changed_input_is_named_and_a_forced_resume_is_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let mut manifest = plan_in(dir.path(), 2).manifest;
        manifest
            .suite_digests
            .insert("quality-basic".into(), "a".repeat(64));
        assert!(recorded_inputs(&manifest)
            .changes_from(&manifest)
            .is_empty());

        let mut now = recorded_inputs(&manifest);
        now.models[1].model_sha256 = "b".repeat(64);
        now.suite_digests
            .insert("quality-basic".into(), "c".repeat(64));
        now.edgebench.git_commit = "0000000".into();
        now.llama_cpp.llama_cpp_sys_version = "0.1.999".into();
        let changes = now.changes_from(&manifest);
        assert_eq!(changes.len(), 4, "{changes:?}");
        assert!(
            changes[0].starts_with(
                "model `m1` (/models/m1.gguf) is another file: sha256  -> bbbbbbbbbbbb"
            ),
            "{changes:?}"
        );
        assert_eq!(changes[1], "suite `quality-basic` was edited");
        assert!(
            changes[2].starts_with("edgebench build commit"),
            "{changes:?}"
        );
        assert!(
            changes[3].starts_with("llama.cpp build  -> 0.1.999"),
            "{changes:?}"
        );

        let forced = ForcedResume {
            at: "now".into(),
            changes: changes.clone(),
        };
        now.replace_in(&mut manifest, forced.clone());
        assert_eq!(manifest.forced_resumes, [forced]);
        assert!(recorded_inputs(&manifest)
            .changes_from(&manifest)
            .is_empty());
    }

    #[test]
    fn a_run_from_before_suite_digests_is_not_refused_for_lacking_them() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = plan_in(dir.path(), 1).manifest;
        let mut now = recorded_inputs(&manifest);
        now.suite_digests
            .insert("quality-basic".into(), "c".repeat(64));
        assert!(now.changes_from(&manifest).is_empty());
    }

    #[test]
    fn a_draft_model_that_became_another_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let mut manifest = plan_in(dir.path(), 1).manifest;
        manifest.models[0].draft_sha256 = Some("d".repeat(64));
        let mut now = recorded_inputs(&manifest);
        assert!(now.changes_from(&manifest).is_empty());
        now.models[0].draft_sha256 = Some("e".repeat(64));
        let changes = now.changes_from(&manifest);
        assert_eq!(
            changes,
            ["the draft model of `m0` is another file: sha256 dddddddddddd -> eeeeeeeeeeee"]
        );
        // A run recorded before drafts' hashes were: nothing to compare.
        manifest.models[0].draft_sha256 = None;
        assert!(now.changes_from(&manifest).is_empty());
    }
}
