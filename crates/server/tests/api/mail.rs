//! Verification codes delivered over SMTP, to a minimal SMTP peer on a loopback socket.

use serde_json::json;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::support::TestServer;

/// A tiny SMTP server: accepts every message, or refuses every recipient.
async fn smtp_peer(accept: bool) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 peer ESMTP\r\n").await.unwrap();
                let mut message = String::new();
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            store.lock().unwrap().push(std::mem::take(&mut message));
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            message.push_str(&line);
                            message.push('\n');
                        }
                        continue;
                    }
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250-peer\r\n250 8BITMIME\r\n",
                        "MAIL" => b"250 ok\r\n",
                        "RCPT" if accept => b"250 ok\r\n",
                        "RCPT" => b"550 no such mailbox\r\n",
                        "DATA" => {
                            in_data = true;
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, received)
}

#[tokio::test]
async fn codes_go_out_over_smtp_when_configured() {
    let (url, received) = smtp_peer(true).await;
    let server = TestServer::start_with(axum::Router::new(), |settings| {
        settings.mail.smtp_url = Some(url);
        settings.mail.from = "Lab <lab@example.com>".into();
    })
    .await;
    let response = server
        .post("/auth/verify-email")
        .json(&json!({ "email": "smtp@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let messages = received.lock().unwrap().clone();
    assert_eq!(messages.len(), 1, "delivered before the 204");
    let message = &messages[0];
    assert!(message.contains("To: smtp@example.com"), "{message}");
    assert!(message.contains("From: Lab <lab@example.com>"), "{message}");
    let at = message.find("code is ").unwrap() + "code is ".len();
    let code = &message[at..at + 6];
    assert!(
        !server.outbox().exists(),
        "nothing goes to the outbox when SMTP is configured"
    );
    let registered = server
        .post("/auth/register")
        .json(&json!({ "email": "smtp@example.com", "verification_code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
}

#[tokio::test]
async fn an_undeliverable_code_is_withdrawn() {
    let (url, received) = smtp_peer(false).await;
    let server = TestServer::start_with(axum::Router::new(), |settings| {
        settings.mail.smtp_url = Some(url)
    })
    .await;
    for _ in 0..2 {
        // No 429 on the second try: the failed code was withdrawn.
        let response = server
            .post("/auth/verify-email")
            .json(&json!({ "email": "bounce@example.com" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 503);
        assert_eq!(
            response.text().await.unwrap(),
            "could not send the verification email; try again shortly"
        );
    }
    assert!(received.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_undeliverable_reset_is_withdrawn() {
    let (url, _) = smtp_peer(false).await;
    let server = TestServer::start_with(axum::Router::new(), |settings| {
        settings.mail.smtp_url = Some(url)
    })
    .await;
    let email = model::Email::parse("reset@example.com").unwrap();
    server
        .state
        .store
        .create_user(&email, None, crate::support::T0)
        .await
        .unwrap()
        .unwrap();
    for _ in 0..2 {
        let response = server
            .post_json(
                "/auth/forgot-password",
                json!({ "email": "reset@example.com" }),
            )
            .await;
        assert_eq!(
            response.status(),
            503,
            "no 429: the undelivered token was withdrawn"
        );
        assert_eq!(
            response.text().await.unwrap(),
            "could not send the reset email; try again shortly"
        );
    }
}
