use clap::Parser;

use edgebench::cli::{Cli, Command};
use edgebench::error::{exit, UsageError};

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => edgebench::runner::run_sweep(&args),
        Command::Models(args) => edgebench::models::run(&args),
        Command::Suites => edgebench::suite::print_suites(),
        Command::Doctor => edgebench::sampler::print_doctor().inspect(|_| {
            edgebench::runner::print_llama_build();
        }),
        Command::Compare(args) => edgebench::compare::run(&args),
        Command::Rescore(args) => {
            edgebench::scoring::rescore_run(&args.run_dir, args.suite.as_deref())
        }
        Command::Report(args) => edgebench::report::run(&args),
        Command::Import(command) => edgebench::import::run(&command),
        Command::Telemetry(command) => edgebench::telemetry::run(&command),
        Command::Child => edgebench::runner::run_child(),
        Command::Probe => edgebench::engine::probe().map(|p| {
            println!("{}", serde_json::to_string(&p).unwrap_or_default());
            exit::OK
        }),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            // One line, no backtrace: the user's mistakes are status 2, everything else 1.
            eprintln!("error: {e:#}");
            let code = if e.downcast_ref::<UsageError>().is_some() {
                exit::USAGE
            } else {
                exit::SOME_FAILED
            };
            std::process::exit(code);
        }
    }
}
