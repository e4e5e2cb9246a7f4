//! The measuring child and the processes it started (a served candidate's
//! server): their memory counts as the unit's. Linux lists a thread's children
//! in /proc/PID/task/TID/children; elsewhere only the child itself is seen.
use std::path::Path;

/// At most this many processes are followed (a fork bomb is not our unit).
const MAX_PROCESSES: usize = 64;

/// `pid` and its descendants, `pid` first.
pub fn process_tree(pid: u32) -> Vec<u32> {
    process_tree_in(Path::new("/proc"), pid)
}

fn process_tree_in(proc_root: &Path, pid: u32) -> Vec<u32> {
    let mut tree = vec![pid];
    let mut next = 0;
    while next < tree.len() && tree.len() < MAX_PROCESSES {
        let parent = tree[next];
        next += 1;
        for child in children(proc_root, parent) {
            if !tree.contains(&child) && tree.len() < MAX_PROCESSES {
                tree.push(child);
            }
        }
    }
    tree
}

fn children(proc_root: &Path, pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(proc_root.join(pid.to_string()).join("task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|text| {
            text.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(root: &Path, pid: u32, tid: u32, children: &str) {
        let dir = root.join(format!("{pid}/task/{tid}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("children"), children).unwrap();
    }

    #[test]
    fn descendants_of_every_thread_are_followed_once() {
        let root = tempfile::tempdir().unwrap();
        task(root.path(), 10, 10, "11 ");
        task(root.path(), 10, 12, "13");
        task(root.path(), 11, 11, "14 10");
        assert_eq!(process_tree_in(root.path(), 10).len(), 4);
        assert_eq!(process_tree_in(root.path(), 10)[0], 10);
        assert_eq!(process_tree_in(root.path(), 99), vec![99]);
    }

    #[test]
    fn this_process_sees_a_child_it_started() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let tree = process_tree(std::process::id());
        let _ = child.kill();
        let _ = child.wait();
        assert!(tree.contains(&child.id()), "{tree:?}");
    }
}
