//! E-mail verification codes and everything that redeems one: registration, code login, e-mail
//! and password changes; plus password-reset tokens.
//!
//! Each operation is one write transaction, so a crash never leaves a consumed code without its
//! account, or an account without its first session. A wrong code is counted even though the
//! operation fails: that transaction commits the count and nothing else.

use model::identity::{CodeRecord, CodeState, RESET_REQUEST_INTERVAL, RESET_TOKEN_TTL};
use model::{Email, Timestamp};
use sqlx::Row;
use std::time::Duration;
use uuid::Uuid;

use crate::credentials::{self, Secret};
use crate::sessions::{insert_session, revoke_all_sessions};
use crate::users::{
    AccountExists, User, find_user_by_email, hash_password_off_runtime, insert_user,
};
use crate::{Store, StoreError, StoreResultExt, new_id};

/// The answer to a request for a new code.
#[derive(Debug)]
pub enum CodeRequest {
    /// A new code, to be delivered. Any earlier code for the address no longer works.
    Issued { code: Secret, issued_at: Timestamp },
    /// A code was issued too recently; try again after `wait`.
    TooSoon { wait: Duration },
}

/// The answer to a password-reset request.
#[derive(Debug)]
pub enum ResetRequest {
    /// A token to mail to the account's address.
    Issued(Secret),
    /// A reset was requested too recently; try again after `wait`.
    TooSoon { wait: Duration },
    /// No account has that address.
    NoAccount,
}

/// Why a code-based operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("invalid or expired verification code")]
    InvalidCode,
    #[error(transparent)]
    AccountExists(#[from] AccountExists),
    #[error("no account with that e-mail")]
    NoAccount,
}

/// Why a password login was refused. Deliberately one case: the caller must not learn which part
/// was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid email or password")]
pub struct InvalidLogin;

type Tx = sqlx::Transaction<'static, sqlx::Any>;

impl Store {
    /// Issues a code for `email` unless one was issued within the resend interval.
    pub async fn issue_code(
        &self,
        email: &Email,
        now: Timestamp,
    ) -> Result<CodeRequest, StoreError> {
        let code = credentials::random_code()?;
        let salt = credentials::random_salt()?;
        let resend_cutoff = now.minus(model::identity::CODE_RESEND_INTERVAL);
        let mut tx = self.begin_write().await?;
        let issued = sqlx::query(
            "INSERT INTO verification_codes (email, salt, code_hash, issued_at, failed_attempts, consumed_at) \
             VALUES ($1, $2, $3, $4, 0, NULL) \
             ON CONFLICT (email) DO UPDATE SET salt = excluded.salt, code_hash = excluded.code_hash, \
                 issued_at = excluded.issued_at, failed_attempts = 0, consumed_at = NULL \
             WHERE verification_codes.issued_at <= $5",
        )
        .bind(email.as_str())
        .bind(&salt)
        .bind(credentials::code_digest(&salt, &code))
        .bind(now.as_nanos())
        .bind(resend_cutoff.as_nanos())
        .execute(&mut *tx)
        .await
        .ctx("issuing a verification code")?
        .rows_affected();
        let outcome = if issued == 1 {
            CodeRequest::Issued {
                code: Secret::new(code),
                issued_at: now,
            }
        } else {
            let record = load_code(&mut tx, email).await?.map(|(record, ..)| record);
            let wait = record
                .and_then(|r| r.resend_wait(now))
                .unwrap_or(Duration::from_secs(1));
            CodeRequest::TooSoon { wait }
        };
        tx.commit().await.ctx("committing a verification code")?;
        Ok(outcome)
    }

    /// Withdraws a code that could not be delivered, so the address may ask again at once.
    pub async fn withdraw_code(
        &self,
        email: &Email,
        issued_at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM verification_codes WHERE email = $1 AND issued_at = $2")
            .bind(email.as_str())
            .bind(issued_at.as_nanos())
            .execute(&self.pool)
            .await
            .ctx("withdrawing a verification code")?;
        Ok(())
    }

    /// Creates an account from a verified address and opens its first session.
    pub async fn register(
        &self,
        email: &Email,
        code: &str,
        password: Option<&str>,
        now: Timestamp,
    ) -> Result<Result<(User, Secret), CodeError>, StoreError> {
        let password_hash = match password {
            Some(p) => Some(hash_password_off_runtime(p).await?),
            None => None,
        };
        let mut tx = self.begin_write().await?;
        if find_user_by_email(&mut *tx, email).await?.is_some() {
            return Ok(Err(AccountExists(email.clone()).into()));
        }
        if !redeem_code(&mut tx, email, code, now).await? {
            tx.commit().await.ctx("recording a failed code")?;
            return Ok(Err(CodeError::InvalidCode));
        }
        let user = match insert_user(&mut tx, email, password_hash.as_deref(), now).await? {
            Ok(user) => user,
            Err(exists) => return Ok(Err(exists.into())),
        };
        let token = insert_session(&mut tx, user.id, now).await?;
        tx.commit().await.ctx("committing a registration")?;
        Ok(Ok((user, token)))
    }

    /// Opens a session with a fresh code sent to the account's address.
    pub async fn login_with_code(
        &self,
        email: &Email,
        code: &str,
        now: Timestamp,
    ) -> Result<Result<(User, Secret), CodeError>, StoreError> {
        let mut tx = self.begin_write().await?;
        let Some(user) = find_user_by_email(&mut *tx, email).await? else {
            return Ok(Err(CodeError::NoAccount));
        };
        if !redeem_code(&mut tx, email, code, now).await? {
            tx.commit().await.ctx("recording a failed code")?;
            return Ok(Err(CodeError::InvalidCode));
        }
        let token = insert_session(&mut tx, user.id, now).await?;
        tx.commit().await.ctx("committing a code login")?;
        Ok(Ok((user, token)))
    }

    /// Opens a session with the account's password.
    pub async fn login_with_password(
        &self,
        email: &Email,
        password: &str,
        now: Timestamp,
    ) -> Result<Result<(User, Secret), InvalidLogin>, StoreError> {
        let Some(user) = self.user_by_email(email).await? else {
            return Ok(Err(InvalidLogin));
        };
        let Some(stored) = self.password_hash(user.id).await? else {
            return Ok(Err(InvalidLogin));
        };
        let password = password.to_string();
        let matches =
            tokio::task::spawn_blocking(move || credentials::verify_password(&stored, &password))
                .await
                .map_err(|e| StoreError::Hashing(e.to_string()))?;
        if !matches {
            return Ok(Err(InvalidLogin));
        }
        let token = self.create_session(user.id, now).await?;
        Ok(Ok((user, token)))
    }

    /// Sets a new password, proven by a code sent to the account's current address.
    pub async fn change_password(
        &self,
        user: &User,
        code: &str,
        new_password: &str,
        now: Timestamp,
    ) -> Result<Result<(), CodeError>, StoreError> {
        let hash = hash_password_off_runtime(new_password).await?;
        let mut tx = self.begin_write().await?;
        if !redeem_code(&mut tx, &user.email, code, now).await? {
            tx.commit().await.ctx("recording a failed code")?;
            return Ok(Err(CodeError::InvalidCode));
        }
        set_password_hash(&mut tx, user.id, &hash).await?;
        tx.commit().await.ctx("committing a password change")?;
        Ok(Ok(()))
    }

    /// Moves an account to a new address, proven by a code sent to that new address.
    pub async fn change_email(
        &self,
        user: &User,
        new_email: &Email,
        code: &str,
        now: Timestamp,
    ) -> Result<Result<(), CodeError>, StoreError> {
        let mut tx = self.begin_write().await?;
        if find_user_by_email(&mut *tx, new_email).await?.is_some() {
            return Ok(Err(AccountExists(new_email.clone()).into()));
        }
        if !redeem_code(&mut tx, new_email, code, now).await? {
            tx.commit().await.ctx("recording a failed code")?;
            return Ok(Err(CodeError::InvalidCode));
        }
        sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
            .bind(new_email.as_str())
            .bind(user.id.to_string())
            .execute(&mut *tx)
            .await
            .ctx("changing an e-mail address")?;
        tx.commit().await.ctx("committing an e-mail change")?;
        Ok(Ok(()))
    }

    /// Starts a password reset: a single-use token valid for an hour, at most one a minute per
    /// account.
    pub async fn start_password_reset(
        &self,
        email: &Email,
        now: Timestamp,
    ) -> Result<ResetRequest, StoreError> {
        let mut tx = self.begin_write().await?;
        let Some(user) = find_user_by_email(&mut *tx, email).await? else {
            return Ok(ResetRequest::NoAccount);
        };
        let latest_expiry: Option<i64> =
            sqlx::query("SELECT MAX(expires_at) AS latest FROM password_resets WHERE user_id = $1")
                .bind(user.id.to_string())
                .fetch_one(&mut *tx)
                .await
                .ctx("loading the latest reset request")?
                .try_get("latest")
                .ctx("reading the latest reset request")?;
        if let Some(expiry) = latest_expiry {
            let allowed_at = Timestamp::from_nanos(expiry)
                .minus(RESET_TOKEN_TTL)
                .plus(RESET_REQUEST_INTERVAL);
            if now < allowed_at {
                return Ok(ResetRequest::TooSoon {
                    wait: allowed_at.since(now),
                });
            }
        }
        let minted = credentials::mint_session_token()?;
        sqlx::query(
            "INSERT INTO password_resets (id, user_id, lookup, token_hash, expires_at, used_at) \
             VALUES ($1, $2, $3, $4, $5, NULL)",
        )
        .bind(new_id())
        .bind(user.id.to_string())
        .bind(&minted.lookup)
        .bind(&minted.digest)
        .bind(now.plus(RESET_TOKEN_TTL).as_nanos())
        .execute(&mut *tx)
        .await
        .ctx("storing a password reset token")?;
        tx.commit().await.ctx("committing a password reset token")?;
        Ok(ResetRequest::Issued(minted.secret))
    }

    /// Withdraws a reset token that could not be delivered, so the account may ask again at once.
    pub async fn withdraw_password_reset(&self, token: &Secret) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM password_resets WHERE token_hash = $1 AND used_at IS NULL")
            .bind(credentials::digest(token.expose()))
            .execute(&self.pool)
            .await
            .ctx("withdrawing a password reset token")?;
        Ok(())
    }

    /// Completes a reset: sets the password and ends every session of the account. Returns
    /// `false` when the token is unknown, used or expired.
    pub async fn finish_password_reset(
        &self,
        token: &str,
        new_password: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let Some(lookup) = credentials::token_lookup(token) else {
            return Ok(false);
        };
        let hash = hash_password_off_runtime(new_password).await?;
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(
            "SELECT id, user_id, token_hash FROM password_resets \
             WHERE lookup = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(lookup)
        .bind(now.as_nanos())
        .fetch_all(&mut *tx)
        .await
        .ctx("loading a password reset token")?;
        for row in rows {
            let stored: String = row.try_get("token_hash").ctx("reading a reset token")?;
            if !credentials::digest_matches(&stored, token) {
                continue;
            }
            let id: String = row.try_get("id").ctx("reading a reset token")?;
            let user: String = row.try_get("user_id").ctx("reading a reset token")?;
            let user = crate::users::parse_uuid(&user)?;
            sqlx::query("UPDATE password_resets SET used_at = $1 WHERE id = $2")
                .bind(now.as_nanos())
                .bind(&id)
                .execute(&mut *tx)
                .await
                .ctx("using a password reset token")?;
            set_password_hash(&mut tx, user, &hash).await?;
            revoke_all_sessions(&mut tx, user, now).await?;
            tx.commit().await.ctx("committing a password reset")?;
            return Ok(true);
        }
        Ok(false)
    }
}

async fn set_password_hash(tx: &mut Tx, user: Uuid, hash: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user.to_string())
        .execute(&mut **tx)
        .await
        .ctx("setting a password")?;
    Ok(())
}

async fn load_code(
    tx: &mut Tx,
    email: &Email,
) -> Result<Option<(CodeRecord, String, String)>, StoreError> {
    let Some(row) = sqlx::query(
        "SELECT salt, code_hash, issued_at, failed_attempts, consumed_at \
         FROM verification_codes WHERE email = $1",
    )
    .bind(email.as_str())
    .fetch_optional(&mut **tx)
    .await
    .ctx("loading a verification code")?
    else {
        return Ok(None);
    };
    let failed: i64 = row.try_get("failed_attempts").ctx("reading a code")?;
    let record = CodeRecord {
        issued_at: Timestamp::from_nanos(row.try_get("issued_at").ctx("reading a code")?),
        failed_attempts: u32::try_from(failed).unwrap_or(u32::MAX),
        consumed: row
            .try_get::<Option<i64>, _>("consumed_at")
            .ctx("reading a code")?
            .is_some(),
    };
    let salt: String = row.try_get("salt").ctx("reading a code")?;
    let hash: String = row.try_get("code_hash").ctx("reading a code")?;
    Ok(Some((record, salt, hash)))
}

/// Checks a submitted code and consumes it on a match. A mismatch on a usable code counts as a
/// failed attempt; the caller commits even when this returns `false`.
async fn redeem_code(
    tx: &mut Tx,
    email: &Email,
    submitted: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let Some((record, salt, stored)) = load_code(tx, email).await? else {
        return Ok(false);
    };
    if record.state(now) != CodeState::Usable {
        return Ok(false);
    }
    if credentials::code_matches(&stored, &salt, submitted) {
        sqlx::query("UPDATE verification_codes SET consumed_at = $1 WHERE email = $2")
            .bind(now.as_nanos())
            .bind(email.as_str())
            .execute(&mut **tx)
            .await
            .ctx("consuming a verification code")?;
        return Ok(true);
    }
    sqlx::query(
        "UPDATE verification_codes SET failed_attempts = failed_attempts + 1 WHERE email = $1",
    )
    .bind(email.as_str())
    .execute(&mut **tx)
    .await
    .ctx("counting a failed code")?;
    Ok(false)
}
