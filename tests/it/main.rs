//! The integration suite: one test binary driving the built `git-agents` on real
//! repositories in temp dirs, one module per area, shared fixtures in `common`.

mod common;

mod architecture;
mod audit_log;
mod brief_timeline;
mod cli_core;
mod cli_native;
mod cli_run;
mod concurrency;
mod conflicts;
mod crash;
mod crash_forge;
mod demo;
mod doctor;
mod doctor_forge;
mod edit;
mod fleet_e2e;
mod github_forge;
mod hooks;
mod hostile;
mod inference;
mod judge;
mod local_forge;
mod locks;
mod messages;
mod pipeline;
mod plan_import;
mod progress;
mod properties;
mod provision;
mod queue_batch;
mod run_adopt;
mod safety;
mod safety_input;
mod sequences;
mod state_cache;
mod status_layout;
mod status_watch;
mod stress;
mod suggestions;
mod sync;
mod transitions;
mod trust;
mod views;
mod wild_plans;
