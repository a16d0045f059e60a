//! The `optiontape` binary as a user runs it: first start, restart, configuration, operator
//! commands and graceful shutdown.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_optiontape");

struct Running {
    child: Child,
    /// The banner printed at start-up.
    banner: Vec<String>,
    url: String,
}

impl Running {
    fn line_after(&self, label: &str) -> Option<String> {
        self.banner
            .iter()
            .find(|l| l.trim_start().starts_with(label))
            .map(|l| l.trim_start()[label.len()..].trim().to_string())
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn wait(mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "server did not stop within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `optiontape serve` and waits for its banner.
fn serve(data: &Path, extra: &[&str], env: &[(&str, &str)]) -> Running {
    let mut command = Command::new(BIN);
    command
        .arg("serve")
        .args(extra)
        .env("OPTIONTAPE_DATA_DIR", data)
        .env_remove("OPTIONTAPE_BIND")
        .env_remove("OPTIONTAPE_PUBLIC_URL")
        .env_remove("OPTIONTAPE_DATABASE_URL")
        .env_remove("OPTIONTAPE_CONFIG")
        .env_remove("OPTIONTAPE_MARKET_CLOCK")
        .env_remove("OPTIONTAPE_DEMO_UNDERLYINGS")
        // Tests that want the demo market ask for a small one.
        .env("OPTIONTAPE_DEMO_SESSIONS", "0")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    if !extra.contains(&"--bind") && !env.iter().any(|(n, _)| *n == "OPTIONTAPE_BIND") {
        command.args(["--bind", "127.0.0.1:0"]);
    }
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut banner = Vec::new();
    // Generous: a first start may generate market data.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("no complete banner; got {banner:?}"));
        let done = line.starts_with("Try:") || line.starts_with("Create a key");
        banner.push(line);
        if done {
            break;
        }
    }
    let first = banner
        .iter()
        .find(|l| l.contains("listening on "))
        .unwrap_or_else(|| panic!("no address in the banner: {banner:?}"));
    let url = first
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("banner names the address: {first}"))
        .to_string();
    Running { child, banner, url }
}

/// A blocking HTTP/1.1 request; returns (status, body).
fn http(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let authority = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(authority).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        request.push_str("Content-Type: application/json\r\n");
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn cli(data: &Path, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(BIN)
        .args(args)
        .env("OPTIONTAPE_DATA_DIR", data)
        .env("RUST_LOG", "warn")
        .env_remove("OPTIONTAPE_DATABASE_URL")
        .env_remove("OPTIONTAPE_CONFIG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn first_start_creates_a_demo_account_with_working_keys() {
    let data = tempfile::tempdir().unwrap();
    let server = serve(data.path(), &[], &[]);
    assert!(server.url.starts_with("http://127.0.0.1:"));
    let options = server.line_after("options key").expect("an options key");
    let stocks = server.line_after("stocks key").expect("a stocks key");
    let paper = server.line_after("paper key").expect("a paper key");
    let column = server.line_after("column key").expect("a column key");
    let token = server.line_after("session token").expect("a session token");
    assert!(
        options.starts_with("cm_options_")
            && stocks.starts_with("cm_stocks_")
            && paper.starts_with("cm_paper_")
    );
    assert!(column.starts_with("sopk_live_"));

    // Each key is accepted by its own face (where a data route is not served yet: 404, not 401).
    let bearer = |key: &str| format!("Bearer {key}");
    assert_eq!(
        http(
            &server.url,
            "GET",
            "/v1/options/contracts/",
            &[("Authorization", &bearer(&options))],
            ""
        )
        .0,
        200
    );
    assert_eq!(
        http(
            &server.url,
            "GET",
            "/v1/stocks/tickers/",
            &[("Authorization", &bearer(&stocks))],
            ""
        )
        .0,
        200
    );
    assert_eq!(
        http(
            &server.url,
            "GET",
            "/v1/paper/accounts/",
            &[("Authorization", &bearer(&paper))],
            ""
        )
        .0,
        200
    );
    assert_eq!(
        http(
            &server.url,
            "GET",
            "/v1/options/chain?root=SPXW&exp=20260105",
            &[("Authorization", &bearer(&column))],
            ""
        )
        .0,
        404
    );
    assert_eq!(
        http(
            &server.url,
            "GET",
            "/v1/options/contracts/",
            &[("Authorization", "Bearer cm_options_nope0000000000000")],
            ""
        )
        .0,
        401
    );
    let (status, profile) = http(
        &server.url,
        "GET",
        "/user",
        &[("Authorization", &token)],
        "",
    );
    assert_eq!(status, 200);
    let profile: Value = serde_json::from_str(&profile).unwrap();
    assert_eq!(profile["email"], "demo@optiontape.local");

    let saved = data.path().join("demo-credentials.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&saved).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    drop(server);

    // A restart shows the same credentials.
    let again = serve(data.path(), &[], &[]);
    assert_eq!(
        again.line_after("options key").as_deref(),
        Some(options.as_str())
    );
    assert_eq!(
        again.line_after("session token").as_deref(),
        Some(token.as_str())
    );
}

#[test]
fn configuration_from_environment_and_file() {
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("optiontape.toml");
    std::fs::write(
        &config,
        "public_url = \"https://lab.example.com/\"\n[simulator]\naccept_bearer = true\n",
    )
    .unwrap();
    let server = serve(
        data.path(),
        &[],
        &[
            ("OPTIONTAPE_CONFIG", config.to_str().unwrap()),
            ("OPTIONTAPE_BIND", "127.0.0.1:0"),
        ],
    );
    assert_eq!(server.url, "https://lab.example.com");
    let address = server.banner[0]
        .split('(')
        .nth(1)
        .unwrap()
        .trim_end_matches(')')
        .to_string();
    let local = format!("http://{address}");
    let (status, llms) = http(&local, "GET", "/llms.txt", &[], "");
    assert_eq!(status, 200);
    assert!(llms.contains("https://lab.example.com/openapi.json"));
    // The file enabled Bearer on the simulator face.
    let token = server.line_after("session token").unwrap();
    assert_eq!(
        http(
            &local,
            "GET",
            "/user",
            &[("Authorization", &format!("Bearer {token}"))],
            ""
        )
        .0,
        200
    );
    drop(server);

    // A flag beats the environment, which beats the file.
    let server = serve(
        data.path(),
        &["--public-url", "http://flag.example.com"],
        &[
            ("OPTIONTAPE_CONFIG", config.to_str().unwrap()),
            ("OPTIONTAPE_PUBLIC_URL", "http://env.example.com"),
        ],
    );
    assert_eq!(server.url, "http://flag.example.com");
    drop(server);

    std::fs::write(&config, "bnd = \"127.0.0.1:1\"\n").unwrap();
    let output = Command::new(BIN)
        .args(["serve", "--config", config.to_str().unwrap()])
        .env("OPTIONTAPE_DATA_DIR", data.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown field `bnd`"), "{stderr}");
}

#[test]
fn operators_manage_users_and_keys_while_the_server_runs() {
    let data = tempfile::tempdir().unwrap();
    let server = serve(data.path(), &[], &[]);
    let (ok, out, err) = cli(
        data.path(),
        &["users", "create", "--email", "ops@example.com"],
    );
    assert!(ok, "{err}");
    assert!(out.contains("ops@example.com"));
    let (ok, _, err) = cli(
        data.path(),
        &["users", "create", "--email", "ops@example.com"],
    );
    assert!(!ok);
    assert!(err.contains("already exists"), "{err}");

    let (ok, out, err) = cli(
        data.path(),
        &[
            "keys",
            "create",
            "--email",
            "ops@example.com",
            "--product",
            "options",
            "--plan",
            "free",
            "--json",
        ],
    );
    assert!(ok, "{err}");
    let created: Value = serde_json::from_str(&out).unwrap();
    let key = created["key"].as_str().unwrap().to_string();
    assert_eq!(created["product"], "options");
    assert_eq!(created["plan"], "free");

    let (status, _) = http(
        &server.url,
        "GET",
        "/v1/options/contracts/",
        &[("Authorization", &format!("Bearer {key}"))],
        "",
    );
    assert_eq!(status, 200);

    let (ok, out, _) = cli(
        data.path(),
        &["keys", "list", "--email", "ops@example.com", "--json"],
    );
    assert!(ok);
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(!out.contains(&key), "listings never show the secret");

    let id = created["id"].as_str().unwrap();
    let (ok, out, _) = cli(data.path(), &["keys", "revoke", id]);
    assert!(ok);
    assert!(out.contains("revoked"));
    let (status, body) = http(
        &server.url,
        "GET",
        "/v1/options/contracts/",
        &[("Authorization", &format!("Bearer {key}"))],
        "",
    );
    assert_eq!(status, 401, "{body}");

    for (args, expected) in [
        (
            "--email ops@example.com --product options --plan base",
            "not offered",
        ),
        (
            "--email nobody@example.com --product paper",
            "no user with e-mail nobody@example.com",
        ),
        (
            "--email ops@example.com --product crypto",
            "unknown product",
        ),
        (
            "--email ops@example.com --product options --test",
            "--test keys exist only for the column product",
        ),
    ] {
        let mut argv = vec!["keys", "create"];
        argv.extend(args.split(' '));
        let (ok, _, err) = cli(data.path(), &argv);
        assert!(!ok, "{args}");
        assert!(err.contains(expected), "{args}: {err}");
    }
}

#[test]
fn sigterm_lets_requests_in_flight_finish() {
    let data = tempfile::tempdir().unwrap();
    let server = serve(data.path(), &[], &[]);
    let authority = server.url.trim_start_matches("http://").to_string();
    let body = r#"{"email": "nobody@example.com"}"#;
    let mut stream = TcpStream::connect(&authority).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let head = format!(
        "POST /auth/check-email HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body.as_bytes()[..10]).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    server.signal("TERM");
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(&body.as_bytes()[10..]).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 404"),
        "the request in flight was answered: {response}"
    );
    assert!(response.ends_with("no account with that email"));
    let status = server.wait(Duration::from_secs(10));
    assert!(status.success(), "exit status {status}");
    assert!(
        TcpStream::connect(&authority).is_err(),
        "no longer listening"
    );
}

#[test]
fn sigint_stops_the_server_cleanly() {
    let data = tempfile::tempdir().unwrap();
    let server = serve(data.path(), &[], &[]);
    assert_eq!(http(&server.url, "GET", "/health", &[], "").0, 200);
    server.signal("INT");
    assert!(server.wait(Duration::from_secs(10)).success());
}

#[test]
fn a_crash_loses_no_acknowledged_write() {
    let data = tempfile::tempdir().unwrap();
    let mut server = serve(data.path(), &[], &[]);
    let email = r#"{"email": "crash@example.com"}"#;
    assert_eq!(
        http(&server.url, "POST", "/auth/verify-email", &[], email).0,
        204
    );
    let outbox = data.path().join("outbox");
    let message = std::fs::read_dir(&outbox)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(message).unwrap();
    let at = text.find("code is ").unwrap() + "code is ".len();
    let code = &text[at..at + 6];
    let body = format!(r#"{{"email": "crash@example.com", "verification_code": "{code}"}}"#);
    let (status, created) = http(&server.url, "POST", "/auth/register", &[], &body);
    assert_eq!(status, 201);
    let token = serde_json::from_str::<Value>(&created).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let patch = r#"{"slippage": "0.25"}"#;
    assert_eq!(
        http(
            &server.url,
            "PATCH",
            "/user",
            &[("Authorization", &token)],
            patch
        )
        .0,
        204
    );

    // SIGKILL: no shutdown, no chance to flush anything.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    drop(server);

    let server = serve(data.path(), &[], &[]);
    let (status, profile) = http(
        &server.url,
        "GET",
        "/user",
        &[("Authorization", &token)],
        "",
    );
    assert_eq!(status, 200, "the session survived");
    let profile: Value = serde_json::from_str(&profile).unwrap();
    assert_eq!(profile["email"], "crash@example.com");
    assert_eq!(profile["slippage"], "0.25");
}

#[test]
fn users_created_with_a_password_can_sign_in() {
    let data = tempfile::tempdir().unwrap();
    let server = serve(data.path(), &[], &[]);
    let create = |email: &str, password: &str| {
        let mut child = Command::new(BIN)
            .args(["users", "create", "--email", email, "--password-stdin"])
            .env("OPTIONTAPE_DATA_DIR", data.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let created = create("pw@example.com", "a long password");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let login = r#"{"email": "pw@example.com", "password": "a long password"}"#;
    assert_eq!(
        http(&server.url, "POST", "/auth/sessions", &[], login).0,
        201
    );
    let short = create("short@example.com", "short");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8 characters"));
}

#[test]
fn data_generate_info_and_import_from_the_command_line() {
    let data = tempfile::tempdir().unwrap();
    let (ok, out, err) = cli(
        data.path(),
        &[
            "data",
            "generate",
            "--underlyings",
            "AAPL",
            "--from",
            "2025-01-14",
            "--to",
            "2025-01-16",
        ],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("Generated 3 sessions of AAPL (seed 42)"),
        "{out}"
    );
    let file = data.path().join("tape/AAPL/2025-01-15.tape");
    let first = std::fs::read(&file).unwrap();

    // The same seed and range give byte-identical files.
    let again = tempfile::tempdir().unwrap();
    let (ok, _, err) = cli(
        again.path(),
        &[
            "data",
            "generate",
            "--underlyings",
            "AAPL",
            "--from",
            "2025-01-15",
            "--to",
            "2025-01-15",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(
        std::fs::read(again.path().join("tape/AAPL/2025-01-15.tape")).unwrap(),
        first
    );

    let (ok, out, _) = cli(data.path(), &["data", "info", "--json"]);
    assert!(ok);
    let info: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(info[0]["underlying"], "AAPL");
    assert_eq!(info[0]["sessions"], 3);
    assert_eq!(info[0]["first"], "2025-01-14");
    assert_eq!(info[0]["last"], "2025-01-16");
    assert!(info[0]["contracts"].as_u64().unwrap() > 10);
    assert!(info[0]["quotes"].as_u64().unwrap() > 100_000);
    assert_eq!(info[0]["sources"], serde_json::json!(["synthetic seed=42"]));
    let (ok, table, _) = cli(data.path(), &["data", "info"]);
    assert!(ok);
    assert!(table.starts_with("UNDERLYING"), "{table}");
    assert!(table.contains("AAPL"), "{table}");

    // A hand-written file adds an underlying; a malformed one is refused and changes nothing.
    let csv = data.path().join("spy.csv");
    std::fs::write(
        &csv,
        "time,symbol,event,bid,ask,bid_size,ask_size,price,size\n\
         2025-01-15 09:30:01,SPY,quote,590.10,590.12,300,500,,\n\
         2025-01-15 09:30:02,SPY,trade,,,,,590.11,100\n",
    )
    .unwrap();
    let (ok, out, err) = cli(data.path(), &["data", "import", csv.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("1 session written (SPY)"), "{out}");
    let bad = data.path().join("bad.csv");
    std::fs::write(
        &bad,
        "time,symbol,event,bid,ask,bid_size,ask_size,price,size\n\
         2025-01-16 09:30:01,SPY,quote,590.10,590.12,300,500,,\n\
         2025-01-16 09:30:02,SPY,quote,abc,590.12,300,500,,\n",
    )
    .unwrap();
    let (ok, _, err) = cli(data.path(), &["data", "import", bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("bad.csv") && err.contains("line 3"), "{err}");
    assert!(!data.path().join("tape/SPY/2025-01-16.tape").exists());
    let (_, out, _) = cli(data.path(), &["data", "info", "--sessions"]);
    assert!(out.contains("SPY         2025-01-15"), "{out}");

    // Generating over a session that holds imported data leaves it alone.
    let (ok, out, err) = cli(
        data.path(),
        &[
            "data",
            "generate",
            "--underlyings",
            "SPY",
            "--from",
            "2025-01-15",
            "--to",
            "2025-01-15",
        ],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("Left as they were (they hold imported data): SPY 2025-01-15"),
        "{out}"
    );

    // A session file of an older tape format (an earlier build's demo market) is renamed out of
    // the way, so the session can be generated again; its bytes are kept.
    let mut older = std::fs::read(&file).unwrap();
    older[8..10].copy_from_slice(&3u16.to_le_bytes());
    std::fs::write(&file, &older).unwrap();
    let (ok, out, err) = cli(
        data.path(),
        &[
            "data",
            "generate",
            "--underlyings",
            "AAPL",
            "--from",
            "2025-01-15",
            "--to",
            "2025-01-15",
        ],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("1 session file written in another tape format"),
        "{out}"
    );
    assert_eq!(
        std::fs::read(data.path().join("tape/AAPL/2025-01-15.tape.format3")).unwrap(),
        older
    );
    assert_eq!(std::fs::read(&file).unwrap(), first, "generated again");

    // Bad arguments are explained.
    let (ok, _, err) = cli(data.path(), &["data", "generate", "--underlyings", "ZZZ"]);
    assert!(!ok && err.contains("unknown underlying \"ZZZ\""), "{err}");
    let (ok, _, err) = cli(
        data.path(),
        &[
            "data",
            "generate",
            "--from",
            "2025-01-17",
            "--to",
            "2025-01-14",
        ],
    );
    assert!(!ok && err.contains("is after"), "{err}");
    let (ok, _, err) = cli(data.path(), &["data", "import", "/no/such/file.csv"]);
    assert!(!ok && err.contains("/no/such/file.csv"), "{err}");
}

#[test]
fn an_empty_data_folder_gets_a_demo_market_and_the_market_clock_is_configurable() {
    let data = tempfile::tempdir().unwrap();
    let running = serve(
        data.path(),
        &[],
        &[
            ("OPTIONTAPE_DEMO_SESSIONS", "1"),
            ("OPTIONTAPE_DEMO_UNDERLYINGS", "AAPL"),
            ("OPTIONTAPE_MARKET_CLOCK", "fixed:2025-01-15T15:30:00Z"),
        ],
    );
    assert!(
        running
            .banner
            .iter()
            .any(|l| l.starts_with("Generated 1 session of AAPL")),
        "{:?}",
        running.banner
    );
    let market = running.line_after("market data").unwrap();
    assert!(market.ends_with("(AAPL)"), "{market}");
    let (status, body) = http(&running.url, "GET", "/v1/status/", &[], "");
    assert_eq!(status, 200);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["services"]["market_data"]["status"], "ok");
    assert_eq!(body["market"]["clock"], "fixed");
    assert_eq!(body["market"]["time"], "2025-01-15T15:30:00Z");
    assert_eq!(body["market"]["underlyings"], serde_json::json!(["AAPL"]));
    drop(running);

    // A restart finds the market data and does not generate again.
    let running = serve(data.path(), &[], &[("OPTIONTAPE_DEMO_SESSIONS", "1")]);
    assert!(!running.banner.iter().any(|l| l.starts_with("Generated")));
    assert!(
        running
            .line_after("market clock")
            .unwrap()
            .starts_with("replay on the")
    );
    drop(running);

    // A bad clock setting stops the start with the reason.
    let output = Command::new(BIN)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--market-clock",
            "fixed:yesterday",
        ])
        .env("OPTIONTAPE_DATA_DIR", data.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("fixed:<RFC 3339 instant>"), "{err}");
}
