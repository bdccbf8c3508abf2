//! The dependency graph of a plan: cycles, merge order, phases, critical path and schedule.
//!
//! Edges point from an agent to the agents it depends on. Every walk is iterative, so
//! plans with very long dependency chains cannot overflow the stack, and every answer
//! is deterministic: ties are broken by plan order.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};

use serde::Serialize;

use crate::plan::Plan;

/// The dependency graph over the agents of one plan.
#[derive(Debug, Clone)]
pub struct Graph<'a> {
    names: Vec<&'a str>,
    hours: Vec<f64>,
    index: HashMap<&'a str, usize>,
    dependencies: Vec<Vec<usize>>,
    dependents: Vec<Vec<usize>>,
}

/// One agent placed on the timeline by [`Graph::schedule`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduledAgent {
    /// The agent's name.
    pub name: String,
    /// When it starts, in hours from the beginning.
    pub start: f64,
    /// When it ends, in hours from the beginning.
    pub end: f64,
    /// Which of the parallel slots runs it, from 0.
    pub slot: usize,
}

/// A timeline for running the plan with a limited number of agents at once.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schedule {
    /// The agents in the order they start.
    pub slots: Vec<ScheduledAgent>,
    /// When the last agent ends, in hours.
    pub makespan: f64,
    /// The hours one agent working alone would need.
    pub sequential: f64,
}

impl<'a> Graph<'a> {
    /// The graph of `plan`; dependencies on names the plan does not define are left out.
    pub fn new(plan: &'a Plan) -> Self {
        let names: Vec<&'a str> = plan.agents.iter().map(|a| a.name.as_str()).collect();
        let mut index = HashMap::with_capacity(names.len());
        for (position, name) in names.iter().enumerate() {
            index.entry(*name).or_insert(position);
        }
        let mut dependencies = Vec::with_capacity(names.len());
        let mut dependents = vec![Vec::new(); names.len()];
        for (position, agent) in plan.agents.iter().enumerate() {
            let mut direct: Vec<usize> = agent
                .depends_on
                .iter()
                .filter_map(|d| index.get(d.as_str()).copied())
                .collect();
            direct.sort_unstable();
            direct.dedup();
            for &dependency in &direct {
                dependents[dependency].push(position);
            }
            dependencies.push(direct);
        }
        let hours = plan.agents.iter().map(|a| a.total_hours()).collect();
        Graph {
            names,
            hours,
            index,
            dependencies,
            dependents,
        }
    }

    /// A dependency cycle as names, the first repeated at the end (`a → b → a`), if there is one.
    pub fn find_cycle(&self) -> Option<Vec<String>> {
        const UNSEEN: u8 = 0;
        const ON_PATH: u8 = 1;
        const DONE: u8 = 2;
        let mut state = vec![UNSEEN; self.names.len()];
        let mut path: Vec<(usize, usize)> = Vec::new();
        for root in 0..self.names.len() {
            if state[root] != UNSEEN {
                continue;
            }
            state[root] = ON_PATH;
            path.push((root, 0));
            while let Some(top) = path.last_mut() {
                let node = top.0;
                let Some(&next) = self.dependencies[node].get(top.1) else {
                    state[node] = DONE;
                    path.pop();
                    continue;
                };
                top.1 += 1;
                match state[next] {
                    UNSEEN => {
                        state[next] = ON_PATH;
                        path.push((next, 0));
                    }
                    ON_PATH => {
                        let start = path.iter().position(|&(n, _)| n == next).unwrap_or(0);
                        let mut cycle: Vec<String> = path[start..]
                            .iter()
                            .map(|&(n, _)| self.names[n].to_owned())
                            .collect();
                        cycle.push(self.names[next].to_owned());
                        return Some(cycle);
                    }
                    _ => {}
                }
            }
        }
        None
    }

    /// Every agent, dependencies before dependents, ties in plan order (assumes no cycle).
    pub fn topological_order(&self) -> Vec<&'a str> {
        self.order_indices()
            .into_iter()
            .map(|i| self.names[i])
            .collect()
    }

    fn order_indices(&self) -> Vec<usize> {
        let count = self.names.len();
        let mut waiting_on: Vec<usize> = self.dependencies.iter().map(Vec::len).collect();
        let mut ready: BinaryHeap<Reverse<usize>> = (0..count)
            .filter(|&i| waiting_on[i] == 0)
            .map(Reverse)
            .collect();
        let mut placed = vec![false; count];
        let mut order = Vec::with_capacity(count);
        while let Some(Reverse(node)) = ready.pop() {
            placed[node] = true;
            order.push(node);
            for &dependent in &self.dependents[node] {
                waiting_on[dependent] -= 1;
                if waiting_on[dependent] == 0 {
                    ready.push(Reverse(dependent));
                }
            }
        }
        order.extend((0..count).filter(|&i| !placed[i]));
        order
    }

    /// The agents grouped by the length of their longest dependency chain, each group in plan order.
    pub fn phases(&self) -> Vec<Vec<&'a str>> {
        let mut level = vec![0usize; self.names.len()];
        for node in self.order_indices() {
            level[node] = self.dependencies[node]
                .iter()
                .map(|&d| level[d] + 1)
                .max()
                .unwrap_or(0);
        }
        let mut phases: Vec<Vec<&'a str>> = Vec::new();
        for (node, &phase) in level.iter().enumerate() {
            if phases.len() <= phase {
                phases.resize_with(phase + 1, Vec::new);
            }
            phases[phase].push(self.names[node]);
        }
        phases
    }

    /// The direct dependencies of `name`, in plan order.
    pub fn dependencies(&self, name: &str) -> Vec<&'a str> {
        self.index.get(name).map_or_else(Vec::new, |&i| {
            self.dependencies[i]
                .iter()
                .map(|&d| self.names[d])
                .collect()
        })
    }

    /// Everything `name` needs, directly or through other agents, in plan order.
    pub fn transitive_dependencies(&self, name: &str) -> Vec<&'a str> {
        self.reachable(name, &self.dependencies)
    }

    /// The agents that depend directly on `name`, in plan order.
    pub fn dependents(&self, name: &str) -> Vec<&'a str> {
        self.index.get(name).map_or_else(Vec::new, |&i| {
            self.dependents[i].iter().map(|&d| self.names[d]).collect()
        })
    }

    /// Every agent that needs `name`, directly or through other agents, in plan order.
    pub fn transitive_dependents(&self, name: &str) -> Vec<&'a str> {
        self.reachable(name, &self.dependents)
    }

    fn reachable(&self, name: &str, edges: &[Vec<usize>]) -> Vec<&'a str> {
        let Some(&start) = self.index.get(name) else {
            return Vec::new();
        };
        let mut seen = vec![false; self.names.len()];
        let mut stack = vec![start];
        while let Some(node) = stack.pop() {
            for &next in &edges[node] {
                if !seen[next] {
                    seen[next] = true;
                    stack.push(next);
                }
            }
        }
        seen[start] = false;
        seen.iter()
            .enumerate()
            .filter(|&(_, &s)| s)
            .map(|(i, _)| self.names[i])
            .collect()
    }

    /// The dependency chain with the most hours of work, dependencies first, and its hours.
    pub fn critical_path(&self) -> (Vec<&'a str>, f64) {
        let count = self.names.len();
        let mut longest = vec![0.0f64; count];
        let mut previous: Vec<Option<usize>> = vec![None; count];
        for node in self.order_indices() {
            let mut best: Option<usize> = None;
            for &dependency in &self.dependencies[node] {
                if best.is_none_or(|b| longest[dependency] > longest[b]) {
                    best = Some(dependency);
                }
            }
            previous[node] = best;
            longest[node] = self.hours[node] + best.map_or(0.0, |b| longest[b]);
        }
        let mut end: Option<usize> = None;
        for node in 0..count {
            if end.is_none_or(|e| longest[node] > longest[e]) {
                end = Some(node);
            }
        }
        let Some(end) = end else {
            return (Vec::new(), 0.0);
        };
        let mut chain = vec![self.names[end]];
        let mut cursor = previous[end];
        while let Some(node) = cursor {
            if chain.len() > count {
                break;
            }
            chain.push(self.names[node]);
            cursor = previous[node];
        }
        chain.reverse();
        (chain, longest[end])
    }

    /// Hours from each agent's start to the end of the longest chain of work that waits on it.
    fn remaining_path(&self) -> Vec<f64> {
        let mut remaining = vec![0.0f64; self.names.len()];
        for node in self.order_indices().into_iter().rev() {
            let after = self.dependents[node]
                .iter()
                .map(|&d| remaining[d])
                .fold(0.0, f64::max);
            remaining[node] = self.hours[node] + after;
        }
        remaining
    }

    /// A timeline with at most `parallel` agents at once (at least one): each agent starts
    /// once its dependencies have ended and a slot is free, the longest remaining chain first.
    pub fn schedule(&self, parallel: usize) -> Schedule {
        let parallel = parallel.max(1);
        let priority = self.remaining_path();
        let mut waiting_on: Vec<usize> = self.dependencies.iter().map(Vec::len).collect();
        let mut ready: BinaryHeap<Ready> = (0..self.names.len())
            .filter(|&i| waiting_on[i] == 0)
            .map(|i| Ready {
                priority: priority[i],
                node: i,
            })
            .collect();
        let mut free_slots: BinaryHeap<Reverse<usize>> = (0..parallel.min(self.names.len().max(1)))
            .map(Reverse)
            .collect();
        let mut running: BinaryHeap<Running> = BinaryHeap::new();
        let mut slots = Vec::with_capacity(self.names.len());
        let mut now = 0.0f64;
        let mut makespan = 0.0f64;
        loop {
            while !ready.is_empty() {
                let Some(Reverse(slot)) = free_slots.pop() else {
                    break;
                };
                let Some(Ready { node, .. }) = ready.pop() else {
                    break;
                };
                let end = now + self.hours[node];
                makespan = makespan.max(end);
                running.push(Running { end, node, slot });
                slots.push(ScheduledAgent {
                    name: self.names[node].to_owned(),
                    start: now,
                    end,
                    slot,
                });
            }
            let Some(first) = running.pop() else {
                break;
            };
            now = first.end;
            let mut finished = vec![first];
            while running.peek().is_some_and(|r| r.end == now) {
                finished.extend(running.pop());
            }
            for done in finished {
                free_slots.push(Reverse(done.slot));
                for &dependent in &self.dependents[done.node] {
                    waiting_on[dependent] -= 1;
                    if waiting_on[dependent] == 0 {
                        ready.push(Ready {
                            priority: priority[dependent],
                            node: dependent,
                        });
                    }
                }
            }
        }
        Schedule {
            slots,
            makespan,
            sequential: self.hours.iter().fold(0.0, |sum, h| sum + h),
        }
    }
}

/// An agent waiting for a slot: the longest remaining chain first, then plan order.
struct Ready {
    priority: f64,
    node: usize,
}

impl Ord for Ready {
    fn cmp(&self, other: &Self) -> Ordering {
        self.priority
            .total_cmp(&other.priority)
            .then_with(|| other.node.cmp(&self.node))
    }
}

impl PartialOrd for Ready {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ready {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ready {}

/// An agent at work: the earliest end first, then the lowest slot.
struct Running {
    end: f64,
    node: usize,
    slot: usize,
}

impl Ord for Running {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .end
            .total_cmp(&self.end)
            .then_with(|| other.slot.cmp(&self.slot))
    }
}

impl PartialOrd for Running {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Running {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Running {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::AgentSpec;

    fn plan(edges: &[(&str, &[&str], f64)]) -> Plan {
        crate::plan::test_plan(edges)
    }

    #[test]
    fn finds_cycles_and_self_loops() {
        let two = plan(&[("a", &["b"], 1.0), ("b", &["a"], 1.0)]);
        assert_eq!(
            Graph::new(&two).find_cycle(),
            Some(vec!["a".to_owned(), "b".to_owned(), "a".to_owned()])
        );
        let own = plan(&[("x", &[], 1.0), ("a", &["a"], 1.0)]);
        assert_eq!(
            Graph::new(&own).find_cycle(),
            Some(vec!["a".to_owned(), "a".to_owned()])
        );
        let tail = plan(&[("a", &["b"], 1.0), ("b", &["c"], 1.0), ("c", &["b"], 1.0)]);
        assert_eq!(
            Graph::new(&tail).find_cycle(),
            Some(vec!["b".to_owned(), "c".to_owned(), "b".to_owned()])
        );
        let acyclic = plan(&[("a", &["b", "c"], 1.0), ("b", &["c"], 1.0), ("c", &[], 1.0)]);
        assert_eq!(Graph::new(&acyclic).find_cycle(), None);
    }

    #[test]
    fn ignores_unknown_dependencies() {
        let p = plan(&[("a", &["ghost"], 1.0)]);
        let graph = Graph::new(&p);
        assert_eq!(graph.find_cycle(), None);
        assert_eq!(graph.topological_order(), ["a"]);
        assert!(graph.dependencies("a").is_empty());
        assert!(graph.dependents("ghost").is_empty());
    }

    #[test]
    fn orders_dependencies_first_ties_in_plan_order() {
        let p = plan(&[
            ("d", &["b"], 1.0),
            ("a", &[], 1.0),
            ("b", &[], 1.0),
            ("c", &["a", "d"], 1.0),
        ]);
        let graph = Graph::new(&p);
        assert_eq!(graph.topological_order(), ["a", "b", "d", "c"]);
        assert_eq!(graph.phases(), vec![vec!["a", "b"], vec!["d"], vec!["c"]]);
        assert_eq!(graph.transitive_dependencies("c"), ["d", "a", "b"]);
        assert_eq!(graph.dependents("b"), ["d"]);
        assert_eq!(graph.transitive_dependents("b"), ["d", "c"]);
    }

    #[test]
    fn critical_path_and_schedule() {
        let p = plan(&[
            ("a", &[], 2.0),
            ("b", &[], 5.0),
            ("c", &["a"], 4.0),
            ("d", &["b"], 0.5),
        ]);
        let graph = Graph::new(&p);
        assert_eq!(graph.critical_path(), (vec!["a", "c"], 6.0));
        let wide = graph.schedule(4);
        assert_eq!(wide.makespan, 6.0);
        assert_eq!(wide.sequential, 11.5);
        let single = graph.schedule(1);
        assert_eq!(single.makespan, 11.5);
        assert_eq!(
            single
                .slots
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>(),
            ["a", "b", "c", "d"]
        );
        assert_eq!(graph.schedule(0), single);
    }

    #[test]
    fn empty_plan_has_empty_answers() {
        let p = Plan::new("worktrees");
        let graph = Graph::new(&p);
        assert_eq!(graph.critical_path(), (Vec::new(), 0.0));
        assert!(graph.phases().is_empty());
        assert_eq!(graph.schedule(3).makespan, 0.0);
    }

    #[test]
    fn long_chains_do_not_overflow_the_stack() {
        let names: Vec<String> = (0..10_000).map(|i| format!("agent-{i}")).collect();
        let mut p = Plan::new("worktrees");
        for (i, name) in names.iter().enumerate() {
            let depends_on = if i + 1 < names.len() {
                vec![names[i + 1].clone()]
            } else {
                vec![names[0].clone()]
            };
            p.agents.push(AgentSpec {
                name: name.clone(),
                title: String::new(),
                branch: format!("agents/{name}"),
                worktree: format!("worktrees/{name}"),
                depends_on,
                tasks: Vec::new(),
                command: None,
                cli: None,
            });
        }
        let cycle = Graph::new(&p)
            .find_cycle()
            .expect("the chain closes into a cycle");
        assert_eq!(cycle.len(), 10_001);
        if let Some(last) = p.agents.last_mut() {
            last.depends_on.clear();
        }
        let graph = Graph::new(&p);
        assert_eq!(graph.find_cycle(), None);
        assert_eq!(graph.phases().len(), 10_000);
        assert_eq!(graph.topological_order().first(), Some(&"agent-9999"));
    }
}
