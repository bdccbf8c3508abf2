//! `git agents status`: the dashboard.

use crate::cli::exit;
use console::{Alignment, measure_text_width, pad_str};
use git_agents::Error;
use git_agents::ops::{self, AgentView, StatusReport};
use git_agents::plan::format_hours;
use git_agents::state::Status;

use super::Context;
use crate::cli::output::{bar, one_line, style};

/// Show the dashboard: progress, current task, tests, review, PR, blockers
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Show only this agent, in detail
    #[arg(value_name = "AGENT")]
    pub agent: Option<String>,
    /// Predict merge conflicts first (as `git agents conflicts` does) and mark agents at risk
    #[arg(long)]
    pub conflicts: bool,
    /// Redraw whenever the state or a branch changes, until Ctrl-C
    #[arg(long)]
    pub watch: bool,
}

/// Run `status`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    if args.watch {
        return watch(&ws, args, ctx);
    }
    if args.conflicts {
        git_agents::ops::conflicts::check(&ws)?;
    }
    let report = ops::status(&ws, args.agent.as_deref())?;
    if ctx.out.json {
        ctx.out.json(&report);
        return Ok(exit::OK);
    }
    ctx.out.print(crate::cli::output::fit(
        &render(&report, args),
        crate::cli::output::terminal_width(),
    ));
    // The process ends next: handing the dashboard's memory back string by string
    // would take longer than drawing it did.
    std::mem::forget(report);
    Ok(exit::OK)
}

/// How often `--watch` looks at the refs.
const WATCH_INTERVAL: std::time::Duration = std::time::Duration::from_millis(500);

/// Redraw the dashboard whenever a ref it is drawn from moves: on a terminal the screen
/// is redrawn in place; elsewhere a dashboard is printed only when it differs from the last.
fn watch(
    ws: &git_agents::git::workspace::Workspace,
    args: &Args,
    ctx: &Context,
) -> Result<i32, Error> {
    use std::io::{IsTerminal, Write};
    let terminal = std::io::stdout().is_terminal() && !ctx.out.json;
    let mut refs =
        git_agents::state::watch::watched_refs(&git_agents::state::State::load(&ws.repo)?);
    let mut seen = None;
    let mut shown = String::new();
    loop {
        let now = git_agents::state::watch::fingerprint(&ws.repo, &refs)?;
        if seen.as_ref() != Some(&now) {
            if args.conflicts {
                git_agents::ops::conflicts::check(ws)?;
            }
            let report = ops::status(ws, args.agent.as_deref())?;
            let text = if ctx.out.json {
                let json = serde_json::to_string(&report)
                    .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
                format!("{json}\n")
            } else {
                crate::cli::output::fit(
                    &crate::cli::output::inert(&render(&report, args)),
                    crate::cli::output::terminal_width(),
                )
            };
            let mut out = std::io::stdout().lock();
            let written = if terminal {
                let clock = git_agents::time::now_rfc3339();
                write!(
                    out,
                    "\x1b[2J\x1b[H{}\n\n{text}",
                    style::dim().apply_to(format!(
                        "git agents status --watch · {clock} · Ctrl-C to stop"
                    ))
                )
            } else if text != shown {
                let separator = if shown.is_empty() || ctx.out.json {
                    ""
                } else {
                    "\n"
                };
                write!(out, "{separator}{text}")
            } else {
                Ok(())
            };
            if written.and_then(|()| out.flush()).is_err() {
                return Ok(exit::OK);
            }
            shown = text;
            refs =
                git_agents::state::watch::watched_refs(&git_agents::state::State::load(&ws.repo)?);
            seen = Some(now);
        }
        std::thread::sleep(WATCH_INTERVAL);
    }
}

fn render(report: &StatusReport, args: &Args) -> String {
    render_fleet(report, args.agent.is_some())
}

/// The dashboard as `status` prints it: a line per agent (with its details when
/// `details`), then the totals. `run` ends with it too.
pub(crate) fn render_fleet(report: &StatusReport, details_too: bool) -> String {
    let mut text = String::new();
    let name_width = report
        .agents
        .iter()
        .map(|a| measure_text_width(&a.name))
        .max()
        .unwrap_or(5)
        .max(5);
    for agent in &report.agents {
        text.push_str(&line(agent, name_width));
        text.push('\n');
        if details_too {
            text.push_str(&details(agent));
        }
    }
    text.push_str(&summary(report));
    text.push('\n');
    text
}

fn status_style(status: Status) -> console::Style {
    match status {
        Status::Merged | Status::Completed => style::good(),
        Status::Failed => style::bad(),
        Status::Planned | Status::Abandoned => style::dim(),
        Status::InProgress | Status::Review | Status::PrOpen => style::warn(),
    }
}

fn line(agent: &AgentView, name_width: usize) -> String {
    let name = pad_str(&agent.name, name_width, Alignment::Left, None);
    let status = status_style(agent.status).apply_to(pad_str(
        agent.status.as_str(),
        11,
        Alignment::Left,
        None,
    ));
    let mut facts: Vec<String> = Vec::new();
    if !agent.blocked_by.is_empty() {
        facts.push(
            style::warn()
                .apply_to(format!("blocked by {}", agent.blocked_by.join(", ")))
                .to_string(),
        );
    } else if let Some(task) = &agent.current_task {
        facts.push(one_line(task));
    }
    match agent.tests_passing {
        Some(true) => facts.push(style::good().apply_to("tests ✓").to_string()),
        Some(false) => facts.push(style::bad().apply_to("tests ✗").to_string()),
        None => {}
    }
    if let Some(score) = agent.review_score {
        let text = format!("review {score}/10");
        facts.push(if score >= 10 {
            style::good().apply_to(text).to_string()
        } else {
            text
        });
    }
    if let Some(pr) = &agent.pr {
        facts.push(if pr.queued {
            format!("PR #{} queued to merge", pr.number)
        } else {
            format!("PR #{}", pr.number)
        });
    }
    if let Some((ahead, behind)) = agent.ahead_behind.filter(|(a, b)| *a + *b > 0) {
        facts.push(format!("↑{ahead} ↓{behind}"));
    }
    if !agent.unmet.is_empty() {
        facts.push(
            style::warn()
                .apply_to(format!("needs {}", agent.unmet.join(", ")))
                .to_string(),
        );
    }
    if let Some(setup) = agent.setup.as_ref().filter(|s| !s.passed) {
        facts.push(
            style::bad()
                .apply_to(format!(
                    "setup failed ({})",
                    setup
                        .exit_code
                        .map_or_else(|| "not started".to_owned(), |c| format!("exit {c}"))
                ))
                .to_string(),
        );
    }
    if agent.at_risk {
        facts.push(
            style::bad()
                .apply_to(format!(
                    "⚠ conflicts with {}",
                    agent.conflicts_with.join(", ")
                ))
                .to_string(),
        );
    }
    if let Some(claim) = &agent.claim {
        let age = agent.lease_age.map_or_else(String::new, |secs| {
            git_agents::time::format_duration(std::time::Duration::from_secs(secs.max(0) as u64))
        });
        if agent.lease_expired {
            facts.push(
                style::warn()
                    .apply_to(format!(
                        "on {}, lease run out (renewed {age} ago)",
                        claim.machine
                    ))
                    .to_string(),
            );
        } else {
            facts.push(format!("on {} (lease renewed {age} ago)", claim.machine));
        }
    }
    if let Some(waiting) = &agent.waiting {
        let question = waiting
            .screen
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        facts.push(
            style::warn()
                .apply_to(format!(
                    "waiting for input: {} (git agents send {} TEXT)",
                    one_line(question),
                    agent.name
                ))
                .to_string(),
        );
    }
    if let Some(findings) = agent
        .findings
        .as_ref()
        .filter(|_| agent.status != Status::Failed)
    {
        facts.push(
            style::warn()
                .apply_to(format!(
                    "back at work: {} (round {})",
                    one_line(&findings.summary),
                    findings.launches + 1
                ))
                .to_string(),
        );
    }
    if let Some(failure) = &agent.failure {
        facts.push(
            style::bad()
                .apply_to(one_line(failure.lines().next().unwrap_or("")))
                .to_string(),
        );
    }
    format!(
        "{}  {} {:>3}%  {}  {}",
        style::name().apply_to(name),
        bar(agent.progress, 10),
        (agent.progress * 100.0).round() as u32,
        status,
        facts.join(" · ")
    )
    .trim_end()
    .to_owned()
}

fn details(agent: &AgentView) -> String {
    let mut text = String::new();
    if !agent.title.is_empty() {
        text.push_str(&format!("  title     {}\n", one_line(&agent.title)));
    }
    text.push_str(&format!("  branch    {}\n", agent.branch));
    text.push_str(&format!(
        "  worktree  {}{}\n",
        agent.worktree,
        if agent.worktree_exists || agent.status == Status::Planned {
            ""
        } else {
            " (missing)"
        }
    ));
    if let Some(head) = &agent.head {
        text.push_str(&format!("  head      {}\n", &head[..head.len().min(12)]));
    }
    if !agent.depends_on.is_empty() {
        text.push_str(&format!("  needs     {}\n", agent.depends_on.join(", ")));
    }
    text.push_str(&format!(
        "  tasks     {}/{} done, {} of {}\n",
        agent.tasks_done,
        agent.tasks_total,
        format_hours(agent.hours_done),
        format_hours(agent.hours_total)
    ));
    if !agent.approvals.is_empty() {
        text.push_str(&format!("  approved  {}\n", agent.approvals.join(", ")));
    }
    if let Some(pr) = &agent.pr {
        text.push_str(&format!("  PR        #{} {}\n", pr.number, pr.url));
    }
    if let Some((ahead, behind)) = agent.ahead_behind {
        text.push_str(&format!(
            "  commits   {ahead} ahead of base, {behind} behind\n"
        ));
    }
    match agent.uncommitted.as_deref() {
        Some([]) => text.push_str("  changes   none uncommitted\n"),
        Some(files) => {
            let shown: Vec<&str> = files.iter().take(5).map(String::as_str).collect();
            let more = if files.len() > 5 {
                format!(" and {} more", files.len() - 5)
            } else {
                String::new()
            };
            text.push_str(&format!(
                "  changes   {} uncommitted: {}{more}\n",
                files.len(),
                shown.join(", ")
            ));
        }
        None => {}
    }
    if let Some(note) = &agent.note {
        text.push_str(&format!(
            "  note      {} ({}, {})\n",
            one_line(&note.text),
            note.by.split(" <").next().unwrap_or(&note.by),
            note.at
        ));
    }
    if !agent.unmet.is_empty() {
        text.push_str(&format!(
            "  to merge  still needs {} (git agents merge {} --dry-run says how)\n",
            agent.unmet.join(", "),
            agent.name
        ));
    }
    if let Some(port) = agent.port {
        text.push_str(&format!("  port      {port}\n"));
    }
    if let Some(setup) = &agent.setup {
        let verdict = if setup.passed { "passed" } else { "failed" };
        text.push_str(&format!(
            "  setup     {verdict}: {} (log: {})\n",
            setup.command, setup.log
        ));
        if let Some(tail) = &setup.tail {
            for line in tail.lines() {
                text.push_str(&format!("            {line}\n"));
            }
        }
    }
    text
}

fn summary(report: &StatusReport) -> String {
    let totals = &report.totals;
    let counts: Vec<String> = totals
        .by_status
        .iter()
        .map(|(status, n)| format!("{n} {status}"))
        .collect();
    let percent = if totals.hours_total > 0.0 {
        totals.hours_done / totals.hours_total * 100.0
    } else {
        0.0
    };
    style::dim()
        .apply_to(format!(
            "{} agent{}: {} · {}/{} tasks · {} of {} ({:.0}%) · {} PR{} open · {} blocked",
            totals.agents,
            if totals.agents == 1 { "" } else { "s" },
            if counts.is_empty() {
                "none".to_owned()
            } else {
                counts.join(", ")
            },
            totals.tasks_done,
            totals.tasks_total,
            format_hours(totals.hours_done),
            format_hours(totals.hours_total),
            percent,
            totals.prs_open,
            if totals.prs_open == 1 { "" } else { "s" },
            totals.blocked
        ))
        .to_string()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use git_agents::ops::StatusTotals;

    /// A made-up agent: every field of an idle planned agent, with `fields` set over them.
    pub(crate) fn agent(fields: serde_json::Value) -> AgentView {
        let mut view = serde_json::json!({
            "name": "api", "title": "The API", "status": "planned", "progress": 0.0,
            "current_task": null, "blocked_by": [], "branch": "feature/api",
            "worktree": "worktrees/api", "worktree_exists": false, "tasks_done": 0,
            "tasks_total": 3, "hours_done": 0.0, "hours_total": 6.0, "head": null,
            "tests_passing": null, "review_score": null, "review_iterations": 0,
            "approvals": [], "pr": null, "failure": null, "findings": null, "waiting": null, "depends_on": [],
            "updated_at": "2026-12-01T10:00:00Z", "at_risk": false, "conflicts_with": [], "unmet": [], "note": null, "ahead_behind": null, "uncommitted": null,
            "port": null, "setup": null,
        });
        for (key, value) in fields.as_object().unwrap() {
            view[key] = value.clone();
        }
        serde_json::from_value(view).unwrap()
    }

    fn report(agents: Vec<AgentView>) -> StatusReport {
        StatusReport {
            base: "main".to_owned(),
            totals: StatusTotals {
                agents: agents.len(),
                by_status: vec![
                    (Status::Planned, 1),
                    (Status::InProgress, 1),
                    (Status::Review, 1),
                ],
                tasks_done: 3,
                tasks_total: 9,
                hours_done: 7.0,
                hours_total: 18.0,
                progress: 7.0 / 18.0,
                prs_open: 0,
                blocked: 1,
            },
            agents,
        }
    }

    fn fleet() -> StatusReport {
        report(vec![
            agent(serde_json::json!({
                "name": "db", "title": "Schema", "status": "review", "progress": 1.0,
                "worktree_exists": true, "tasks_done": 2, "tasks_total": 2, "hours_done": 5.0,
                "hours_total": 5.0, "head": "0123456789abcdef0123456789abcdef01234567",
                "tests_passing": true, "review_score": 9, "review_iterations": 2,
            })),
            agent(serde_json::json!({
                "name": "api", "status": "in_progress", "progress": 0.25,
                "current_task": "Routes", "worktree_exists": true, "tasks_done": 1,
                "hours_done": 2.0, "depends_on": ["db"],
            })),
            agent(serde_json::json!({
                "name": "docs", "title": "Docs", "blocked_by": ["api"], "depends_on": ["api"],
            })),
        ])
    }

    fn args(agent: Option<&str>) -> Args {
        Args {
            agent: agent.map(str::to_owned),
            conflicts: false,
            watch: false,
        }
    }

    #[test]
    fn the_dashboard_of_a_made_up_fleet() {
        console::set_colors_enabled(false);
        insta::assert_snapshot!(render(&fleet(), &args(None)), @"
        db     ██████████ 100%  review       tests ✓ · review 9/10
        api    ███░░░░░░░  25%  in_progress  Routes
        docs   ░░░░░░░░░░   0%  planned      blocked by api
        3 agents: 1 planned, 1 in_progress, 1 review · 3/9 tasks · 7 h of 18 h (39%) · 0 PRs open · 1 blocked
        ");
    }

    #[test]
    fn one_agent_in_detail() {
        console::set_colors_enabled(false);
        let mut one = fleet();
        one.agents.truncate(1);
        insta::assert_snapshot!(render(&one, &args(Some("db"))), @"
        db     ██████████ 100%  review       tests ✓ · review 9/10
          title     Schema
          branch    feature/api
          worktree  worktrees/api
          head      0123456789ab
          tasks     2/2 done, 5 h of 5 h
        3 agents: 1 planned, 1 in_progress, 1 review · 3/9 tasks · 7 h of 18 h (39%) · 0 PRs open · 1 blocked
        ");
    }

    #[test]
    fn an_agent_sent_back_with_findings_says_so_until_it_fails() {
        console::set_colors_enabled(false);
        let findings = serde_json::json!({
            "kind": "review", "summary": "review 4/10, short of 10",
            "file": "/r/.git/agents/logs/api-review-findings.txt", "launches": 1,
        });
        let working = agent(serde_json::json!({ "status": "in_progress", "findings": findings }));
        let failed = agent(serde_json::json!({
            "status": "failed", "findings": findings,
            "failure": "review 4/10, short of 10, after 5 rounds",
        }));
        insta::assert_snapshot!(format!("{}\n{}", line(&working, 4), line(&failed, 4)), @"
        api   ░░░░░░░░░░   0%  in_progress  back at work: review 4/10, short of 10 (round 2)
        api   ░░░░░░░░░░   0%  failed       review 4/10, short of 10, after 5 rounds
        ");
    }

    #[test]
    fn the_json_report_keeps_its_keys() {
        let json = serde_json::to_value(fleet()).unwrap();
        assert_eq!(json["summary"]["by_status"]["in_progress"], 1);
        assert!((json["summary"]["progress"].as_f64().unwrap() - 7.0 / 18.0).abs() < 1e-9);
        assert_eq!(json["agents"][1]["blocked_by"], serde_json::json!([]));
        assert_eq!(json["agents"][2]["blocked_by"][0], "api");
    }
}
