//! Three-way merges of the state's documents and of notes, without git: the inputs are
//! the documents at the merge base and on both sides, the output the merged documents
//! and every true conflict.
//!
//! - A document changed on one side only takes that side.
//! - `plan.json` merges per field, its agents matched by name.
//! - An agent's document merges per field; `done_tasks` and `notes` merge as sets
//!   (what either side added is kept, what one side removed while the other left it
//!   alone is removed), and `updated_at`/`updated_by` come from the side changed last.
//! - A field both sides changed to different values is a true conflict: it is reported,
//!   and the side chosen by a rule that does not depend on who merges wins (for an agent,
//!   the document changed last; for the plan, the state commit made last), so two
//!   machines merging the same histories reach the same result.
//! - A note is the set of its lines, ordered by their `at` time.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::state::{
    AGENTS_DIR, AgentState, PLAN_PATH, decode_plan_document, encode_agent_document,
    encode_plan_document,
};

/// Documents by path inside a tree.
pub type Documents = BTreeMap<String, Vec<u8>>;

/// Which side of a merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// This repository's side.
    Ours,
    /// The remote's side.
    Theirs,
}

/// A field both sides changed to different values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    /// The document, e.g. `agents/backend-agent.json`.
    pub document: String,
    /// The field inside it, e.g. `status` or `agents.backend-agent.title`; empty for the whole document.
    pub field: String,
    /// Our value (`null` when we deleted it).
    pub ours: Value,
    /// Their value (`null` when they deleted it).
    pub theirs: Value,
    /// Which side's value was kept.
    pub kept: Side,
    /// Why that side.
    pub reason: String,
}

impl Conflict {
    /// One line for people.
    pub fn describe(&self) -> String {
        let place = if self.field.is_empty() {
            self.document.clone()
        } else {
            format!("{} {}", self.document, self.field)
        };
        format!(
            "{place}: ours {}, theirs {}; kept {} ({})",
            compact(&self.ours),
            compact(&self.theirs),
            match self.kept {
                Side::Ours => "ours",
                Side::Theirs => "theirs",
            },
            self.reason
        )
    }
}

fn compact(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

/// Who wins a true conflict, and why.
#[derive(Debug, Clone)]
struct Rule {
    side: Side,
    reason: String,
}

/// How a merge of the state's documents went.
#[derive(Debug, Clone, Default)]
pub struct MergedStates {
    /// The merged documents.
    pub documents: Documents,
    /// Paths whose content differs from ours.
    pub changed: Vec<String>,
    /// Every true conflict.
    pub conflicts: Vec<Conflict>,
}

/// Merge the state's documents. `plan_winner` decides true conflicts in documents that
/// carry no time of their own (the plan): the side whose state commit is newer.
pub fn merge_state(
    base: &Documents,
    ours: &Documents,
    theirs: &Documents,
    plan_winner: Side,
) -> MergedStates {
    let plan_rule = Rule {
        side: plan_winner,
        reason: "its state was changed last".to_owned(),
    };
    let mut conflicts = Vec::new();
    let mut documents = Documents::new();
    let paths: BTreeSet<&String> = base
        .keys()
        .chain(ours.keys())
        .chain(theirs.keys())
        .collect();
    for path in paths {
        let (b, o, t) = (base.get(path), ours.get(path), theirs.get(path));
        let merged = if o == t || t == b {
            o.cloned()
        } else if o == b {
            t.cloned()
        } else {
            merge_document(path, b, o, t, &plan_rule, &mut conflicts)
        };
        if let Some(bytes) = merged {
            documents.insert(path.clone(), bytes);
        }
    }
    normalize(&mut documents, ours, &mut conflicts);
    let changed = documents
        .iter()
        .filter(|(path, bytes)| ours.get(*path) != Some(*bytes))
        .map(|(path, _)| path.clone())
        .chain(
            ours.keys()
                .filter(|path| !documents.contains_key(*path))
                .cloned(),
        )
        .collect();
    MergedStates {
        documents,
        changed,
        conflicts,
    }
}

/// A document both sides changed.
fn merge_document(
    path: &str,
    base: Option<&Vec<u8>>,
    ours: Option<&Vec<u8>>,
    theirs: Option<&Vec<u8>>,
    plan_rule: &Rule,
    conflicts: &mut Vec<Conflict>,
) -> Option<Vec<u8>> {
    let parse = |bytes: Option<&Vec<u8>>| -> Result<Option<Value>, ()> {
        bytes
            .map(|b| serde_json::from_slice::<Value>(b).map_err(drop))
            .transpose()
    };
    let (Ok(b), Ok(o), Ok(t)) = (parse(base), parse(ours), parse(theirs)) else {
        conflicts.push(Conflict {
            document: path.to_owned(),
            field: String::new(),
            ours: Value::Null,
            theirs: Value::Null,
            kept: Side::Ours,
            reason: "not JSON on both sides".to_owned(),
        });
        return ours.cloned();
    };
    let (Some(o), Some(t)) = (o, t) else {
        let kept = if ours.is_some() {
            Side::Ours
        } else {
            Side::Theirs
        };
        conflicts.push(Conflict {
            document: path.to_owned(),
            field: String::new(),
            ours: if ours.is_some() {
                Value::String("changed".into())
            } else {
                Value::Null
            },
            theirs: if theirs.is_some() {
                Value::String("changed".into())
            } else {
                Value::Null
            },
            kept,
            reason: "one side deleted what the other changed; the change is kept".to_owned(),
        });
        return ours.or(theirs).cloned();
    };
    let is_agent = path
        .strip_prefix(&format!("{AGENTS_DIR}/"))
        .is_some_and(|p| p.ends_with(".json") && !p.contains('/'));
    let merged = if is_agent {
        merge_agent(path, b.as_ref(), &o, &t, conflicts)
    } else {
        let mut found = Vec::new();
        let value = merge_value(
            b.as_ref(),
            Some(&o),
            Some(&t),
            "",
            true,
            plan_rule,
            &mut found,
        )
        .unwrap_or(Value::Null);
        conflicts.extend(found.into_iter().map(|c| Conflict {
            document: path.to_owned(),
            ..c
        }));
        value
    };
    let mut bytes = serde_json::to_vec_pretty(&merged).unwrap_or_default();
    bytes.push(b'\n');
    Some(bytes)
}

/// An agent's document, per field.
fn merge_agent(
    path: &str,
    base: Option<&Value>,
    ours: &Value,
    theirs: &Value,
    conflicts: &mut Vec<Conflict>,
) -> Value {
    let stamp = |v: &Value| {
        v.get("updated_at")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let rule = match stamp(ours).cmp(&stamp(theirs)) {
        std::cmp::Ordering::Greater => Rule {
            side: Side::Ours,
            reason: "our document was changed last".to_owned(),
        },
        std::cmp::Ordering::Less => Rule {
            side: Side::Theirs,
            reason: "their document was changed last".to_owned(),
        },
        std::cmp::Ordering::Equal => Rule {
            side: if greater_or_equal(&ours.to_string(), &theirs.to_string()) {
                Side::Ours
            } else {
                Side::Theirs
            },
            reason: "both changed in the same second; the greater value wins".to_owned(),
        },
    };
    let empty = serde_json::Map::new();
    let field = |v: Option<&Value>, key: &str| v.and_then(|v| v.get(key)).cloned();
    let keys: BTreeSet<&String> = base
        .and_then(Value::as_object)
        .unwrap_or(&empty)
        .keys()
        .chain(ours.as_object().unwrap_or(&empty).keys())
        .chain(theirs.as_object().unwrap_or(&empty).keys())
        .collect();
    let mut merged = serde_json::Map::new();
    for key in keys {
        let (b, o, t) = (
            field(base, key),
            field(Some(ours), key),
            field(Some(theirs), key),
        );
        let value = match key.as_str() {
            "done_tasks" | "notes" => {
                Some(Value::Array(merge_set(b.as_ref(), o.as_ref(), t.as_ref())))
            }
            "updated_at" | "updated_by" => match rule.side {
                Side::Ours => o,
                Side::Theirs => t,
            },
            _ => {
                let mut found = Vec::new();
                let value = merge_value(
                    b.as_ref(),
                    o.as_ref(),
                    t.as_ref(),
                    key,
                    false,
                    &rule,
                    &mut found,
                );
                conflicts.extend(found.into_iter().map(|c| Conflict {
                    document: path.to_owned(),
                    ..c
                }));
                value
            }
        };
        if let Some(value) = value {
            merged.insert(key.clone(), value);
        }
    }
    Value::Object(merged)
}

/// Three-way merge of one value (`None`: absent). Objects merge per key when `recurse`;
/// lists of objects with a `name` merge per name; anything else both sides changed
/// differently is a conflict, recorded in `found` and decided by `rule`.
fn merge_value(
    base: Option<&Value>,
    ours: Option<&Value>,
    theirs: Option<&Value>,
    path: &str,
    recurse: bool,
    rule: &Rule,
    found: &mut Vec<Conflict>,
) -> Option<Value> {
    if ours == theirs || theirs == base {
        return ours.cloned();
    }
    if ours == base {
        return theirs.cloned();
    }
    if recurse {
        match (ours, theirs) {
            (Some(Value::Object(o)), Some(Value::Object(t))) => {
                let empty = serde_json::Map::new();
                let b = base.and_then(Value::as_object).unwrap_or(&empty);
                let keys: BTreeSet<&String> = b.keys().chain(o.keys()).chain(t.keys()).collect();
                let mut merged = serde_json::Map::new();
                for key in keys {
                    let child = join(path, key);
                    if let Some(value) = merge_value(
                        b.get(key),
                        o.get(key),
                        t.get(key),
                        &child,
                        true,
                        rule,
                        found,
                    ) {
                        merged.insert(key.clone(), value);
                    }
                }
                return Some(Value::Object(merged));
            }
            (Some(Value::Array(o)), Some(Value::Array(t)))
                if named(o)
                    && named(t)
                    && base.is_none_or(|b| b.as_array().is_some_and(|b| named(b))) =>
            {
                let b = base.and_then(Value::as_array).cloned().unwrap_or_default();
                return Some(Value::Array(merge_named(&b, o, t, path, rule, found)));
            }
            _ => {}
        }
    }
    let (kept, reason) = match (ours, theirs) {
        (None, _) => (
            Side::Theirs,
            "their change is kept over our deletion".to_owned(),
        ),
        (_, None) => (
            Side::Ours,
            "our change is kept over their deletion".to_owned(),
        ),
        _ => (rule.side, rule.reason.clone()),
    };
    found.push(Conflict {
        document: String::new(),
        field: path.to_owned(),
        ours: ours.cloned().unwrap_or(Value::Null),
        theirs: theirs.cloned().unwrap_or(Value::Null),
        kept,
        reason,
    });
    match kept {
        Side::Ours => ours.cloned(),
        Side::Theirs => theirs.cloned(),
    }
}

fn greater_or_equal(a: &str, b: &str) -> bool {
    a >= b
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn name_of(value: &Value) -> Option<&str> {
    value.get("name").and_then(Value::as_str)
}

fn named(items: &[Value]) -> bool {
    let mut seen = BTreeSet::new();
    items
        .iter()
        .all(|i| name_of(i).is_some_and(|n| seen.insert(n)))
}

/// Lists of objects keyed by `name`: our order, then what only they added, in their order.
fn merge_named(
    base: &[Value],
    ours: &[Value],
    theirs: &[Value],
    path: &str,
    rule: &Rule,
    found: &mut Vec<Conflict>,
) -> Vec<Value> {
    let find =
        |items: &[Value], name: &str| items.iter().find(|i| name_of(i) == Some(name)).cloned();
    let mut order: Vec<&str> = ours.iter().filter_map(name_of).collect();
    for name in theirs.iter().filter_map(name_of) {
        if !order.contains(&name) {
            order.push(name);
        }
    }
    for name in base.iter().filter_map(name_of) {
        if !order.contains(&name) {
            order.push(name);
        }
    }
    order
        .into_iter()
        .filter_map(|name| {
            let (b, o, t) = (find(base, name), find(ours, name), find(theirs, name));
            merge_value(
                b.as_ref(),
                o.as_ref(),
                t.as_ref(),
                &join(path, name),
                true,
                rule,
                found,
            )
        })
        .collect()
}

/// Three-way merge of a set: kept where both still have it, or where either side added it.
fn merge_set(base: Option<&Value>, ours: Option<&Value>, theirs: Option<&Value>) -> Vec<Value> {
    let items = |v: Option<&Value>| v.and_then(Value::as_array).cloned().unwrap_or_default();
    let (b, o, t) = (items(base), items(ours), items(theirs));
    if o == t || t == b {
        return o;
    }
    if o == b {
        return t;
    }
    let mut merged: Vec<Value> = Vec::new();
    for item in o.iter().chain(&t) {
        let keep = (o.contains(item) && t.contains(item)) || !b.contains(item);
        if keep && !merged.contains(item) {
            merged.push(item.clone());
        }
    }
    merged.sort_by_key(|item| (sort_time(item), item.to_string()));
    merged
}

fn sort_time(item: &Value) -> String {
    item.get("at")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

/// Re-encode merged documents the way the state writes them, drop documents of agents
/// the merged plan no longer has, and fall back to our plan if the merged one is invalid.
fn normalize(documents: &mut Documents, ours: &Documents, conflicts: &mut Vec<Conflict>) {
    let plan = documents.get(PLAN_PATH).map(|bytes| {
        decode_plan_document(bytes)
            .map_err(|e| e.to_string())
            .and_then(|plan| plan.validate().map(|()| plan).map_err(|e| e.to_string()))
    });
    let plan = match plan {
        Some(Ok(plan)) => Some(plan),
        Some(Err(error)) => {
            conflicts.push(Conflict {
                document: PLAN_PATH.to_owned(),
                field: String::new(),
                ours: Value::String("our plan".into()),
                theirs: Value::String("their plan".into()),
                kept: Side::Ours,
                reason: format!("the merged plan is invalid ({error})"),
            });
            match ours.get(PLAN_PATH) {
                Some(bytes) => {
                    documents.insert(PLAN_PATH.to_owned(), bytes.clone());
                    decode_plan_document(bytes).ok()
                }
                None => None,
            }
        }
        None => None,
    };
    if let Some(plan) = &plan {
        documents.insert(PLAN_PATH.to_owned(), encode_plan_document(plan));
    }
    let prefix = format!("{AGENTS_DIR}/");
    let agent_paths: Vec<String> = documents
        .keys()
        .filter(|p| p.starts_with(&prefix))
        .cloned()
        .collect();
    for path in agent_paths {
        let Some(name) = path
            .strip_prefix(&prefix)
            .and_then(|p| p.strip_suffix(".json"))
        else {
            continue;
        };
        if plan.as_ref().is_some_and(|p| p.agent(name).is_none()) {
            documents.remove(&path);
            continue;
        }
        if let Some(doc) = documents
            .get(&path)
            .and_then(|bytes| serde_json::from_slice::<AgentState>(bytes).ok())
        {
            documents.insert(path, encode_agent_document(&doc));
        }
    }
}

/// Merge notes (annotated object → note text) as sets of lines ordered by time.
pub fn merge_notes(
    base: &BTreeMap<String, Vec<u8>>,
    ours: &BTreeMap<String, Vec<u8>>,
    theirs: &BTreeMap<String, Vec<u8>>,
) -> BTreeMap<String, Vec<u8>> {
    let objects: BTreeSet<&String> = base
        .keys()
        .chain(ours.keys())
        .chain(theirs.keys())
        .collect();
    let mut merged = BTreeMap::new();
    for object in objects {
        let (b, o, t) = (base.get(object), ours.get(object), theirs.get(object));
        let note = if o == t || t == b {
            o.cloned()
        } else if o == b {
            t.cloned()
        } else {
            Some(union_lines(b, o, t))
        };
        if let Some(note) = note {
            merged.insert(object.clone(), note);
        }
    }
    merged
}

fn union_lines(
    base: Option<&Vec<u8>>,
    ours: Option<&Vec<u8>>,
    theirs: Option<&Vec<u8>>,
) -> Vec<u8> {
    let lines = |bytes: Option<&Vec<u8>>| -> Vec<Value> {
        bytes
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| Value::String(l.to_owned()))
            .collect()
    };
    let merged = merge_set(
        Some(&Value::Array(lines(base))),
        Some(&Value::Array(lines(ours))),
        Some(&Value::Array(lines(theirs))),
    );
    let mut keyed: Vec<(String, String)> = merged
        .into_iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .map(|line| {
            let at = serde_json::from_str::<Value>(&line)
                .ok()
                .map(|v| sort_time(&v))
                .unwrap_or_default();
            (at, line)
        })
        .collect();
    keyed.sort();
    let mut text = Vec::new();
    for (_, line) in keyed {
        text.extend_from_slice(line.as_bytes());
        text.push(b'\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn docs(entries: &[(&str, Value)]) -> Documents {
        entries
            .iter()
            .map(|(path, value)| {
                let mut bytes = serde_json::to_vec_pretty(value).unwrap();
                bytes.push(b'\n');
                ((*path).to_owned(), bytes)
            })
            .collect()
    }

    fn agent(status: &str, done: &[u32], notes: &[&str], at: &str) -> Value {
        json!({
            "status": status,
            "done_tasks": done,
            "notes": notes.iter().map(|n| json!({"at": format!("2030-01-01T00:00:0{n}Z"), "by": "x", "text": n})).collect::<Vec<_>>(),
            "updated_at": at,
            "updated_by": "someone",
        })
    }

    fn read(merged: &MergedStates, path: &str) -> Value {
        serde_json::from_slice(&merged.documents[path]).unwrap()
    }

    #[test]
    fn fields_changed_on_different_sides_both_survive() {
        let base = docs(&[("agents/a.json", agent("planned", &[1], &[], "t0"))]);
        let mut ours_doc = agent("in_progress", &[1, 2], &["1"], "t1");
        ours_doc["current_task"] = json!(3);
        let ours = docs(&[("agents/a.json", ours_doc)]);
        let theirs = docs(&[("agents/a.json", agent("planned", &[1, 4], &["2"], "t2"))]);
        let merged = merge_state(&base, &ours, &theirs, Side::Ours);
        assert!(merged.conflicts.is_empty(), "{:?}", merged.conflicts);
        let doc = read(&merged, "agents/a.json");
        assert_eq!(doc["status"], "in_progress");
        assert_eq!(doc["current_task"], 3);
        assert_eq!(doc["done_tasks"], json!([1, 2, 4]));
        let notes: Vec<&str> = doc["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["text"].as_str().unwrap())
            .collect();
        assert_eq!(notes, ["1", "2"]);
        assert_eq!(doc["updated_at"], "t2");
        assert_eq!(merged.changed, ["agents/a.json"]);
    }

    #[test]
    fn a_removal_on_one_side_is_kept() {
        let base = docs(&[("agents/a.json", agent("in_progress", &[1, 2], &[], "t0"))]);
        let ours = docs(&[("agents/a.json", agent("in_progress", &[1], &[], "t1"))]);
        let theirs = docs(&[("agents/a.json", agent("review", &[1, 2, 3], &[], "t2"))]);
        let doc = read(
            &merge_state(&base, &ours, &theirs, Side::Ours),
            "agents/a.json",
        );
        assert_eq!(doc["done_tasks"], json!([1, 3]));
        assert_eq!(doc["status"], "review");
    }

    #[test]
    fn true_conflicts_are_reported_and_decided_the_same_from_both_sides() {
        let base = docs(&[("agents/a.json", agent("in_progress", &[], &[], "t0"))]);
        let ours = docs(&[("agents/a.json", agent("review", &[], &[], "t1"))]);
        let theirs = docs(&[("agents/a.json", agent("failed", &[], &[], "t2"))]);
        let one = merge_state(&base, &ours, &theirs, Side::Ours);
        let other = merge_state(&base, &theirs, &ours, Side::Theirs);
        assert_eq!(one.documents, other.documents);
        assert_eq!(read(&one, "agents/a.json")["status"], "failed");
        assert_eq!(one.conflicts.len(), 1);
        let conflict = &one.conflicts[0];
        assert_eq!(conflict.field, "status");
        assert_eq!(conflict.kept, Side::Theirs);
        assert_eq!(
            conflict.describe(),
            "agents/a.json status: ours \"review\", theirs \"failed\"; kept theirs (their document was changed last)"
        );

        let same_second = docs(&[("agents/a.json", agent("failed", &[], &[], "t1"))]);
        let one = merge_state(&base, &ours, &same_second, Side::Ours);
        let other = merge_state(&base, &same_second, &ours, Side::Theirs);
        assert_eq!(one.documents, other.documents);
        assert_eq!(one.conflicts.len(), 1);
    }

    #[test]
    fn one_sided_changes_and_additions_pass_through() {
        let base = docs(&[("x.json", json!({"a": 1}))]);
        let ours = docs(&[
            ("x.json", json!({"a": 1})),
            ("agents/new.json", agent("planned", &[], &[], "t")),
        ]);
        let theirs = docs(&[("x.json", json!({"a": 2}))]);
        let merged = merge_state(&base, &ours, &theirs, Side::Ours);
        assert!(merged.conflicts.is_empty());
        assert_eq!(read(&merged, "x.json"), json!({"a": 2}));
        assert!(merged.documents.contains_key("agents/new.json"));
    }

    #[test]
    fn named_lists_merge_per_name() {
        let rule = Rule {
            side: Side::Ours,
            reason: String::new(),
        };
        let base = json!({"agents": [{"name": "a", "title": "A"}, {"name": "b", "title": "B"}]});
        let ours = json!({"agents": [{"name": "a", "title": "A2"}, {"name": "b", "title": "B"}, {"name": "c"}]});
        let theirs = json!({"agents": [{"name": "b", "title": "B3"}, {"name": "d"}]});
        let mut found = Vec::new();
        let merged = merge_value(
            Some(&base),
            Some(&ours),
            Some(&theirs),
            "",
            true,
            &rule,
            &mut found,
        )
        .unwrap();
        assert_eq!(
            merged,
            json!({"agents": [
                {"name": "a", "title": "A2"},
                {"name": "b", "title": "B3"},
                {"name": "c"},
                {"name": "d"}
            ]}),
            "a was deleted by them and changed by us: the change is kept"
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].field, "agents.a");
        assert_eq!(found[0].kept, Side::Ours);
    }

    #[test]
    fn notes_merge_as_lines_in_time_order() {
        let line = |at: u32, what: &str| {
            format!("{{\"at\":\"2030-01-01T00:00:0{at}Z\",\"kind\":\"{what}\"}}\n")
        };
        let base: BTreeMap<String, Vec<u8>> = [("c1".to_owned(), line(1, "x").into_bytes())].into();
        let ours: BTreeMap<String, Vec<u8>> = [
            (
                "c1".to_owned(),
                format!("{}{}", line(1, "x"), line(3, "y")).into_bytes(),
            ),
            ("c2".to_owned(), line(5, "z").into_bytes()),
        ]
        .into();
        let theirs: BTreeMap<String, Vec<u8>> = [
            (
                "c1".to_owned(),
                format!("{}{}", line(1, "x"), line(2, "w")).into_bytes(),
            ),
            ("c3".to_owned(), line(6, "v").into_bytes()),
        ]
        .into();
        let merged = merge_notes(&base, &ours, &theirs);
        assert_eq!(
            String::from_utf8(merged["c1"].clone()).unwrap(),
            format!("{}{}{}", line(1, "x"), line(2, "w"), line(3, "y"))
        );
        assert!(merged.contains_key("c2") && merged.contains_key("c3"));
        assert_eq!(merge_notes(&base, &theirs, &ours), merged);
    }
}
