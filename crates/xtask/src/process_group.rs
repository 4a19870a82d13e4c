//! Tools this crate starts and stops (`sam local start-api`, `cargo lambda watch`), each leading
//! its own process group so that stopping it also stops what it started (containers' clients,
//! function processes).
//!
//! Signals go to the group through `killpg(2)`, never through the `kill` command: procps-ng's
//! `kill -s INT -1234` reads `-1234` as options and signals group 1, and `-1…` means every
//! process on the machine.

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A child process leading its own process group; dropping it stops the group: SIGINT first
/// when the tool cleans up after itself on an interrupt (`grace` to do so), then SIGKILL for
/// whatever is left.
pub struct ProcessGroup {
    child: Child,
    grace: Duration,
}

impl ProcessGroup {
    /// Starts `command` as the leader of a new process group.
    pub fn spawn(command: &mut Command, grace: Duration) -> std::io::Result<Self> {
        let child = command.process_group(0).spawn()?;
        Ok(Self { child, grace })
    }

    /// The leader, to wait on or to ask whether it has exited.
    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    fn signal(&self, signal: Signal) {
        // The group's id is its leader's process id (never 0 or 1: those are not our children).
        if let Ok(id) = i32::try_from(self.child.id())
            && id > 1
        {
            let _ = killpg(Pid::from_raw(id), signal);
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        if !self.grace.is_zero() {
            self.signal(Signal::SIGINT);
            let deadline = Instant::now() + self.grace;
            while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        // What is left: the leader, or processes it started that outlived it.
        self.signal(Signal::SIGKILL);
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alive(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            // A process that has exited but is not yet reaped is a zombie: state Z.
            .is_ok_and(|stat| {
                stat.rsplit(") ")
                    .next()
                    .is_some_and(|s| !s.starts_with('Z'))
            })
    }

    fn started(pid_file: &std::path::Path) -> u32 {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(pid) = std::fs::read_to_string(pid_file)
                .ok()
                .and_then(|s| s.trim().parse().ok())
            {
                return pid;
            }
            assert!(
                Instant::now() < deadline,
                "the group's grandchild never started"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn stopping_a_group_stops_what_it_started_and_nothing_else() {
        let dir = std::env::temp_dir().join(format!("process-group-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pid_file = dir.join("grandchild");
        // Outside the group: another process group of this test's, as make and CI are.
        let mut bystander = Command::new("sleep")
            .arg("60")
            .process_group(0)
            .spawn()
            .unwrap();
        let group = ProcessGroup::spawn(
            Command::new("sh")
                .arg("-c")
                .arg("sleep 60 & echo $! > \"$1\"; wait")
                .arg("sh")
                .arg(&pid_file),
            Duration::from_millis(500),
        )
        .unwrap();
        let grandchild = started(&pid_file);
        assert!(alive(grandchild));

        drop(group);

        let deadline = Instant::now() + Duration::from_secs(10);
        while alive(grandchild) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            !alive(grandchild),
            "a process the leader started outlived the group"
        );
        assert!(
            matches!(bystander.try_wait(), Ok(None)),
            "a process outside the group was signalled"
        );
        bystander.kill().unwrap();
        bystander.wait().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
