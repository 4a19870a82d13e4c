//! Local services for tests and development, run as child processes that cannot outlive us: a
//! small shell watchdog stops the service once the owning process is gone, even after a crash.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The repository root (where `template.yaml`, `node_modules/` and `.venv/` live).
pub fn workspace_root() -> PathBuf {
    std::env::var_os("REMOTE_MCP_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// A service listening on a local port.
#[derive(Debug)]
pub struct LocalProcess {
    endpoint: String,
    pid: u32,
    _watchdog: Child,
}

/// How long a service may take to listen: long enough for a JVM on a loaded machine. A service
/// that exits is noticed at once, so a real failure does not wait this long.
/// `REMOTE_MCP_START_SECONDS` changes it.
fn start_deadline() -> Duration {
    let seconds = std::env::var("REMOTE_MCP_START_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    Duration::from_secs(seconds)
}

/// Fresh ports tried when a service exits before it listens (another process took its port).
const ATTEMPTS: usize = 3;

impl LocalProcess {
    /// Starts `command(port)` on a free loopback port and waits until it accepts connections.
    pub fn start(name: &str, command: impl Fn(u16) -> Vec<String>) -> Result<Self, String> {
        Self::start_on(IpAddr::V4(Ipv4Addr::LOCALHOST), name, command)
    }

    /// As [`LocalProcess::start`], for a service that listens on `address` (which `command` must
    /// pass to it): e.g. a container bridge, so that containers can reach it.
    ///
    /// Holds under load: a service that exits before it listens is noticed at once and started
    /// again on a fresh port (up to three times), and the error shows what it printed; one that
    /// is merely slow gets [`start_deadline`].
    pub fn start_on(
        address: IpAddr,
        name: &str,
        command: impl Fn(u16) -> Vec<String>,
    ) -> Result<Self, String> {
        let mut last = String::new();
        for _ in 0..ATTEMPTS {
            match Self::attempt(address, name, &command)? {
                Ok(process) => return Ok(process),
                Err(exited) => last = exited,
            }
        }
        Err(format!(
            "{name} exited before listening, {ATTEMPTS} times; last output:\n{last}"
        ))
    }

    /// One start: `Ok(Ok(_))` listening, `Ok(Err(output))` exited early, `Err` anything else.
    fn attempt(
        address: IpAddr,
        name: &str,
        command: &impl Fn(u16) -> Vec<String>,
    ) -> Result<Result<Self, String>, String> {
        let port = TcpListener::bind(SocketAddr::new(address, 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("{name}: no free port on {address}: {e}"))?
            .port();
        let log = std::env::temp_dir().join(format!(
            "remote-mcp-{}-{}-{port}.log",
            name.replace(|c: char| !c.is_ascii_alphanumeric(), "-"),
            std::process::id()
        ));
        let script = r#"service="$1"; parent="$2"; log="$3"; shift 3
"$@" >"$log" 2>&1 &
child=$!
echo "$child"
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
kill "$child" 2>/dev/null
wait"#;
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("watchdog")
            .arg(name)
            .arg(std::process::id().to_string())
            .arg(&log)
            .args(command(port))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{name}: {e}"))?;
        let mut first_line = String::new();
        if let Some(stdout) = watchdog.stdout.take() {
            std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut first_line)
                .map_err(|e| format!("{name}: {e}"))?;
        }
        let pid: u32 = first_line
            .trim()
            .parse()
            .map_err(|_| format!("{name}: the watchdog did not report the service's pid"))?;
        let output = || {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(20)..].join("\n")
        };
        let started = Instant::now();
        let deadline = start_deadline();
        // Listening means the service itself listens: when another program took the port between
        // our probe and the service's start, a connection succeeds but reaches that program, and
        // the service, refused the port, exits (and is started again on a fresh one).
        while TcpStream::connect(SocketAddr::new(address, port)).is_err()
            || !listens_in_tree(pid, port)
        {
            // The watchdog ends with the service: an exited watchdog is an exited service.
            if watchdog.try_wait().ok().flatten().is_some() {
                return Ok(Err(output()));
            }
            if started.elapsed() > deadline {
                return Err(format!(
                    "{name}: nothing listens on port {port} after {} s; its output:\n{}",
                    deadline.as_secs(),
                    output()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(Ok(Self {
            endpoint: format!("http://{}", SocketAddr::new(address, port)),
            pid,
            _watchdog: watchdog,
        }))
    }

    /// `http://<address>:<port>`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The service's process id (for tests that suspend it to simulate an outage).
    pub fn pid(&self) -> u32 {
        self.pid
    }
}

/// Whether `pid` or one of its descendants holds a socket listening on `port` (a service started
/// through a wrapper, such as a JVM under `npx`, listens from a child). Linux reads `/proc`;
/// elsewhere any listener counts.
#[cfg(target_os = "linux")]
fn listens_in_tree(pid: u32, port: u16) -> bool {
    let listening = listening_inodes(port);
    if listening.is_empty() {
        return false;
    }
    descendants(pid).into_iter().any(|process| {
        std::fs::read_dir(format!("/proc/{process}/fd"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|fd| std::fs::read_link(fd.path()).ok())
            .filter_map(|target| {
                let target = target.to_string_lossy().into_owned();
                target
                    .strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .parse::<u64>()
                    .ok()
            })
            .any(|inode| listening.contains(&inode))
    })
}

#[cfg(not(target_os = "linux"))]
fn listens_in_tree(_pid: u32, _port: u16) -> bool {
    true
}

/// The inodes of the TCP sockets (IPv4 and IPv6) listening on `port`.
#[cfg(target_os = "linux")]
fn listening_inodes(port: u16) -> Vec<u64> {
    const LISTEN: &str = "0A";
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .flat_map(|table| {
            table
                .lines()
                .skip(1)
                .filter_map(|line| {
                    let fields: Vec<&str> = line.split_whitespace().collect();
                    let local_port = fields.get(1)?.rsplit(':').next()?;
                    let listens = fields.get(3) == Some(&LISTEN)
                        && u16::from_str_radix(local_port, 16).ok() == Some(port);
                    listens.then(|| fields.get(9)?.parse().ok()).flatten()
                })
                .collect::<Vec<u64>>()
        })
        .collect()
}

/// `pid` and every process below it.
#[cfg(target_os = "linux")]
fn descendants(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let process: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
            let parent = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((process, parent))
        })
        .collect();
    let mut tree = vec![pid];
    let mut next = 0;
    while let Some(&parent) = tree.get(next) {
        tree.extend(
            parents
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(child, _)| *child),
        );
        next += 1;
    }
    tree
}

/// A real OpenID Provider (`scripts/oidc-provider.mjs`: the `oidc-provider` npm package, OpenID
/// Certified) on a free loopback port, for federation tests. `clients` is its client list (JSON);
/// its ID tokens live `id_token_seconds`.
pub fn openid_provider(
    clients: &serde_json::Value,
    id_token_seconds: u32,
) -> Result<LocalProcess, String> {
    openid_provider_issuing_id_jags(clients, id_token_seconds, &serde_json::json!({}))
}

/// [`openid_provider`], also issuing ID-JAGs by token exchange to the clients `id_jag_clients`
/// names: `{"<client id there>": "<its client id at our authorization server>"}`.
pub fn openid_provider_issuing_id_jags(
    clients: &serde_json::Value,
    id_token_seconds: u32,
    id_jag_clients: &serde_json::Value,
) -> Result<LocalProcess, String> {
    let root = workspace_root();
    let node = Command::new(root.join("scripts/node.sh"))
        .output()
        .map_err(|e| format!("scripts/node.sh: {e}"))?;
    let node = String::from_utf8_lossy(&node.stdout).trim().to_owned();
    if node.is_empty() {
        return Err("no Node.js 22: run make deps".into());
    }
    let script = root.join("scripts/oidc-provider.mjs").display().to_string();
    let clients = clients.to_string();
    let id_jag_clients = id_jag_clients.to_string();
    LocalProcess::start("OpenID provider", |port| {
        vec![
            node.clone(),
            script.clone(),
            port.to_string(),
            clients.clone(),
            id_token_seconds.to_string(),
            id_jag_clients.clone(),
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_that_exits_before_listening_is_retried_and_its_output_shown() {
        let attempts = std::sync::atomic::AtomicUsize::new(0);
        let err = LocalProcess::start("failing service", |port| {
            attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            vec![
                "sh".into(),
                "-c".into(),
                format!("echo 'cannot bind {port}: boom' >&2; exit 3"),
            ]
        })
        .unwrap_err();
        assert_eq!(attempts.into_inner(), ATTEMPTS, "a fresh port each time");
        assert!(
            err.contains("exited before listening") && err.contains("boom"),
            "{err}"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_port_another_program_listens_on_is_not_the_service_listening() {
        let held = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = held.local_addr().unwrap().port();
        assert!(
            listens_in_tree(std::process::id(), port),
            "our own listener"
        );
        let mut service = Command::new("sleep").arg("5").spawn().unwrap();
        assert!(
            !listens_in_tree(service.id(), port),
            "a connection to the port would succeed, but the service is not the one listening"
        );
        let _ = service.kill();
        let _ = service.wait();
    }

    #[test]
    fn a_slow_service_is_waited_for() {
        let process = LocalProcess::start("slow service", |port| {
            vec![
                "sh".into(),
                "-c".into(),
                format!("sleep 2; exec python3 -m http.server {port} --bind 127.0.0.1"),
            ]
        })
        .unwrap();
        assert!(TcpStream::connect(process.endpoint().trim_start_matches("http://")).is_ok());
    }
}
