//! Secrets: minting, hashing and checking API keys, session tokens, verification codes and
//! passwords.
//!
//! Only hashes are stored. A credential is found by a short non-secret `lookup` cut from its
//! text, then confirmed by comparing SHA-256 digests in constant time, so a database row never
//! holds anything that would let a reader act as the user.

use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

use crate::StoreError;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Random characters after a key's prefix (~190 bits).
const KEY_TAIL_CHARS: usize = 32;
/// Characters of the tail used to find the key's row.
const KEY_LOOKUP_CHARS: usize = 12;
/// Hex characters of a session token (128 bits), the documented simulator token shape.
const SESSION_TOKEN_HEX: usize = 32;
const SESSION_LOOKUP_CHARS: usize = 8;

/// A credential in clear text, shown to its owner once. `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub(crate) fn new(text: String) -> Self {
        Secret(text)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// A freshly minted credential: the clear text for its owner, the lookup and digest for storage.
#[derive(Debug)]
pub struct Minted {
    pub secret: Secret,
    pub lookup: String,
    pub digest: String,
}

fn random_bytes<const N: usize>() -> Result<[u8; N], StoreError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| StoreError::Randomness(e.to_string()))?;
    Ok(buf)
}

/// Uniform base62 characters by rejection sampling (bytes ≥ 248 would bias the modulo).
fn random_base62(count: usize) -> Result<String, StoreError> {
    let mut out = String::with_capacity(count);
    while out.len() < count {
        for byte in random_bytes::<64>()? {
            if byte < 248 && out.len() < count {
                out.push(BASE62[usize::from(byte % 62)] as char);
            }
        }
    }
    Ok(out)
}

/// SHA-256 of `text`, as lowercase hex.
pub fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Whether `presented` hashes to `stored_digest`, compared in constant time.
pub fn digest_matches(stored_digest: &str, presented: &str) -> bool {
    let presented = digest(presented);
    stored_digest.as_bytes().ct_eq(presented.as_bytes()).into()
}

/// Mints an API key: `prefix` followed by 32 random base62 characters.
pub fn mint_api_key(prefix: &str) -> Result<Minted, StoreError> {
    let tail = random_base62(KEY_TAIL_CHARS)?;
    let text = format!("{prefix}{tail}");
    Ok(Minted {
        lookup: tail[..KEY_LOOKUP_CHARS].to_string(),
        digest: digest(&text),
        secret: Secret(text),
    })
}

/// The lookup of a presented API key, or `None` when it cannot be one of ours.
pub fn api_key_lookup(text: &str) -> Option<&str> {
    let (_, tail) = text.rsplit_once('_')?;
    let well_formed = (text.starts_with("cm_") || text.starts_with("sopk_"))
        && tail.len() >= KEY_LOOKUP_CHARS
        && tail.len() <= 128
        && tail.bytes().all(|b| b.is_ascii_alphanumeric());
    well_formed.then(|| &tail[..KEY_LOOKUP_CHARS])
}

/// How a key is shown after creation: its prefix and last four characters.
pub fn api_key_display(text: &str) -> String {
    let prefix_end = text.rfind('_').map_or(0, |i| i + 1);
    let tail_chars = text[prefix_end..].chars().count();
    let last4: String = text[prefix_end..]
        .chars()
        .skip(tail_chars.saturating_sub(4))
        .collect();
    format!("{}…{}", &text[..prefix_end], last4)
}

/// Mints a simulator session token: 32 lowercase hex characters.
pub fn mint_session_token() -> Result<Minted, StoreError> {
    let text = hex::encode(random_bytes::<{ SESSION_TOKEN_HEX / 2 }>()?);
    Ok(Minted {
        lookup: text[..SESSION_LOOKUP_CHARS].to_string(),
        digest: digest(&text),
        secret: Secret(text),
    })
}

/// The lookup of a presented session or reset token, or `None` when it is not shaped like one.
pub fn token_lookup(text: &str) -> Option<&str> {
    let well_formed = text.len() == SESSION_TOKEN_HEX
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    well_formed.then(|| &text[..SESSION_LOOKUP_CHARS])
}

/// A six-digit verification code, uniform over 000000–999999.
pub fn random_code() -> Result<String, StoreError> {
    loop {
        let value = u32::from_le_bytes(random_bytes::<4>()?);
        // Reject the top sliver of the range so every code is equally likely.
        if value < 4_294_000_000 {
            return Ok(format!("{:06}", value % 1_000_000));
        }
    }
}

/// Digest of a verification code, salted so equal codes for different addresses differ.
pub fn code_digest(salt: &str, code: &str) -> String {
    digest(&format!("{salt}:{code}"))
}

/// Whether `submitted` is the code behind `stored_digest`, compared in constant time.
pub fn code_matches(stored_digest: &str, salt: &str, submitted: &str) -> bool {
    model::identity::is_code_shaped(submitted)
        && digest_matches(stored_digest, &format!("{salt}:{submitted}"))
}

/// A random salt for [`code_digest`].
pub fn random_salt() -> Result<String, StoreError> {
    Ok(hex::encode(random_bytes::<16>()?))
}

/// Hashes a password with Argon2id (PHC string). Costly by design: call off the async runtime.
pub fn hash_password(password: &str) -> Result<String, StoreError> {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| StoreError::Hashing(e.to_string()))
}

/// Checks a password against a stored PHC string. A malformed stored hash never matches.
pub fn verify_password(stored: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordVerifier, phc::PasswordHash};
    match PasswordHash::new(stored) {
        Ok(parsed) => argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn api_keys_are_prefixed_unique_and_found_by_lookup() {
        let a = mint_api_key("cm_options_").unwrap();
        let b = mint_api_key("cm_options_").unwrap();
        assert_ne!(a.secret, b.secret);
        let text = a.secret.expose();
        assert!(text.starts_with("cm_options_") && text.len() == "cm_options_".len() + 32);
        assert_eq!(api_key_lookup(text), Some(a.lookup.as_str()));
        assert!(digest_matches(&a.digest, text));
        assert!(!digest_matches(&a.digest, b.secret.expose()));
        assert_eq!(format!("{:?}", a.secret), "Secret(…)");
        let column = mint_api_key("sopk_live_").unwrap();
        assert!(api_key_lookup(column.secret.expose()).is_some());
        assert_eq!(
            api_key_display("sopk_live_abcdefghijklmnop1234"),
            "sopk_live_…1234"
        );
    }

    #[test]
    fn malformed_keys_have_no_lookup() {
        for bad in [
            "",
            "cm_",
            "cm_short",
            "Bearer cm_options_x",
            "xx_options_abcdefghijklmnop",
            "cm_options_abc def ghijklmn",
        ] {
            assert_eq!(api_key_lookup(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn session_tokens_are_32_lowercase_hex() {
        let token = mint_session_token().unwrap();
        let text = token.secret.expose();
        assert_eq!(text.len(), 32);
        assert_eq!(token_lookup(text), Some(&text[..8]));
        assert_eq!(token_lookup(&text.to_uppercase()), None);
        assert_eq!(token_lookup(&text[..31]), None);
    }

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..100 {
            let code = random_code().unwrap();
            assert!(model::identity::is_code_shaped(&code), "{code}");
        }
        let salt = random_salt().unwrap();
        assert_ne!(
            code_digest(&salt, "123456"),
            code_digest(&random_salt().unwrap(), "123456")
        );
    }

    #[test]
    fn passwords_verify_only_themselves() {
        let stored = hash_password("correct horse").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify_password(&stored, "correct horse"));
        assert!(!verify_password(&stored, "correct horsf"));
        assert!(!verify_password("not a phc string", "correct horse"));
    }

    proptest! {
        #[test]
        fn lookups_never_panic(text in ".{0,160}") {
            let _ = api_key_lookup(&text);
            let _ = token_lookup(&text);
            let _ = api_key_display(&text);
        }
    }
}
