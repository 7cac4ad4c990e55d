//! The binary as an operator runs it: `admin create-user`, `migrate`, `serve` on port 0, and a
//! graceful stop on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn boxoffice(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_boxoffice"));
    cmd.env("BOXOFFICE_DATA_DIR", dir)
        .env_remove("DATABASE_URL")
        .env("BOXOFFICE_ADDR", "127.0.0.1:0");
    cmd
}

#[tokio::test]
async fn operator_commands_and_graceful_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let migrate = boxoffice(dir.path()).arg("migrate").output().unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );

    let created = boxoffice(dir.path())
        .args([
            "admin",
            "create-user",
            "--email",
            "root@example.com",
            "--password",
            "admin password",
            "--name",
            "Root",
            "--admin",
        ])
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(
        String::from_utf8_lossy(&created.stdout).contains("created admin user root@example.com")
    );

    let refused = boxoffice(dir.path())
        .args([
            "admin",
            "create-user",
            "--email",
            "bad",
            "--password",
            "x",
            "--name",
            "N",
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());

    let mut server = boxoffice(dir.path())
        .args(["serve", "--demo"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .expect("listening line")
        .to_owned();
    assert!(!base.ends_with(":0"), "the chosen port is printed: {base}");

    let client = reqwest::Client::new();
    let login = client
        .post(format!("{base}/api/v1/sessions"))
        .json(&serde_json::json!({"email": "root@example.com", "password": "admin password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 201);
    let body: serde_json::Value = login.json().await.unwrap();
    assert_eq!(body["user"]["role"], "admin");
    let events: serde_json::Value = client
        .get(format!("{base}/api/v1/events?per_page=100"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        events["total"].as_i64().unwrap() >= 10,
        "demo catalog loaded: {events}"
    );

    let pid = server.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = server.wait().unwrap();
    assert!(status.success(), "graceful exit on SIGTERM: {status:?}");
}
