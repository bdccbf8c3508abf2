//! `git agents install-man`: put the manual pages where `man` finds them, so
//! `git help agents` and `git agents --help` work, without root.

use crate::cli::exit;
use clap::CommandFactory;
use std::path::PathBuf;

use crate::cli::install;
use git_agents::Error;

use super::Context;
use crate::cli::output::style;

/// Install the manual pages where man finds them, so git help agents works
///
/// Install the manual pages (git-agents.1 and one per subcommand) into DIR/man1.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The manual directory, as listed on MANPATH; pages go into its man1 [default: share/man beside the binary's bin directory (~/.cargo/share/man), else $XDG_DATA_HOME/man or ~/.local/share/man]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Run `install-man`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let man_dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => install::default_man_dir().ok_or_else(|| {
            Error::Usage(
                "HOME is not set, so there is no default manual directory; pass --dir DIR"
                    .to_owned(),
            )
        })?,
    };
    let man_dir = std::path::absolute(&man_dir).unwrap_or(man_dir);
    let pages: Vec<(String, String)> = crate::cli::manual::pages(super::Cli::command())
        .into_iter()
        .map(|page| (page.file_name, page.text))
        .collect();
    let written = install::write_files(&man_dir.join("man1"), &pages)?;
    let on_manpath = install::on_manpath(&man_dir);
    if ctx.out.json(&Installed {
        dir: &man_dir,
        pages: &written,
        on_manpath,
    }) {
        return Ok(exit::OK);
    }
    ctx.out.say(format!(
        "{} {} manual pages in {}",
        style::good().apply_to("Installed"),
        written.len(),
        man_dir.join("man1").display()
    ));
    match on_manpath {
        Some(true) => ctx
            .out
            .say("git help agents and git agents --help now show the manual."),
        _ => ctx.out.say(format!(
            "{} is not on the manual path yet; add this line to your shell's startup file:\n  export MANPATH=\"{}:$MANPATH\"",
            man_dir.display(),
            man_dir.display()
        )),
    }
    Ok(exit::OK)
}

/// What `install-man` wrote; `--json` prints it as it is.
#[derive(serde::Serialize)]
struct Installed<'a> {
    /// The manual directory (pages go in its `man1`).
    dir: &'a std::path::Path,
    /// Every page written.
    pages: &'a [std::path::PathBuf],
    /// Whether man looks there; `None` when that can't be told.
    on_manpath: Option<bool>,
}
