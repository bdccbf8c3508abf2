//! The fleet's state in git: `refs/agents/state`, a commit chain whose tree holds
//! `plan.json` and one `agents/<name>.json` status document per agent.
//!
//! Every change is one commit made with compare-and-swap (see [`crate::git::cas`]), so the
//! ref's history is the audit log and concurrent writers never lose an update.

pub(crate) mod cache;
mod log;
mod model;
pub mod notes;
pub mod transitions;
pub mod watch;

pub use log::{LogEntry, read_log};
pub use model::{AgentState, Note, PullRequest, Status};
pub use model::{Claim, Findings, FindingsKind, HookRun};

use std::collections::{BTreeMap, BTreeSet, HashMap};

use gix::ObjectId;
use gix::object::tree::EntryKind;

use crate::git::cas::{self, CasError, Step, Tip};
use crate::plan::Plan;

/// The ref that holds the fleet's state.
pub const STATE_REF: &str = "refs/agents/state";
/// The schema version this build writes; a state with a higher version is refused.
pub const SCHEMA_VERSION: u32 = 1;
/// Path of the plan document inside the state tree.
pub const PLAN_PATH: &str = "plan.json";
/// Directory of the per-agent documents inside the state tree.
pub const AGENTS_DIR: &str = "agents";

/// What can go wrong with the state ref.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// There is no state ref yet.
    #[error("no git-agents state in this repository; run `git agents init --plan FILE` first")]
    NotInitialized,
    /// `init` would overwrite existing state.
    #[error(
        "this repository already has git-agents state ({agents} agents); pass --force to replace the plan (history is kept in {STATE_REF})"
    )]
    AlreadyInitialized { agents: usize },
    /// The state commit has no `plan.json`.
    #[error(
        "{STATE_REF} ({commit}) has no plan.json; restore an earlier state with `git update-ref {STATE_REF} {STATE_REF}~1` or re-run `git agents init --force`"
    )]
    MissingPlan { commit: String },
    /// A document in the state tree is not valid JSON of the expected shape.
    #[error(
        "{STATE_REF}:{path} is not valid: {message}; restore an earlier state with `git update-ref {STATE_REF} {STATE_REF}~1`"
    )]
    BadDocument { path: String, message: String },
    /// The state was written by a newer git-agents.
    #[error(
        "{STATE_REF} was written by a newer git-agents (schema version {found}, this one reads up to {SCHEMA_VERSION}); upgrade git-agents"
    )]
    NewerVersion { found: u64 },
    /// A write would move an agent's status along an edge the state machine forbids.
    #[error("{message}")]
    IllegalTransition {
        /// Which agent, from where to where, and why not, in one line.
        message: String,
    },
    /// Reading or writing the ref failed.
    #[error(transparent)]
    Cas(#[from] CasError),
}

/// One consistent reading of the state: the plan (with task done marks filled in from
/// the agents' documents) and every agent's status document.
#[derive(Debug, Clone)]
pub struct State {
    /// The commit this was read from, `None` for state not yet written.
    pub tip: Option<Tip>,
    /// The plan; `plan.base` is always set.
    pub plan: Plan,
    /// Status documents by agent name; every agent of the plan has one.
    pub agents: BTreeMap<String, AgentState>,
    loaded: HashMap<String, ObjectId>,
}

impl State {
    /// A new state for `plan`, every agent planned and its checked tasks done.
    pub fn new(plan: Plan) -> State {
        let mut state = State {
            tip: None,
            plan,
            agents: BTreeMap::new(),
            loaded: HashMap::new(),
        };
        state.take_done_marks();
        state
    }

    /// Make `plan` the plan. The tasks it marks done (a plan file's checked tasks, or the
    /// marks of a plan edited by hand) become the agents' done tasks, which are the one
    /// record of them: the stored plan carries no marks.
    pub fn adopt_plan(&mut self, plan: Plan) {
        self.plan = plan;
        self.take_done_marks();
    }

    /// Move the plan's done marks into the agents' documents.
    fn take_done_marks(&mut self) {
        let mut marks = Vec::new();
        for spec in &mut self.plan.agents {
            let done: BTreeSet<usize> = spec
                .tasks
                .iter_mut()
                .enumerate()
                .filter_map(|(index, task)| std::mem::take(&mut task.done).then_some(index + 1))
                .collect();
            marks.push((spec.name.clone(), done));
        }
        self.ensure_agent_documents();
        for (name, done) in marks {
            if let Some(doc) = self.agents.get_mut(&name) {
                doc.done_tasks = done;
            }
        }
    }

    /// The tasks of `name` that are done, by number from 1.
    pub fn done_tasks(&self, name: &str) -> &BTreeSet<usize> {
        static NONE: BTreeSet<usize> = BTreeSet::new();
        self.agents.get(name).map_or(&NONE, |doc| &doc.done_tasks)
    }

    /// Whether task `number` (from 1) of `name` is done.
    pub fn task_done(&self, name: &str, number: usize) -> bool {
        self.done_tasks(name).contains(&number)
    }

    /// The plan as people see it: each task marked done as its agent's document records.
    /// A copy for showing, exporting and editing; the state keeps marks only in the
    /// documents.
    pub fn plan_view(&self) -> Plan {
        let mut plan = self.plan.clone();
        for spec in &mut plan.agents {
            let done = self.done_tasks(&spec.name);
            for (index, task) in spec.tasks.iter_mut().enumerate() {
                task.done = done.contains(&(index + 1));
            }
        }
        plan
    }

    /// The base branch agents start from and merge into.
    pub fn base(&self) -> &str {
        self.plan.base.as_deref().unwrap_or("main")
    }

    /// The status document of `name`.
    pub fn agent(&self, name: &str) -> Option<&AgentState> {
        self.agents.get(name)
    }

    /// A copy of `name`'s status document, or a planned one if it has none.
    pub fn document(&self, name: &str) -> AgentState {
        self.agents
            .get(name)
            .cloned()
            .unwrap_or_else(AgentState::planned)
    }

    /// The status document of `name`, for changing it.
    pub fn agent_mut(&mut self, name: &str) -> Option<&mut AgentState> {
        self.agents.get_mut(name)
    }

    /// Names of `name`'s dependencies that are not merged yet, in plan order.
    pub fn unmerged_dependencies(&self, name: &str) -> Vec<String> {
        match self.plan.agent(name) {
            Some(spec) => self.unmerged_dependencies_of(spec),
            None => Vec::new(),
        }
    }

    /// The dependencies of the agent `spec` describes that are not merged yet, without
    /// looking the agent up by name (for views of every agent at once).
    pub fn unmerged_dependencies_of(&self, spec: &crate::plan::AgentSpec) -> Vec<String> {
        spec.depends_on
            .iter()
            .filter(|d| {
                !self
                    .agents
                    .get(d.as_str())
                    .is_some_and(|a| a.status.is_merged())
            })
            .cloned()
            .collect()
    }

    /// Give every agent of the plan a status document, drop documents of agents no longer
    /// in it, and forget done marks and a current task past the end of an agent's tasks.
    pub fn ensure_agent_documents(&mut self) {
        let names: std::collections::HashSet<&str> =
            self.plan.agents.iter().map(|a| a.name.as_str()).collect();
        self.agents.retain(|name, _| names.contains(name.as_str()));
        for spec in &self.plan.agents {
            let doc = self
                .agents
                .entry(spec.name.clone())
                .or_insert_with(AgentState::planned);
            let count = spec.tasks.len();
            doc.done_tasks.retain(|n| (1..=count).contains(n));
            if doc
                .current_task
                .is_some_and(|n| n == 0 || n > spec.tasks.len())
            {
                doc.current_task = None;
            }
        }
    }

    /// Read the state from the tip of `repo`'s state ref; `None` if there is none.
    pub fn read(repo: &gix::Repository) -> Result<Option<State>, StateError> {
        match cas::read_tip(repo, STATE_REF)? {
            None => Ok(None),
            Some(tip) => State::read_documents(repo, tip, true).map(Some),
        }
    }

    /// Read the state, failing with [`StateError::NotInitialized`] when there is none.
    pub fn load(repo: &gix::Repository) -> Result<State, StateError> {
        State::read(repo)?.ok_or(StateError::NotInitialized)
    }

    /// Read the state held by the commit `tip`.
    pub fn read_at(repo: &gix::Repository, tip: Tip) -> Result<State, StateError> {
        State::read_documents(repo, tip, false)
    }

    /// Read the state held by `tip`, taking documents already decoded from the cache;
    /// `remember` writes the cache again when a document had to be decoded.
    fn read_documents(
        repo: &gix::Repository,
        tip: Tip,
        remember: bool,
    ) -> Result<State, StateError> {
        let tree =
            cas::find_tree(repo, tip.tree).map_err(|e| git_err("reading the state tree", e))?;
        let mut cached = cache::Decoded::load(repo.common_dir());
        let mut decoded_any = false;
        let mut loaded = HashMap::new();
        let mut plan = None;
        let mut agents: BTreeMap<String, AgentState> = BTreeMap::new();
        let mut taken: HashMap<ObjectId, String> = HashMap::new();
        for entry in tree.iter() {
            let entry = entry.map_err(|e| git_err("reading the state tree", e))?;
            let name = entry.filename().to_string();
            if name == PLAN_PATH && entry.mode().is_blob() {
                let id = entry.oid().to_owned();
                plan = Some(match cached.plan(&id) {
                    Some(plan) => plan,
                    None => {
                        decoded_any = true;
                        decode_plan(&read_blob(repo, id, PLAN_PATH)?)?
                    }
                });
                loaded.insert(PLAN_PATH.to_owned(), id);
            } else if name == AGENTS_DIR && entry.mode().is_tree() {
                let agents_tree = cas::find_tree(repo, entry.oid().to_owned())
                    .map_err(|e| git_err("reading the agents tree", e))?;
                for agent_entry in agents_tree.iter() {
                    let agent_entry =
                        agent_entry.map_err(|e| git_err("reading the agents tree", e))?;
                    let file = agent_entry.filename().to_string();
                    let Some(agent) = file.strip_suffix(".json") else {
                        continue;
                    };
                    let path = format!("{AGENTS_DIR}/{file}");
                    let id = agent_entry.oid().to_owned();
                    let twin = taken.get(&id).and_then(|twin| agents.get(twin));
                    let doc = match cached.agent(&id).or_else(|| twin.cloned()) {
                        Some(doc) => doc,
                        None => {
                            decoded_any = true;
                            decode_agent(&path, &read_blob(repo, id, &path)?)?
                        }
                    };
                    loaded.insert(path, id);
                    taken.entry(id).or_insert_with(|| agent.to_owned());
                    agents.insert(agent.to_owned(), doc);
                }
            }
        }
        let plan = plan.ok_or_else(|| StateError::MissingPlan {
            commit: tip.commit.to_hex_with_len(12).to_string(),
        })?;
        let mut state = State {
            tip: Some(tip),
            plan,
            agents,
            loaded,
        };
        if remember && decoded_any {
            state.remember(repo);
        }
        for spec in &state.plan.agents {
            state
                .agents
                .entry(spec.name.clone())
                .or_insert_with(AgentState::planned);
        }
        Ok(state)
    }

    /// Write the documents as read to the cache, for the next reading.
    fn remember(&self, repo: &gix::Repository) {
        let Some(plan_id) = self.loaded.get(PLAN_PATH) else {
            return;
        };
        let agents = self.agents.iter().filter_map(|(name, doc)| {
            self.loaded
                .get(&format!("{AGENTS_DIR}/{name}.json"))
                .map(|id| (id, doc))
        });
        cache::Decoded::store(repo.common_dir(), (plan_id, &self.plan), agents);
    }

    /// Write the documents that differ from what was read and return the new root tree,
    /// or `None` when nothing differs.
    fn write_tree(
        &mut self,
        repo: &gix::Repository,
        identity: &str,
    ) -> Result<Option<ObjectId>, StateError> {
        self.ensure_agent_documents();
        let now = crate::time::now_rfc3339();
        let mut changes: Vec<(String, Option<Vec<u8>>)> = Vec::new();
        let plan_bytes = encode_plan(&self.plan);
        if self.loaded.get(PLAN_PATH) != Some(&blob_id(repo, &plan_bytes)) {
            changes.push((PLAN_PATH.to_owned(), Some(plan_bytes)));
        }
        for (name, doc) in &mut self.agents {
            let path = format!("{AGENTS_DIR}/{name}.json");
            let bytes = encode_json(doc);
            if self.loaded.get(&path) != Some(&blob_id(repo, &bytes)) {
                doc.updated_at = now.clone();
                doc.updated_by = identity.to_owned();
                changes.push((path, Some(encode_json(doc))));
            }
        }
        for path in self.loaded.keys() {
            if let Some(name) = path
                .strip_prefix(&format!("{AGENTS_DIR}/"))
                .and_then(|p| p.strip_suffix(".json"))
                && !self.agents.contains_key(name)
            {
                changes.push((path.clone(), None));
            }
        }
        if changes.is_empty() {
            return Ok(None);
        }
        let base_tree = self
            .tip
            .map(|t| t.tree)
            .unwrap_or_else(|| ObjectId::empty_tree(repo.object_hash()));
        let mut editor = repo
            .edit_tree(base_tree)
            .map_err(|e| git_err("editing the state tree", e))?;
        for (path, bytes) in changes {
            match bytes {
                Some(bytes) => {
                    let id = cas::retry_object_write(|| repo.write_blob(&bytes))
                        .map_err(|e| git_err("writing a state document", e))?;
                    editor
                        .upsert(path.as_str(), EntryKind::Blob, id)
                        .map_err(|e| git_err("editing the state tree", e))?;
                    self.loaded.insert(path, id.detach());
                }
                None => {
                    editor
                        .remove(path.as_str())
                        .map_err(|e| git_err("editing the state tree", e))?;
                    self.loaded.remove(&path);
                }
            }
        }
        let tree = cas::retry_object_write(|| editor.write())
            .map_err(|e| git_err("writing the state tree", e))?;
        Ok(Some(tree.detach()))
    }
}

/// How a change to the state went.
pub struct Updated<T> {
    /// What the change returned.
    pub value: T,
    /// The state after the change.
    pub state: State,
    /// The new state commit, `None` when the change changed nothing.
    pub commit: Option<ObjectId>,
}

/// Change the state with compare-and-swap: `change` is applied to a fresh reading of the
/// state, as often as needed until the write wins, and returns the commit message and a
/// value. A change that leaves every document as it was writes nothing.
pub fn update<T, E>(
    repo: &gix::Repository,
    change: impl FnMut(&mut State) -> Result<(String, T), E>,
) -> Result<Updated<T>, E>
where
    E: From<StateError> + From<CasError>,
{
    update_from(repo, None, change)
}

/// Like [`update`], but the first attempt starts from `known`, a state just read with
/// [`State::load`], if the ref has not moved since, instead of reading it again.
pub fn update_from<T, E>(
    repo: &gix::Repository,
    known: Option<State>,
    change: impl FnMut(&mut State) -> Result<(String, T), E>,
) -> Result<Updated<T>, E>
where
    E: From<StateError> + From<CasError>,
{
    update_ref(repo, STATE_REF, known, change)
}

/// Like [`update_from`], on a state chain kept under another ref: a remote's, fetched
/// into a tracking ref, to be pushed back with a lease.
pub fn update_ref<T, E>(
    repo: &gix::Repository,
    name: &str,
    known: Option<State>,
    mut change: impl FnMut(&mut State) -> Result<(String, T), E>,
) -> Result<Updated<T>, E>
where
    E: From<StateError> + From<CasError>,
{
    let identity = cas::identity(repo)?;
    let mut known = known;
    let mut last_state = None;
    let written = cas::update(repo, name, |tip| -> Result<Step<T>, E> {
        let tip = tip.copied().ok_or(StateError::NotInitialized)?;
        let mut state = match known.take() {
            Some(state) if state.tip == Some(tip) => state,
            _ => State::read_at(repo, tip)?,
        };
        let before: Vec<(String, Status)> = state
            .agents
            .iter()
            .map(|(name, doc)| (name.clone(), doc.status))
            .collect();
        let (message, value) = change(&mut state)?;
        for (name, from) in before {
            if let Some(to) = state.agents.get(&name).map(|doc| doc.status)
                && let Some(message) = transitions::refusal(&name, from, to)
            {
                return Err(StateError::IllegalTransition { message }.into());
            }
        }
        let tree = state.write_tree(repo, &identity)?;
        last_state = Some(state);
        Ok(match tree {
            Some(tree) => Step::Commit {
                tree,
                message,
                value,
            },
            None => Step::Unchanged(value),
        })
    })?;
    let mut state = last_state.expect("an update that succeeded read the state");
    if let Some(commit) = written.commit {
        state.tip = Some(cas::tip_of(repo, name, commit)?);
    }
    Ok(Updated {
        value: written.value,
        state,
        commit: written.commit,
    })
}

/// Write `state` as a fresh state (its documents only), on top of whatever the ref held;
/// a ref that holds no commit chain is replaced by a new root commit.
/// `check` is told whether a state exists and may refuse.
pub fn replace<E>(
    repo: &gix::Repository,
    message: &str,
    state: State,
    mut check: impl FnMut(bool) -> Result<(), E>,
) -> Result<Updated<()>, E>
where
    E: From<StateError> + From<CasError>,
{
    let identity = cas::identity(repo)?;
    if let Err(CasError::NotACommit { .. } | CasError::Missing { .. }) =
        cas::read_tip(repo, STATE_REF)
    {
        check(true)?;
        let mut fresh = state;
        fresh.tip = None;
        fresh.loaded.clear();
        let tree = fresh
            .write_tree(repo, &identity)?
            .expect("a fresh state always has documents");
        let commit = cas::overwrite(repo, STATE_REF, message, tree)?;
        return Ok(Updated {
            value: (),
            state: finish(repo, fresh, Some(commit))?,
            commit: Some(commit),
        });
    }
    let mut last_state = None;
    let written = cas::update(repo, STATE_REF, |tip| -> Result<Step<()>, E> {
        check(tip.is_some())?;
        let mut fresh = state.clone();
        fresh.tip = None;
        fresh.loaded.clear();
        let tree = fresh
            .write_tree(repo, &identity)?
            .expect("a fresh state always has documents");
        last_state = Some(fresh);
        Ok(Step::Commit {
            tree,
            message: message.to_owned(),
            value: (),
        })
    })?;
    let state = last_state.expect("a replace that succeeded built the state");
    Ok(Updated {
        value: (),
        state: finish(repo, state, written.commit)?,
        commit: written.commit,
    })
}

/// The bytes of `plan.json` for `plan`, exactly as every state write encodes them.
pub fn encode_plan_document(plan: &Plan) -> Vec<u8> {
    encode_plan(plan)
}

/// The bytes of `agents/<name>.json` for `doc`, exactly as every state write encodes them.
pub fn encode_agent_document(doc: &AgentState) -> Vec<u8> {
    encode_json(doc)
}

/// Read the bytes of a `plan.json`, refusing one written by a newer schema.
pub fn decode_plan_document(data: &[u8]) -> Result<Plan, StateError> {
    decode_plan(data)
}

/// The state as written: documents and blob ids are those of the new commit already.
fn finish(
    repo: &gix::Repository,
    mut state: State,
    commit: Option<ObjectId>,
) -> Result<State, CasError> {
    if let Some(commit) = commit {
        state.tip = Some(cas::tip_of(repo, STATE_REF, commit)?);
    }
    Ok(state)
}

fn git_err(doing: &str, err: impl std::fmt::Display) -> StateError {
    StateError::Cas(CasError::Git(format!("{doing}: {err}")))
}

fn read_blob(repo: &gix::Repository, id: ObjectId, path: &str) -> Result<Vec<u8>, StateError> {
    let object = cas::find_object(repo, id)
        .map_err(|e| git_err(&format!("reading {path}"), e))?
        .ok_or_else(|| StateError::BadDocument {
            path: path.to_owned(),
            message: format!("object {id} is missing"),
        })?;
    Ok(object.detach().data)
}

fn blob_id(repo: &gix::Repository, bytes: &[u8]) -> ObjectId {
    gix::objs::compute_hash(repo.object_hash(), gix::object::Kind::Blob, bytes)
        .unwrap_or_else(|_| repo.object_hash().null())
}

fn encode_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("state documents always serialize");
    bytes.push(b'\n');
    bytes
}

/// `plan.json`: the schema version, then the plan (which holds no done marks: those
/// live in the agents' documents).
fn encode_plan(plan: &Plan) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct PlanDocument<'p> {
        version: u32,
        #[serde(flatten)]
        plan: &'p Plan,
    }
    encode_json(&PlanDocument {
        version: SCHEMA_VERSION,
        plan,
    })
}

/// Read an agent's status document, stored at `path` in the state tree.
pub fn decode_agent(path: &str, data: &[u8]) -> Result<AgentState, StateError> {
    serde_json::from_slice(data).map_err(|e| StateError::BadDocument {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// Read `plan.json` as stored in the state tree, refusing a newer schema version and a
/// plan that breaks the rules every imported plan keeps.
pub fn decode_plan(data: &[u8]) -> Result<Plan, StateError> {
    let bad = |message: String| StateError::BadDocument {
        path: PLAN_PATH.to_owned(),
        message,
    };
    #[derive(serde::Deserialize)]
    struct Header {
        #[serde(default)]
        version: Option<serde_json::Value>,
    }
    let header: Header = serde_json::from_slice(data).map_err(|e| bad(e.to_string()))?;
    let version = header
        .version
        .and_then(|v| v.as_u64())
        .ok_or_else(|| bad("no schema version".to_owned()))?;
    if version > u64::from(SCHEMA_VERSION) {
        return Err(StateError::NewerVersion { found: version });
    }
    let plan: Plan = serde_json::from_slice(data).map_err(|e| bad(e.to_string()))?;
    plan.validate().map_err(|e| bad(e.to_string()))?;
    Ok(plan)
}
