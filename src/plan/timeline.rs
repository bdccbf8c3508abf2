//! The plan's timeline: dependency phases, the critical path, and a schedule with a
//! limited number of agents at once, compared with one agent doing everything in turn.
//!
//! Everything is derived from the plan's estimates through [`crate::plan::graph::Graph`]; the
//! command renders it as a chart.

use serde::Serialize;

use crate::plan::Plan;
use crate::plan::graph::{Graph, ScheduledAgent};

/// One dependency phase: agents whose longest chain of dependencies has the same length.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Phase {
    /// The phase's number, from 1.
    pub number: usize,
    /// Its agents, in plan order.
    pub agents: Vec<String>,
    /// The hours of its longest agent.
    pub hours: f64,
}

/// The timeline of a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeline {
    /// How many agents may work at once in the schedule.
    pub parallel: usize,
    /// The dependency phases, first to last.
    pub phases: Vec<Phase>,
    /// The dependency chain with the most hours, dependencies first.
    pub critical_path: Vec<String>,
    /// The hours of the critical path: no schedule can finish sooner.
    pub critical_hours: f64,
    /// The hours one agent working alone would need.
    pub sequential_hours: f64,
    /// When the last agent ends in the schedule.
    pub makespan_hours: f64,
    /// How many times faster the schedule is than working in sequence (1 for an empty plan).
    pub speedup: f64,
    /// Every agent placed on the schedule, in the order they start.
    pub schedule: Vec<ScheduledAgent>,
}

/// The timeline of `plan` with at most `parallel` agents at once; `None` means one slot
/// per agent, so only the dependencies hold work back.
pub fn timeline(plan: &Plan, parallel: Option<usize>) -> Timeline {
    let graph = Graph::new(plan);
    let parallel = parallel.unwrap_or(plan.agents.len()).max(1);
    let phases = graph
        .phases()
        .into_iter()
        .enumerate()
        .map(|(index, names)| Phase {
            number: index + 1,
            hours: names
                .iter()
                .filter_map(|n| plan.agent(n))
                .map(|a| a.total_hours())
                .fold(0.0, f64::max),
            agents: names.into_iter().map(str::to_owned).collect(),
        })
        .collect();
    let (path, critical_hours) = graph.critical_path();
    let schedule = graph.schedule(parallel);
    let speedup = if schedule.makespan > 0.0 {
        schedule.sequential / schedule.makespan
    } else {
        1.0
    };
    Timeline {
        parallel,
        phases,
        critical_path: path.into_iter().map(str::to_owned).collect(),
        critical_hours,
        sequential_hours: schedule.sequential,
        makespan_hours: schedule.makespan,
        speedup,
        schedule: schedule.slots,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(agents: &[(&str, &[&str], f64)]) -> Plan {
        crate::plan::test_plan(agents)
    }

    #[test]
    fn unlimited_parallelism_finishes_with_the_critical_path() {
        let p = plan(&[
            ("a", &[], 3.0),
            ("b", &[], 10.0),
            ("c", &["a"], 4.0),
            ("d", &["a", "b"], 2.0),
        ]);
        let t = timeline(&p, None);
        assert_eq!(t.parallel, 4);
        assert_eq!(t.critical_path, ["b", "d"]);
        assert_eq!(t.critical_hours, 12.0);
        assert_eq!(t.makespan_hours, 12.0);
        assert_eq!(t.sequential_hours, 19.0);
        assert_eq!(t.phases.len(), 2);
        assert_eq!(t.phases[0].agents, ["a", "b"]);
        assert_eq!(t.phases[0].hours, 10.0);
        assert_eq!(t.phases[1].agents, ["c", "d"]);
        assert!((t.speedup - 19.0 / 12.0).abs() < 1e-9);
    }

    #[test]
    fn one_slot_is_the_sequential_total() {
        let p = plan(&[("a", &[], 3.0), ("b", &["a"], 1.5)]);
        let t = timeline(&p, Some(1));
        assert_eq!(t.makespan_hours, 4.5);
        assert_eq!(t.speedup, 1.0);
        assert!(t.schedule.iter().all(|s| s.slot == 0));
    }

    #[test]
    fn an_empty_plan_has_an_empty_timeline() {
        let t = timeline(&Plan::new("worktrees"), Some(3));
        assert!(t.phases.is_empty() && t.schedule.is_empty());
        assert_eq!(t.speedup, 1.0);
        assert_eq!(t.makespan_hours, 0.0);
    }
}
