use clap::Parser;

use edgebench::cli::{Cli, Command};
use edgebench::error::{exit, printable, UsageError};
use edgebench::sampler::{detect_backends, read_conditions, sysfs_root};
use edgebench::suite::{list_suites, load_suite, AnySuite};

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => edgebench::runner::run_sweep(&args),
        Command::Models(args) => edgebench::models::run(&args),
        Command::Fetch(args) => edgebench::fetch::run(&args),
        Command::Synth(args) => edgebench::synth::run(&args),
        Command::Suites => print_suites(),
        Command::Doctor(args) => print_doctor(args.tegrastats.as_deref()).inspect(|_| {
            edgebench::runner::print_llama_build();
        }),
        Command::Compare(args) => edgebench::compare::run(&args),
        Command::Rescore(args) => {
            edgebench::runner::rescore_run(&args.run_dir, args.suite.as_deref())
        }
        Command::Report(args) => edgebench::report::run(&args),
        Command::Import(command) => edgebench::import::run(&command),
        Command::Telemetry(command) => edgebench::telemetry::run(&command),
        Command::Child => edgebench::runner::run_child(),
        Command::ScoreAnswers { suite } => score_answers(&suite),
        Command::SpecReplay(args) => spec_replay(&args),
        Command::Probe => edgebench::engine::probe().map(|p| {
            println!("{}", serde_json::to_string(&p).unwrap_or_default());
            exit::OK
        }),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            // One line, no backtrace: the user's mistakes are status 2, everything else 1.
            eprintln!("error: {}", printable(&format!("{e:#}")));
            let code = if e.downcast_ref::<UsageError>().is_some() {
                exit::USAGE
            } else {
                exit::SOME_FAILED
            };
            std::process::exit(code);
        }
    }
}

/// `edgebench suites`: every suite file with its kind and case count.
fn print_suites() -> anyhow::Result<i32> {
    println!("{:<24} {:<8} {:>6}  description", "suite", "kind", "cases");
    for (name, _) in list_suites()? {
        match load_suite(&name) {
            Ok(AnySuite::Speed(s)) => {
                let cases = s.file.pp.as_ref().map_or(1, Vec::len)
                    + s.file.tg.as_ref().map_or(1, Vec::len)
                    + s.prompts.len();
                println!(
                    "{:<24} {:<8} {:>6}  {}",
                    name, s.file.kind, cases, s.file.description
                );
            }
            Ok(AnySuite::Quality(q)) => {
                println!(
                    "{:<24} {:<8} {:>6}  {}",
                    name,
                    if q.stability.is_some() {
                        "stability"
                    } else {
                        "quality"
                    },
                    q.cases.len(),
                    q.description
                );
            }
            Err(e) => println!("{name:<24} {:<8} {:>6}  {e}", "?", "-"),
        }
    }
    Ok(exit::OK)
}

/// `edgebench __score-answers`: one verdict line per answer line, for the agreement scripts
/// (`{"case_id", "text"}`, and `"decoding": "native"` for an API's tool calls).
fn score_answers(suite: &str) -> anyhow::Result<i32> {
    let AnySuite::Quality(suite) = load_suite(suite)? else {
        return Err(UsageError::new(format!("{suite}: not a quality suite")).into());
    };
    for (index, line) in std::io::stdin().lines().enumerate() {
        let line = line?;
        let at = |e: String| UsageError::new(format!("stdin:{}: {e}", index + 1));
        let answer: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| at(e.to_string()))?;
        let field = |key: &str| answer[key].as_str().map(str::to_string);
        let (Some(case_id), Some(text)) = (field("case_id"), field("text")) else {
            return Err(at("expected {\"case_id\": .., \"text\": ..}".into()).into());
        };
        let native = answer["decoding"].as_str() == Some("native");
        let scored =
            edgebench::scoring::scored_answer(&suite, &case_id, &text, native).map_err(at)?;
        println!("{scored}");
    }
    Ok(exit::OK)
}

/// `edgebench __spec-replay`: per input line, the draft's counts over the
/// given tokens, as `{"name", "drafted", "accepted", "steps"}`.
fn spec_replay(args: &edgebench::cli::SpecReplayArgs) -> anyhow::Result<i32> {
    use edgebench::results::speculation::{SpecMethod, Speculation};
    let settings = edgebench::engine::EngineSettings {
        n_threads: args.threads,
        n_gpu_layers: 999,
        n_batch: 2048,
        n_ubatch: 512,
        flash_attn: edgebench::config::FlashAttn::Auto,
        cache_type_k: Default::default(),
        cache_type_v: Default::default(),
        use_mmap: true,
        speculative: Some(Speculation {
            method: SpecMethod::Draft {
                model: args.draft_model.clone(),
            },
            draft_max: args.draft_max,
            draft_min: args.draft_min,
        }),
    };
    let (engine, _) = edgebench::engine::LlamaEngine::load(&args.model, settings)?;
    for (index, line) in std::io::stdin().lines().enumerate() {
        let at = |e: String| UsageError::new(format!("stdin:{}: {e}", index + 1));
        let input: serde_json::Value =
            serde_json::from_str(&line?).map_err(|e| at(e.to_string()))?;
        let tokens: Option<Vec<i32>> = input["tokens"]
            .as_array()
            .and_then(|a| a.iter().map(|t| t.as_i64()?.try_into().ok()).collect());
        let (Some(name), Some(prompt), Some(tokens)) =
            (input["name"].as_str(), input["prompt"].as_str(), tokens)
        else {
            return Err(
                at("expected {\"name\": .., \"prompt\": .., \"tokens\": [ids]}".into()).into(),
            );
        };
        let counts = engine.replay_speculation(prompt, &tokens, args.server_batches)?;
        let out = serde_json::json!({
            "name": name,
            "drafted": counts.drafted,
            "accepted": counts.accepted,
            "steps": counts.steps,
        });
        println!("{out}");
    }
    Ok(exit::OK)
}

/// `edgebench doctor`: which backends work here, what each measures, why one is missing.
fn print_doctor(tegrastats: Option<&std::path::Path>) -> anyhow::Result<i32> {
    let (_, statuses) = detect_backends(std::time::Duration::from_millis(250), tegrastats);
    println!("samplers on this machine:");
    for s in &statuses {
        let mark = if s.available { "yes" } else { "no " };
        println!("  {mark} {:<8} {}", s.name, s.detail);
    }
    let jetson = read_conditions(&sysfs_root());
    if jetson.is_jetson {
        println!("jetson: {}", serde_json::to_string(&jetson)?);
    }
    Ok(exit::OK)
}
