//! `git agents __generate`: write `man/` and `completions/` from the command
//! definition (hidden; run `cargo run -q -- __generate` after changing the CLI).

use crate::cli::exit;
use clap::CommandFactory;
use std::path::PathBuf;

use crate::cli::install;
use git_agents::Error;

use super::Context;

/// Write man/ and completions/ from the command definition
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory that holds man/ and completions/
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
}

/// Run `__generate`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let pages: Vec<(String, String)> = crate::cli::manual::pages(super::Cli::command())
        .into_iter()
        .map(|page| (page.file_name, page.text))
        .collect();
    let man_dir = args.out.join("man");
    let mut written = install::write_files(&man_dir, &pages)?;
    let names: Vec<String> = pages.iter().map(|(name, _)| name.clone()).collect();
    let removed = install::remove_others(&man_dir, "git-agents", ".1", &names)?;
    let scripts: Vec<(String, String)> = crate::cli::completion::FILES
        .iter()
        .map(|(name, shell)| {
            (
                (*name).to_owned(),
                crate::cli::completion::script(*shell, &super::Cli::command()),
            )
        })
        .collect();
    written.extend(install::write_files(
        &args.out.join("completions"),
        &scripts,
    )?);
    if ctx.out.json(&Generated {
        written: &written,
        removed: &removed,
    }) {
        return Ok(exit::OK);
    }
    ctx.out.say(format!(
        "Wrote {} manual pages and {} completion scripts under {}{}",
        pages.len(),
        scripts.len(),
        args.out.display(),
        if removed.is_empty() {
            String::new()
        } else {
            format!("; removed {} stale pages", removed.len())
        }
    ));
    Ok(exit::OK)
}

/// What `__generate` wrote and removed; `--json` prints it as it is.
#[derive(serde::Serialize)]
struct Generated<'a> {
    /// Files written.
    written: &'a [std::path::PathBuf],
    /// Stale files removed.
    removed: &'a [std::path::PathBuf],
}
