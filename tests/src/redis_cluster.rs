use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A Redis Cluster of the calling test's own: three masters (Debian's
/// `redis-server`, 7 or later for sharded pub/sub), no replicas, each on a
/// free port with its own directory for `nodes.conf`; killed (and the
/// directories removed) when dropped.
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<Child>,
    dirs: Vec<PathBuf>,
    /// Where the masters listen, on 127.0.0.1.
    pub ports: Vec<u16>,
}

/// A free port whose cluster bus port (+10000) is free too.
fn free_port() -> u16 {
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        if port < 55_000 && std::net::TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
}

impl RedisCluster {
    /// Starts three masters, joins them with `redis-cli --cluster create`
    /// and waits until every node reports `cluster_state:ok`.
    pub async fn start() -> RedisCluster {
        let mut cluster = RedisCluster {
            nodes: Vec::new(),
            dirs: Vec::new(),
            ports: Vec::new(),
        };
        for _ in 0..3 {
            let port = free_port();
            let dir = std::env::temp_dir().join(format!("socketio-redis-cluster-{}-{port}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("a directory for nodes.conf");
            let mut child = Command::new("redis-server")
                .args([
                    "--port",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--dir",
                ])
                .arg(&dir)
                .args(["--save", "", "--appendonly", "no"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("redis-server runs (scripts/setup installs it)");
            let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
            let ready = async {
                while let Ok(Some(line)) = lines.next_line().await {
                    if line.contains("Ready to accept connections") {
                        return true;
                    }
                }
                false
            };
            let ready = tokio::time::timeout(Duration::from_secs(20), ready).await;
            assert!(matches!(ready, Ok(true)), "redis-server (cluster node) did not start");
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            cluster.nodes.push(child);
            cluster.dirs.push(dir);
            cluster.ports.push(port);
        }
        let created = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(cluster.addresses())
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await
            .expect("redis-cli runs");
        assert!(created.success(), "redis-cli --cluster create failed");
        let ok = async {
            for port in &cluster.ports {
                loop {
                    let info = Command::new("redis-cli")
                        .args(["-p", &port.to_string(), "cluster", "info"])
                        .output()
                        .await
                        .expect("redis-cli runs");
                    if String::from_utf8_lossy(&info.stdout).contains("cluster_state:ok") {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(20), ok)
            .await
            .expect("the cluster reports cluster_state:ok within 20 s");
        cluster
    }

    /// `127.0.0.1:PORT` of each master.
    pub fn addresses(&self) -> Vec<String> {
        self.ports.iter().map(|port| format!("127.0.0.1:{port}")).collect()
    }

    /// fred's URL of the cluster:
    /// `redis-cluster://127.0.0.1:P1?node=127.0.0.1:P2&node=127.0.0.1:P3`.
    pub fn url(&self) -> String {
        let addresses = self.addresses();
        let others: Vec<String> = addresses[1..].iter().map(|a| format!("node={a}")).collect();
        format!("redis-cluster://{}?{}", addresses[0], others.join("&"))
    }

    /// `redis://127.0.0.1:P1`: one node, as a client that discovers the
    /// cluster from any node takes it.
    pub fn node_url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.ports[0])
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            let _ = node.start_kill();
        }
        for dir in &self.dirs {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
