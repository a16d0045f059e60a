//! Outgoing e-mail: verification codes and password-reset tokens.
//!
//! With an SMTP URL configured, messages go out over SMTP. Without one (the self-hosted default)
//! each message is written as an `.eml` file to the outbox folder and its text to the log, so the
//! person running the server can read the code.

use anyhow::Context;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use model::{Email, Timestamp};
use std::path::PathBuf;
use std::time::Duration;

use crate::settings::MailSettings;

pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

enum Transport {
    Outbox(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid recipient address: {0}")]
    Address(String),
    #[error("could not build the message: {0}")]
    Build(String),
    #[error("could not write to the outbox: {0}")]
    Outbox(#[from] std::io::Error),
    #[error("SMTP delivery failed: {0}")]
    Smtp(String),
}

impl Mailer {
    pub fn new(settings: &MailSettings, outbox: PathBuf) -> anyhow::Result<Mailer> {
        let from: Mailbox = settings
            .from
            .parse()
            .with_context(|| format!("invalid sender address {:?}", settings.from))?;
        let transport = match &settings.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .context(
                        "invalid SMTP URL (expected smtp://user:pass@host:port or smtps://...)",
                    )?
                    .timeout(Some(Duration::from_secs(15)))
                    .build(),
            ),
            None => Transport::Outbox(outbox),
        };
        Ok(Mailer { from, transport })
    }

    /// Where messages go, for the startup banner.
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Outbox(dir) => format!("outbox folder {}", dir.display()),
            Transport::Smtp(_) => "SMTP".to_string(),
        }
    }

    /// Sends a plain-text message. Returns once it is handed to the SMTP server or durably in the
    /// outbox.
    pub async fn send(
        &self,
        to: &Email,
        subject: &str,
        text: &str,
        now: Timestamp,
    ) -> Result<(), MailError> {
        let recipient: Mailbox = to
            .as_str()
            .parse()
            .map_err(|e: lettre::address::AddressError| MailError::Address(e.to_string()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(recipient)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(text.to_string())
            .map_err(|e| MailError::Build(e.to_string()))?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message)
                    .await
                    .map_err(|e| MailError::Smtp(e.to_string()))?;
                tracing::info!(to = %to, subject, "e-mail sent over SMTP");
            }
            Transport::Outbox(dir) => {
                let path = write_outbox(dir, to, &message.formatted(), now).await?;
                tracing::info!(to = %to, subject, file = %path.display(), text = ?text, "e-mail written to the outbox");
            }
        }
        Ok(())
    }
}

/// Writes a message file atomically: to a temporary name, synced, then renamed into place.
async fn write_outbox(
    dir: &std::path::Path,
    to: &Email,
    bytes: &[u8],
    now: Timestamp,
) -> std::io::Result<PathBuf> {
    tokio::fs::create_dir_all(dir).await?;
    let stamp = now.to_jiff().strftime("%Y%m%dT%H%M%S%.fZ").to_string();
    let unique = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let name = format!("{stamp}-{to}-{unique}.eml");
    let final_path = dir.join(&name);
    let temp_path = dir.join(format!(".{name}.tmp"));
    let bytes = bytes.to_vec();
    let (temp, target) = (temp_path.clone(), final_path.clone());
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        use std::io::Write;
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, &target)
    })
    .await
    .map_err(std::io::Error::other)??;
    Ok(final_path)
}
