//! edgebench: benchmark and evaluate local LLMs (GGUF, llama.cpp) to choose
//! the right model for a device.
//!
//! Data flow: a sweep config is expanded into work units (`config`); the runner
//! drives the engine through the suites in child processes (`runner`, `engine`,
//! `suite`); answers are checked in the parent (`checks`, `scoring`); rows go to
//! the results store (`results`); reports read only the stored results (`report`).
//!
//! Layers, top to bottom; a module imports only from its own layer (without
//! cycles) and lower ones, and only layers 1-2 print (`tests/layers.rs` checks):
//! 1. `main.rs`: the commands;
//! 2. `runner`, `report`, `compare`, `import`, `telemetry`, `models`, `synth`, `progress`, `cli`;
//! 3. `scoring`, `engine`, `sampler`;
//! 4. `config`, `suite`, `checks`, `fit`, `profiles`, `gguf`;
//! 5. `results` (rows, manifest, plan, parts/), `stats`, `error`.
pub mod checks;
pub mod cli;
pub mod compare;
pub mod config;
pub mod engine;
pub mod error;
pub mod export;
pub mod fit;
pub mod gguf;
pub mod import;
pub mod models;
pub mod profiles;
pub mod progress;
pub mod report;
pub mod results;
pub mod runner;
pub mod sampler;
pub mod scoring;
pub mod stats;
pub mod suite;
pub mod synth;
pub mod telemetry;
