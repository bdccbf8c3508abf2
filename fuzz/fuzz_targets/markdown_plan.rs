//! The Markdown plan importer: any text either fails with an error or gives a valid plan
//! that exports and imports back to itself.
#![no_main]

use git_agents::plan::{Format, Plan};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(plan) = Plan::parse(&text, Format::Markdown, "fuzz.md", "worktrees") {
        let exported = plan.export(Format::Markdown);
        let again = Plan::parse(&exported, Format::Markdown, "export.md", "worktrees")
            .unwrap_or_else(|e| panic!("an exported plan does not import: {e}\n{exported}"));
        assert_eq!(again, plan, "export changed the plan:\n{exported}");
    }
});
