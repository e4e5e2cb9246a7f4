//! The sweep's plan: a new one from the command line and sweep file (suites
//! loaded, every candidate file and schema checked before anything runs), or
//! the stored one of a run being resumed.
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use rand::SeedableRng;

use super::child_process::own_executable;
use super::drafts::{check_draft_vocabularies, resolve_drafts};
use super::interrupt::Interrupt;
use super::power::{effective_uid, preflight, Machine, PowerTools, ToolPaths};
use super::protocol::QualityItem;
use super::resume_check::ResumeInputs;
use super::resume_servers::servers_from_sweep_file;
use super::served::check_served;
use crate::cli::RunArgs;
use crate::config::{self, Sweep, SweepFile, WorkUnit};
use crate::engine::EngineProbe;
use crate::error::UsageError;
use crate::gguf::{read_gguf_info, sha256_file};
use crate::results::manifest::{
    now, read_manifest, write_manifest, BuildInfo, CpuPaths, HostInfo, Manifest,
};
use crate::results::plan::ToolCalls;
use crate::results::{create_run_dir, ModelMeta, RunLock};
use crate::suite::{load_suites, Case, Decoding, QualitySuite, Suites};

/// A sweep's plan: its run directory, the manifest (units, candidates,
/// conditions) and the suites.
pub(super) struct Plan {
    pub run_dir: PathBuf,
    pub manifest: Manifest,
    pub suites: Suites,
    /// Ctrl-C / SIGTERM: stops the sweep between units, or the unit in progress.
    pub interrupt: Interrupt,
    /// nvpmodel and jetson_clocks, for a sweep with power axes.
    pub power: Option<PowerTools>,
    /// `--tegrastats PROGRAM`, for the Jetson sampler.
    pub tegrastats: Option<PathBuf>,
}

impl Plan {
    pub fn unified_memory(&self) -> bool {
        let sampling = self.manifest.sampling.as_ref();
        sampling.is_some_and(|s| s.unified_memory)
    }

    /// Progress steps of one unit: repetitions and quality answers, with
    /// the candidate's native tool-call answers.
    pub fn steps_of(&self, unit: &WorkUnit) -> u64 {
        let sweep = &self.manifest.sweep;
        let prompts = self.suites.speed.as_ref().map_or(0, |s| s.prompts.len());
        (sweep.pp.len() + sweep.tg.len() + prompts) as u64 * sweep.reps as u64
            + answers_of(&self.suites, unit)
    }
}

/// The quality answers a unit's child sends, native tool calls included.
fn answers_of(suites: &Suites, unit: &WorkUnit) -> u64 {
    quality_items(suites, tool_calls(unit)).len() as u64
}

/// How the unit's candidate asks its tool-calling cases.
pub(super) fn tool_calls(unit: &WorkUnit) -> ToolCalls {
    unit.candidate.asks_tools()
}

/// A new sweep's plan and its run directory, created and locked.
pub(super) fn new_plan(args: &RunArgs) -> Result<(Plan, RunLock)> {
    let file = match &args.config {
        Some(path) => config::read_sweep_file(path)?,
        None => SweepFile::default(),
    };
    let suite_names = if !args.suites.is_empty() {
        args.suites.clone()
    } else {
        file.suites
            .clone()
            .unwrap_or_else(|| config::DEFAULT_SUITES.map(String::from).to_vec())
    };
    let suites = load_suites(&suite_names)?;
    check_schemas(&suites)?;
    let mut sweep = config::resolve(&args.sweep_overrides(), &file, suites.speed.as_ref())?;
    resolve_drafts(&mut sweep)?;
    let shard = args.shard.as_deref().map(parse_shard).transpose()?;
    let power = preflight(&sweep, &machine(args))?;
    let models = check_candidates(&sweep, args.keep_going)?;
    check_draft_vocabularies(&sweep, &models)?;
    let out = args
        .out
        .clone()
        .or(file.out.clone())
        .unwrap_or_else(|| PathBuf::from("results"));
    let (run_id, run_dir) = create_run_dir(&out, &new_run_id())?;
    let lock = RunLock::acquire(&run_dir, !args.redact)?;
    std::fs::create_dir(run_dir.join("parts"))
        .with_context(|| format!("cannot create {}", run_dir.join("parts").display()))?;
    let llama_cpp = probe_engine();
    let manifest = Manifest {
        run_id,
        started_at: now(),
        ended_at: None,
        state: "running".into(),
        resumed_at: Vec::new(),
        edgebench: BuildInfo::current(),
        cpu_paths: Some(CpuPaths::detect(&llama_cpp.system_info)),
        suite_digests: suites.digests(),
        forced_resumes: Vec::new(),
        servers: Default::default(),
        power: None,
        llama_cpp,
        host: host_for_run(args.no_bandwidth),
        redacted: args.redact,
        units: config::expand(&sweep)
            .into_iter()
            .filter(|u| shard.is_none_or(|(i, n)| u.candidate_index % n == i - 1))
            .collect(),
        sweep,
        models,
        sampling: None,
        conditions: crate::sampler::read_run_conditions(),
    };
    write_manifest(&run_dir, &manifest)?;
    let plan = Plan {
        run_dir,
        manifest,
        suites,
        interrupt: Interrupt::default(),
        power,
        tegrastats: args.tegrastats.clone(),
    };
    Ok((plan, lock))
}

/// Continues a killed sweep with the plan it was started with, once no other
/// command writes to its directory.
pub(super) fn resume_plan(run_dir: &Path, args: &RunArgs) -> Result<(Plan, RunLock)> {
    if !run_dir.join("manifest.json").is_file() {
        return Err(UsageError::new(format!(
            "--resume {}: not a run directory (no manifest.json)",
            run_dir.display()
        ))
        .into());
    }
    let redacted = read_manifest(run_dir)?.redacted;
    if args.redact && !redacted {
        return Err(UsageError::new(format!(
            "--resume {} --redact: the run was started without --redact; its files already name this host and its paths",
            run_dir.display()
        ))
        .into());
    }
    let lock = RunLock::acquire(run_dir, !redacted)?;
    if !args.models.is_empty() || args.config.is_some() {
        eprintln!("note: --resume uses the plan stored in the run's manifest; other sweep options are ignored (--config gives only the servers of served candidates)");
    }
    // Read again under the lock: a writer that just ended may have changed it.
    let mut manifest = read_manifest(run_dir)?;
    if manifest.redacted {
        manifest.restore_paths();
    }
    // Untrusted: held to the rules of a new sweep, and no command from it.
    config::validate(&manifest.sweep).map_err(|e| stored_sweep_error(run_dir, e))?;
    servers_from_sweep_file(&mut manifest, args.config.as_deref(), run_dir)?;
    check_stored_units(&manifest, run_dir)?;
    let suites = load_suites(&manifest.sweep.suites)?;
    check_schemas(&suites)?;
    let power = preflight(&manifest.sweep, &machine(args))?;
    let inputs = ResumeInputs {
        models: check_candidates(&manifest.sweep, args.keep_going)?,
        suite_digests: suites.digests(),
        edgebench: BuildInfo::current(),
        llama_cpp: probe_engine(),
    };
    inputs.check_against(&mut manifest, run_dir, args.resume_force)?;
    manifest.resumed_at.push(now());
    manifest.state = "running".into();
    write_manifest(run_dir, &manifest)?;
    let plan = Plan {
        run_dir: run_dir.to_path_buf(),
        manifest,
        suites,
        interrupt: Interrupt::default(),
        power,
        tegrastats: args.tegrastats.clone(),
    };
    Ok((plan, lock))
}

/// What the power axes' preflight looks at on this machine.
fn machine(args: &RunArgs) -> Machine {
    Machine {
        sysfs_root: crate::sampler::sysfs_root(),
        tools: ToolPaths::new(args.power_tools.as_deref()),
        euid: effective_uid(),
    }
}

/// A stored sweep that breaks a rule of new ones, as a resume's usage error.
fn stored_sweep_error(run_dir: &Path, e: UsageError) -> UsageError {
    UsageError::new(format!(
        "--resume {}: manifest.json's sweep is not valid: {e}",
        run_dir.display()
    ))
}

/// Every stored unit is one the stored sweep expands to: a unit edited on its
/// own (its threads, its candidate's server) is refused, not run.
fn check_stored_units(manifest: &Manifest, run_dir: &Path) -> Result<(), UsageError> {
    let expected = config::expand(&manifest.sweep);
    match manifest.units.iter().find(|u| !expected.contains(u)) {
        Some(unit) => Err(UsageError::new(format!(
            "--resume {}: manifest.json's unit `{}` is not one its sweep expands to (edited?)",
            run_dir.display(),
            unit.id.escape_debug()
        ))),
        None => Ok(()),
    }
}

/// `I/N` (1-based): this job runs the candidates whose index is I-1 modulo N, so N
/// matrix jobs with I = 1..N cover every candidate exactly once.
fn parse_shard(text: &str) -> Result<(usize, usize), UsageError> {
    let bad = || {
        UsageError::new(format!(
            "--shard {text}: expected I/N with 1 <= I <= N, e.g. 2/4"
        ))
    };
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if n == 0 || i == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

/// Every quality case x decoding x rep, suite by suite; a candidate's
/// `tool_calls` adds (`both`) or puts in place (`native`) the decoding that
/// gives the tools apart from the prompt, for every case that offers tools.
/// Within a rep the native answers come after the others: their prompts
/// (tools rendered by the model's template) share no prefix with the
/// prompt-mode ones, so interleaving them would re-prefill the suite's long
/// shared prefix at every case (docs/metrics.md, `answers_per_min`).
pub(super) fn quality_items(suites: &Suites, tool_calls: ToolCalls) -> Vec<QualityItem> {
    let mut items = Vec::new();
    for suite in &suites.quality {
        for rep in 0..suite.reps {
            for native_pass in [false, true] {
                for case in &suite.cases {
                    let decodings = case_decodings(case, tool_calls);
                    let pass = decodings
                        .into_iter()
                        .filter(|d| (*d == Decoding::Native) == native_pass);
                    push_case_items(&mut items, suite, rep, case, pass);
                }
            }
        }
    }
    items
}

/// One case's items of one rep, in `decodings`' order.
fn push_case_items(
    items: &mut Vec<QualityItem>,
    suite: &QualitySuite,
    rep: u32,
    case: &Case,
    decodings: impl Iterator<Item = Decoding>,
) {
    for decoding in decodings {
        let native = decoding == Decoding::Native;
        items.push(QualityItem {
            suite: suite.name.clone(),
            case_id: case.id.clone(),
            decoding,
            rep,
            messages: case.messages_for(decoding).to_vec(),
            use_chat_template: case.use_chat_template,
            max_tokens: case.max_tokens,
            sampling: case.sampling,
            json_schema: match decoding {
                Decoding::Constrained => case.schema.clone(),
                Decoding::Free | Decoding::Native => None,
            },
            choices: case.choices.clone(),
            tools: if native {
                case.native_tools.clone()
            } else {
                Vec::new()
            },
            cold_cache: suite.stability.is_some(),
        });
    }
}

fn case_decodings(case: &Case, tool_calls: ToolCalls) -> Vec<Decoding> {
    let offers_tools = !case.tools.is_empty() && case.choices.is_none();
    match tool_calls {
        _ if !offers_tools => case.decodings.clone(),
        ToolCalls::Prompt => case.decodings.clone(),
        ToolCalls::Native => vec![Decoding::Native],
        ToolCalls::Both => {
            let mut both = case.decodings.clone();
            both.push(Decoding::Native);
            both
        }
    }
}

/// Every schema a case is held to must compile for the in-process engine: a
/// bad schema is the suite's mistake, found before any model loads.
fn check_schemas(suites: &Suites) -> Result<(), UsageError> {
    for suite in &suites.quality {
        for case in &suite.cases {
            let constrained = case.decodings.contains(&Decoding::Constrained);
            if let (true, Some(schema)) = (constrained, &case.schema) {
                crate::engine::schema_grammar(schema).map_err(|e| {
                    UsageError::new(format!("suite `{}`, case `{}`: {e}", suite.name, case.id))
                })?;
            }
        }
    }
    Ok(())
}

/// Every candidate file is checked before anything runs: a typo found at 3 am
/// after six hours of measuring is no use to anyone. Every bad file is named at
/// once, so a sweep with three broken downloads is fixed in one go; with
/// `keep_going` the bad ones are kept as unusable (their units become
/// `load_failed` rows) as long as one candidate is good.
fn check_candidates(sweep: &Sweep, keep_going: bool) -> Result<Vec<ModelMeta>, UsageError> {
    let checked: Vec<Result<ModelMeta, String>> =
        sweep.candidates.iter().map(check_candidate).collect();
    let bad: Vec<&String> = checked.iter().filter_map(|c| c.as_ref().err()).collect();
    let all_bad = bad.len() == checked.len();
    match bad.as_slice() {
        [] => {}
        _ if keep_going && !all_bad => {}
        [one] => return Err(UsageError::new(one.to_string())),
        many => {
            let hint = match all_bad {
                true => "",
                false => " (--keep-going runs the others)",
            };
            let mut message = format!(
                "{} of {} candidate files are bad; nothing was run{hint}:",
                many.len(),
                checked.len()
            );
            for reason in many {
                message.push_str(&format!("\n  {reason}"));
            }
            return Err(UsageError::new(message));
        }
    }
    let metas = sweep.candidates.iter().zip(checked);
    Ok(metas
        .map(|(c, checked)| {
            checked.unwrap_or_else(|reason| ModelMeta {
                candidate: c.name.clone(),
                model_file: c.path.display().to_string(),
                arch: "unknown".into(),
                unusable: Some(reason),
                ..Default::default()
            })
        })
        .collect())
}

/// One candidate's file: its metadata, or why it cannot be run (one line).
fn check_candidate(c: &crate::config::Candidate) -> Result<ModelMeta, String> {
    let served = c.server.as_ref().map(|s| check_served(c, s)).transpose()?;
    match served {
        Some(meta) if c.path.as_os_str().is_empty() => return Ok(meta),
        _ => {}
    }
    let info = read_gguf_info(&c.path).map_err(|e| e.to_string())?;
    Ok(ModelMeta {
        candidate: c.name.clone(),
        model_file: c.path.display().to_string(),
        model_sha256: sha256_file(&c.path)
            .map_err(|e| format!("{}: cannot read: {e}", c.path.display()))?,
        arch: info
            .architecture
            .clone()
            .unwrap_or_else(|| "unknown".into()),
        quant: info.quant.clone(),
        params: info.n_params,
        size_bytes: info.file_size,
        n_ctx_train: info.context_length,
        has_chat_template: info.has_chat_template,
        synthetic: info.synthetic,
        unusable: None,
        draft_sha256: c
            .draft
            .as_deref()
            .map(|d| sha256_file(d).map_err(|e| format!("{}: cannot read: {e}", d.display())))
            .transpose()?,
    })
}

/// llama.cpp's build and devices, asked of a child so no GPU context lives in the parent.
pub(super) fn probe_engine() -> EngineProbe {
    try_probe_engine().unwrap_or_default()
}

/// The probe, or why it failed (the probe's last error line: a portable
/// binary without its backend libraries...).
pub(super) fn try_probe_engine() -> std::result::Result<EngineProbe, String> {
    let output = own_executable()
        .and_then(|exe| std::process::Command::new(exe).arg("__probe").output())
        .map_err(|e| format!("could not start the probe: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
        return Err(last.unwrap_or("the probe failed").trim().to_string());
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("unreadable probe output: {e}"))
}

/// Sortable and unique enough for one machine: UTC time plus a random suffix
/// (`create_run_dir` adds `-2` in the rare case it is taken).
/// The host, with its memory bandwidth (the report's roofline) unless skipped.
fn host_for_run(no_bandwidth: bool) -> HostInfo {
    let mut host = HostInfo::read();
    if !no_bandwidth {
        let root = crate::sampler::sysfs_root();
        host.memory_bandwidth = Some(crate::sampler::host_bandwidth(
            &host,
            &BuildInfo::current(),
            &root,
        ));
    }
    host
}

fn new_run_id() -> String {
    let suffix: u16 = rand::Rng::random(&mut rand::rngs::SmallRng::from_os_rng());
    format!(
        "{}-{suffix:04x}",
        chrono::Utc::now().format("%Y%m%d-%H%M%S")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::quality::parse_quality_suite;

    /// A tool case (with the suite's tool and `constrained = "both"`), and a
    /// case of a suite without tools.
    fn suites() -> Suites {
        let text = r#"name = "t"
kind = "quality"
constrained = "both"
[[tools]]
name = "set_timer"
parameters = { type = "object", properties = { minutes = { type = "integer" } } }
[[case]]
id = "timer"
category = "simple"
prompt = "Timer for 5 minutes"
checks = [{ type = "tool_call", calls = [{ name = "set_timer", arguments = { minutes = 5 } }] }]
"#;
        let plain = r#"name = "p"
kind = "quality"
[[case]]
id = "plain"
category = "k"
prompt = "Capital of France?"
checks = [{ type = "contains", value = "Paris" }]
"#;
        let parse = |text: &str| parse_quality_suite(text, Path::new("t.toml")).unwrap();
        Suites {
            quality: vec![parse(text), parse(plain)],
            ..Default::default()
        }
    }

    fn decodings(items: &[QualityItem], case: &str) -> Vec<Decoding> {
        let of_case = items.iter().filter(|i| i.case_id == case);
        of_case.map(|i| i.decoding).collect()
    }

    #[test]
    fn the_progress_counts_a_served_candidates_native_answers() {
        let suites = suites();
        let mut unit = crate::runner::child_job::tests::job("u").unit;
        let in_process = answers_of(&suites, &unit);
        unit.candidate.server = Some(crate::results::plan::ServerEndpoint {
            base_url: "http://127.0.0.1:1/v1".into(),
            model: "m".into(),
            api_key_env: None,
            kind: crate::results::plan::ServerKind::Generic,
            launch: None,
            tool_calls: ToolCalls::Both,
            tool_choice: None,
        });
        // The tool case once more, asked natively.
        assert_eq!(answers_of(&suites, &unit), in_process + 1);
        unit.candidate.server = None;
        unit.candidate.tool_calls = ToolCalls::Both;
        assert_eq!(
            answers_of(&suites, &unit),
            in_process + 1,
            "an in-process candidate's native answers too"
        );
    }

    #[test]
    fn native_tool_calls_send_the_tools_apart_from_the_prompt() {
        let suites = suites();
        let prompt = quality_items(&suites, ToolCalls::Prompt);
        let both = quality_items(&suites, ToolCalls::Both);
        let native = quality_items(&suites, ToolCalls::Native);
        let (free, constrained) = (Decoding::Free, Decoding::Constrained);
        assert_eq!(decodings(&prompt, "timer"), [free, constrained]);
        assert_eq!(
            decodings(&both, "timer"),
            [free, constrained, Decoding::Native]
        );
        assert_eq!(decodings(&native, "timer"), [Decoding::Native]);
        for items in [&prompt, &both, &native] {
            assert_eq!(decodings(items, "plain"), [free], "no tools, no change");
        }
        let asked = native.iter().find(|i| i.case_id == "timer").unwrap();
        assert_eq!(asked.tools.len(), 1);
        assert_eq!(asked.json_schema, None);
        assert!(
            asked
                .messages
                .iter()
                .all(|m| !m.content.contains("set_timer")),
            "the tools are not in the prompt: {:?}",
            asked.messages
        );
        let in_prompt = prompt.iter().find(|i| i.case_id == "timer").unwrap();
        assert!(in_prompt.tools.is_empty());
        assert!(in_prompt.messages[0].content.contains("set_timer"));
    }

    #[test]
    fn the_stability_suites_repeated_cases_start_from_an_empty_cache() {
        let stability = r#"name = "stability"
kind = "stability"
reps = 3
temperature = 0.7
seed = 1
[[case]]
id = "story"
category = "open"
prompt = "Tell a story."
checks = [{ type = "min_words", value = 8 }]
"#;
        let mut suites = suites();
        let parsed = parse_quality_suite(stability, Path::new("stability.toml")).unwrap();
        suites.quality.push(parsed);
        let items = quality_items(&suites, ToolCalls::Prompt);
        let cold: Vec<(&str, bool)> = items
            .iter()
            .map(|i| (i.suite.as_str(), i.cold_cache))
            .collect();
        assert_eq!(
            cold,
            [
                ("t", false),
                ("t", false),
                ("p", false),
                ("stability", true),
                ("stability", true),
                ("stability", true)
            ]
        );
    }

    #[test]
    fn native_answers_follow_the_prompt_mode_ones_so_their_prefixes_stay_cached() {
        let text = r#"name = "two"
kind = "quality"
reps = 2
[[tools]]
name = "set_timer"
parameters = { type = "object", properties = { minutes = { type = "integer" } } }
[[case]]
id = "five"
category = "simple"
prompt = "Timer for 5 minutes"
checks = [{ type = "tool_call", calls = [{ name = "set_timer", arguments = { minutes = 5 } }] }]
[[case]]
id = "six"
category = "simple"
prompt = "Timer for 6 minutes"
checks = [{ type = "tool_call", calls = [{ name = "set_timer", arguments = { minutes = 6 } }] }]
"#;
        let suites = Suites {
            quality: vec![parse_quality_suite(text, Path::new("two.toml")).unwrap()],
            ..Default::default()
        };
        let items = quality_items(&suites, ToolCalls::Both);
        let order: Vec<(u32, bool, &str)> = items
            .iter()
            .map(|i| (i.rep, i.decoding == Decoding::Native, i.case_id.as_str()))
            .collect();
        // Free and constrained, case by case; then the native answers.
        let expected = [
            (0, false, "five"),
            (0, false, "five"),
            (0, false, "six"),
            (0, false, "six"),
            (0, true, "five"),
            (0, true, "six"),
            (1, false, "five"),
            (1, false, "five"),
            (1, false, "six"),
            (1, false, "six"),
            (1, true, "five"),
            (1, true, "six"),
        ];
        assert_eq!(
            order, expected,
            "per rep, every native answer after the others"
        );
    }
}
