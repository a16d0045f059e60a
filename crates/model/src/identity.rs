//! Rules of identity: e-mail addresses, passwords and the lifecycle of a verification code.

use crate::time::Timestamp;
use std::fmt;
use std::time::Duration;

/// A verification code is valid this long after it is issued.
pub const CODE_TTL: Duration = Duration::from_secs(15 * 60);
/// After this many wrong submissions a code is locked and a new one must be requested.
pub const CODE_MAX_FAILURES: u32 = 5;
/// One code request per address per this interval.
pub const CODE_RESEND_INTERVAL: Duration = Duration::from_secs(60);
/// A password-reset token is valid this long.
pub const RESET_TOKEN_TTL: Duration = Duration::from_secs(60 * 60);
/// One password-reset request per account per this interval.
pub const RESET_REQUEST_INTERVAL: Duration = Duration::from_secs(60);
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Passwords are hashed with a memory-hard function; an upper bound keeps that cost bounded.
pub const PASSWORD_MAX_BYTES: usize = 1024;
const EMAIL_MAX_BYTES: usize = 254;
const EMAIL_LOCAL_MAX_BYTES: usize = 64;

/// A syntactically valid e-mail address, trimmed and lower-cased so that one mailbox is one user.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Email, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("email is required".into());
        }
        if text.len() > EMAIL_MAX_BYTES {
            return Err(format!(
                "email must be at most {EMAIL_MAX_BYTES} characters"
            ));
        }
        if !text.is_ascii() {
            return Err("email must contain only ASCII characters".into());
        }
        let Some((local, domain)) = text.split_once('@') else {
            return Err("email must contain @".into());
        };
        if local.is_empty() || local.len() > EMAIL_LOCAL_MAX_BYTES {
            return Err("email must have 1 to 64 characters before @".into());
        }
        const LOCAL_SPECIALS: &[u8] = b"@\"(),:;<>[\\] ";
        if local
            .bytes()
            .any(|b| !b.is_ascii_graphic() || LOCAL_SPECIALS.contains(&b))
            || local.starts_with('.')
            || local.ends_with('.')
            || local.contains("..")
        {
            return Err("email has an invalid character before @".into());
        }
        let domain_ok = !domain.is_empty()
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !domain_ok {
            return Err("email has an invalid domain".into());
        }
        Ok(Email(text.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a chosen password against the rules.
pub fn check_password(password: &str) -> Result<(), String> {
    if password.chars().count() < PASSWORD_MIN_CHARS {
        return Err(format!(
            "password must be at least {PASSWORD_MIN_CHARS} characters"
        ));
    }
    if password.len() > PASSWORD_MAX_BYTES {
        return Err(format!(
            "password must be at most {PASSWORD_MAX_BYTES} bytes"
        ));
    }
    Ok(())
}

/// Whether `text` has the shape of a verification code: six ASCII digits.
pub fn is_code_shaped(text: &str) -> bool {
    text.len() == 6 && text.bytes().all(|b| b.is_ascii_digit())
}

/// What is known about the latest code issued to an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeRecord {
    pub issued_at: Timestamp,
    pub failed_attempts: u32,
    pub consumed: bool,
}

/// Whether a code may still be submitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeState {
    Usable,
    Expired,
    Locked,
    Consumed,
}

impl CodeRecord {
    pub fn expires_at(&self) -> Timestamp {
        self.issued_at.plus(CODE_TTL)
    }

    pub fn state(&self, now: Timestamp) -> CodeState {
        if self.consumed {
            CodeState::Consumed
        } else if self.failed_attempts >= CODE_MAX_FAILURES {
            CodeState::Locked
        } else if now >= self.expires_at() {
            CodeState::Expired
        } else {
            CodeState::Usable
        }
    }

    /// How long the address must wait before another code may be requested, if at all.
    pub fn resend_wait(&self, now: Timestamp) -> Option<Duration> {
        let allowed_at = self.issued_at.plus(CODE_RESEND_INTERVAL);
        (now < allowed_at).then(|| allowed_at.since(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails_are_normalised_and_validated() {
        assert_eq!(
            Email::parse("  Trader@Example.COM ").unwrap().as_str(),
            "trader@example.com"
        );
        assert!(Email::parse("demo@localhost").is_ok());
        assert!(Email::parse("first.last+tag@sub.example.org").is_ok());
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@@b.com",
            "a b@c.com",
            "a@-b.com",
            "a@b..com",
            ".a@b.com",
            "a..b@c.com",
            "é@example.com",
            "a@exa_mple.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@x.com", "a".repeat(65))).is_err());
    }

    #[test]
    fn password_rules() {
        assert!(check_password("short").unwrap_err().contains("at least 8"));
        assert!(check_password("long enough").is_ok());
        assert!(
            check_password(&"x".repeat(2000))
                .unwrap_err()
                .contains("at most")
        );
        // Characters, not bytes, count toward the minimum.
        assert!(check_password("ééééééé").is_err());
    }

    #[test]
    fn code_lifecycle() {
        let issued = Timestamp::from_seconds(1_000);
        let mut code = CodeRecord {
            issued_at: issued,
            failed_attempts: 0,
            consumed: false,
        };
        assert_eq!(code.state(issued), CodeState::Usable);
        assert_eq!(
            code.state(issued.plus(CODE_TTL).minus(Duration::from_nanos(1))),
            CodeState::Usable
        );
        assert_eq!(code.state(issued.plus(CODE_TTL)), CodeState::Expired);
        code.failed_attempts = CODE_MAX_FAILURES;
        assert_eq!(code.state(issued), CodeState::Locked);
        code.consumed = true;
        assert_eq!(code.state(issued), CodeState::Consumed);
        assert_eq!(
            code.resend_wait(issued.plus(Duration::from_secs(45))),
            Some(Duration::from_secs(15))
        );
        assert_eq!(code.resend_wait(issued.plus(CODE_RESEND_INTERVAL)), None);
        assert!(is_code_shaped("012345"));
        assert!(
            !is_code_shaped("12345")
                && !is_code_shaped("12345a")
                && !is_code_shaped("１２３４５６")
        );
    }

    proptest! {
        #[test]
        fn email_parsing_never_panics(text in ".{0,300}") {
            if let Ok(email) = Email::parse(&text) {
                prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email.clone());
            }
        }
    }
}
