//! `boxoffice serve` as a child process: several instances on one database, or a server that is
//! killed with SIGKILL and started again on the same data.

use crate::helpers::{fresh_pg_database, Db, TestApp};
use boxoffice::clock::Clock;
use boxoffice::config::Config;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

/// Where the servers of one test keep their data: a fresh PostgreSQL database, or (SQLite) the
/// data folder of the first instance.
pub struct Deployment {
    pub db: Db,
    pub database_url: Option<String>,
    /// Instance `n` uses `dirs[n]` as its data folder; with SQLite they all use `dirs[0]`.
    dirs: Vec<Arc<tempfile::TempDir>>,
    logs: tempfile::TempDir,
}

impl Deployment {
    pub async fn new(db: Db, instances: usize) -> Deployment {
        let database_url = match db {
            Db::Postgres => Some(fresh_pg_database().await),
            Db::Sqlite => None,
        };
        Deployment {
            db,
            database_url,
            dirs: (0..instances.max(1))
                .map(|_| Arc::new(tempfile::tempdir().expect("tempdir")))
                .collect(),
            logs: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn dir(&self, instance: usize) -> &Arc<tempfile::TempDir> {
        match self.db {
            Db::Sqlite => &self.dirs[0],
            Db::Postgres => &self.dirs[instance],
        }
    }

    /// The configuration a test uses to open the same store directly.
    pub fn config(&self) -> Config {
        let mut config = Config::for_data_dir(self.dirs[0].path().to_path_buf());
        config.database_url = self.database_url.clone();
        config
    }

    fn command(&self, instance: usize) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_boxoffice"));
        cmd.env("BOXOFFICE_DATA_DIR", self.dir(instance).path())
            .env("BOXOFFICE_ADDR", "127.0.0.1:0")
            .env("BOXOFFICE_TEST_PAYMENT_DELAY_MS", "300")
            .env(
                "BOXOFFICE_PAYMENTS_WEBHOOK_SECRET",
                "whsec_boxoffice_local_test_secret",
            )
            .env_remove("REDIS_URL")
            .env_remove("BOXOFFICE_LOG_FORMAT");
        match &self.database_url {
            Some(url) => cmd.env("DATABASE_URL", url),
            None => cmd.env_remove("DATABASE_URL"),
        };
        cmd
    }

    /// `boxoffice admin create-user … --admin`, then a login through `app`.
    pub async fn admin(&self, app: &TestApp) -> String {
        let email = format!("root{:x}@example.com", rand::random::<u32>());
        let mut cmd = self.command(0);
        cmd.args([
            "admin",
            "create-user",
            "--email",
            &email,
            "--password",
            "admin password",
            "--name",
            "Root",
            "--admin",
        ]);
        let out = tokio::task::spawn_blocking(move || cmd.output().expect("run boxoffice"))
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "admin create-user: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        app.login(&email, "admin password").await.ok(201)["token"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    /// Starts instance `n` and waits for its `listening on` line.
    pub async fn start(&self, instance: usize) -> Server {
        let log = self
            .logs
            .path()
            .join(format!("server-{instance}-{:x}.log", rand::random::<u32>()));
        let mut cmd = self.command(instance);
        cmd.arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"));
        let mut child = cmd.spawn().expect("spawn boxoffice serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut server = Server {
            child,
            base: String::new(),
            log,
        };
        let line = tokio::task::spawn_blocking(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            // Keep draining so the server never blocks on a full pipe.
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut reader, &mut std::io::sink());
            });
            line
        })
        .await
        .unwrap();
        match line.trim().strip_prefix("listening on ") {
            Some(base) => server.base = base.to_owned(),
            None => panic!(
                "server did not start (first line {line:?}): {}",
                server.log_tail()
            ),
        }
        server
    }

    /// A client for a running instance, with a direct store on the same data.
    pub async fn attach(&self, server: &Server, instance: usize) -> TestApp {
        TestApp::attach(
            server.base.clone(),
            self.db,
            self.config(),
            self.dir(instance).clone(),
            Clock::manual(),
        )
        .await
    }
}

/// A running `boxoffice serve`; dropping it kills the process.
pub struct Server {
    child: Child,
    pub base: String,
    log: PathBuf,
}

impl Server {
    /// SIGKILL: no graceful shutdown, no draining.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn log_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut text);
        }
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let running = matches!(self.child.try_wait(), Ok(None));
        self.kill9();
        if running && std::thread::panicking() {
            eprintln!("--- log of {} ---\n{}", self.base, self.log_tail());
        }
    }
}
