//! Decoded state documents remembered under the git dir, by the id of the blob each was
//! decoded from, so a reading of the state decodes only the documents that changed since
//! the last one.
//!
//! Like git's commit-graph this is derived data: an entry is keyed by its blob id, so it
//! can never disagree with the state ref, and a missing, unreadable or foreign file is
//! ignored (and rewritten by the next reading that misses).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use gix::ObjectId;
use serde::{Deserialize, Serialize};

use super::{AgentState, SCHEMA_VERSION};
use crate::plan::Plan;

/// Which build wrote a cache file; one from any other build is ignored, because its
/// contents were derived by other code.
pub(crate) fn build() -> String {
    format!("{} schema {SCHEMA_VERSION}", env!("CARGO_PKG_VERSION"))
}

/// The documents of one state tree, decoded, by blob id.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Decoded {
    #[serde(default)]
    build: String,
    /// `plan.json` documents (validated, done marks not applied).
    #[serde(default)]
    plans: HashMap<String, Plan>,
    /// `agents/<name>.json` documents.
    #[serde(default)]
    agents: HashMap<String, AgentState>,
}

impl Decoded {
    /// The cache of the repository whose common dir is `common_dir`, or an empty one.
    pub(super) fn load(common_dir: &Path) -> Decoded {
        let Ok(bytes) = std::fs::read(path(common_dir)) else {
            return Decoded::default();
        };
        match serde_json::from_slice::<Decoded>(&bytes) {
            Ok(decoded) if decoded.build == build() => decoded,
            _ => Decoded::default(),
        }
    }

    /// The plan decoded from blob `id`, if remembered.
    pub(super) fn plan(&mut self, id: &ObjectId) -> Option<Plan> {
        self.plans.remove(&id.to_string())
    }

    /// The agent document decoded from blob `id`, if remembered; it is handed over, so
    /// a second agent with the same document takes a copy of the first one's.
    pub(super) fn agent(&mut self, id: &ObjectId) -> Option<AgentState> {
        self.agents.remove(&id.to_string())
    }

    /// Remember exactly these documents, replacing the file atomically; failures are
    /// ignored, since the cache only saves work.
    pub(super) fn store<'a>(
        common_dir: &Path,
        plan: (&ObjectId, &Plan),
        agents: impl Iterator<Item = (&'a ObjectId, &'a AgentState)>,
    ) {
        #[derive(Serialize)]
        struct Out<'a> {
            build: String,
            plans: HashMap<String, &'a Plan>,
            agents: HashMap<String, &'a AgentState>,
        }
        let out = Out {
            build: build(),
            plans: HashMap::from([(plan.0.to_string(), plan.1)]),
            agents: agents.map(|(id, doc)| (id.to_string(), doc)).collect(),
        };
        if let Ok(bytes) = serde_json::to_vec(&out) {
            replace_file(&path(common_dir), &bytes);
        }
    }
}

/// The directory of derived files under the shared git dir `common_dir`.
pub(crate) fn dir(common_dir: &Path) -> PathBuf {
    common_dir.join("agents").join("cache")
}

/// Replace `target` with `bytes` atomically (a temporary file renamed over it), so a
/// reader sees the old file or the new one and never half of one; failures are ignored,
/// since a cache only saves work.
pub(crate) fn replace_file(target: &Path, bytes: &[u8]) {
    let (Some(dir), Some(name)) = (target.parent(), target.file_name()) else {
        return;
    };
    if crate::fsutil::private_dir(dir).is_err() {
        return;
    }
    let prefix = format!(".{}.", name.to_string_lossy());
    remove_abandoned_temporaries(dir, &prefix);
    let temporary = dir.join(format!(
        "{prefix}{}.{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default()
    ));
    if crate::fsutil::write_new(&temporary, bytes).is_err()
        || std::fs::rename(&temporary, target).is_err()
    {
        let _ = std::fs::remove_file(&temporary);
    }
}

/// Temporary files (named `prefix…`) a reader killed between writing and renaming left
/// behind; any older than a minute is no longer being written.
fn remove_abandoned_temporaries(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let abandoned = entry.file_name().to_string_lossy().starts_with(prefix)
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > std::time::Duration::from_secs(60));
        if abandoned {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Where the cache lives: beside the logs, under the shared git dir.
fn path(common_dir: &Path) -> PathBuf {
    dir(common_dir).join("state.json")
}
