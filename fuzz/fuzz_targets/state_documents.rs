//! The state decoder: any bytes stored as `plan.json` or `agents/<name>.json` give a
//! document or an error, never a panic.
#![no_main]

use git_agents::state::{decode_agent, decode_plan};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = decode_plan(data);
    let _ = decode_agent("agents/fuzz.json", data);
});
