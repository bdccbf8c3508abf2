//! `status --watch` in a pipe: a dashboard first, and another one each time the state changes.

use crate::common;

use std::io::Read;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Repo;

/// A child process killed when the test ends, however it ends.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(output: &Arc<Mutex<String>>, what: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let text = output.lock().unwrap().clone();
        if what(&text) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "timed out; output so far:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn dashboards(text: &str) -> usize {
    text.matches(" agents: ").count()
}

#[test]
fn watch_prints_a_new_dashboard_when_the_state_changes() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "backend-agent"]).ok();
    let binary = common::bin_dir().join("git-agents");
    let mut child = Killed(
        repo.command(binary.to_str().unwrap(), &repo.root)
            .args(["status", "--watch"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let output = Arc::new(Mutex::new(String::new()));
    let mut stdout = child.0.stdout.take().unwrap();
    let sink = Arc::clone(&output);
    let reader = std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buffer) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
    });

    let first = wait_for(&output, |t| dashboards(t) == 1);
    assert!(first.contains("0/38 tasks"), "{first}");
    assert!(!first.contains('\x1b'), "no screen control codes in a pipe");

    // Nothing changed: no second dashboard after a few polls.
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(dashboards(&output.lock().unwrap()), 1);

    repo.agents(&["task", "done", "1", "--agent", "backend-agent"])
        .ok();
    let second = wait_for(&output, |t| dashboards(t) == 2);
    assert!(second.contains("1/38 tasks"), "{second}");

    // Another agent fails: the next dashboard says why.
    repo.agents(&[
        "update",
        "--agent",
        "rag-agent",
        "--status",
        "failed",
        "--note",
        "disk full",
    ])
    .ok();
    let third = wait_for(&output, |t| dashboards(t) == 3);
    assert!(third.contains("disk full"), "{third}");

    drop(child);
    reader.join().unwrap();
}
