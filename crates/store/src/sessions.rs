//! Simulator sessions: bare tokens issued at registration or login, valid until logout.

use model::Timestamp;
use sqlx::Row;
use uuid::Uuid;

use crate::credentials::{self, Secret};
use crate::users::{User, parse_uuid, user_from_row};
use crate::{Store, StoreError, StoreResultExt, new_id};

/// A live session and the user it belongs to.
#[derive(Clone, Debug)]
pub struct SessionAuth {
    pub session_id: Uuid,
    pub user: User,
}

/// Inserts a new session for `user` inside a transaction and returns its token.
pub(crate) async fn insert_session(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user: Uuid,
    now: Timestamp,
) -> Result<Secret, StoreError> {
    let minted = credentials::mint_session_token()?;
    sqlx::query(
        "INSERT INTO sessions (id, user_id, lookup, token_hash, created_at, revoked_at) \
         VALUES ($1, $2, $3, $4, $5, NULL)",
    )
    .bind(new_id())
    .bind(user.to_string())
    .bind(&minted.lookup)
    .bind(&minted.digest)
    .bind(now.as_nanos())
    .execute(&mut **tx)
    .await
    .ctx("inserting a session")?;
    Ok(minted.secret)
}

impl Store {
    /// Opens a session for an existing user (demo bootstrap, tests).
    pub async fn create_session(&self, user: Uuid, now: Timestamp) -> Result<Secret, StoreError> {
        let mut tx = self.begin_write().await?;
        let token = insert_session(&mut tx, user, now).await?;
        tx.commit().await.ctx("committing a session")?;
        Ok(token)
    }

    /// The live session a token opens, if any.
    pub async fn session(&self, token: &str) -> Result<Option<SessionAuth>, StoreError> {
        let Some(lookup) = credentials::token_lookup(token) else {
            return Ok(None);
        };
        let rows = sqlx::query(
            "SELECT s.id AS session_id, s.token_hash, u.id, u.email, u.password_hash, \
                    u.fee_schedule, u.slippage, u.created_at \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.lookup = $1 AND s.revoked_at IS NULL",
        )
        .bind(lookup)
        .fetch_all(&self.pool)
        .await
        .ctx("authenticating a session")?;
        for row in rows {
            let stored: String = row.try_get("token_hash").ctx("reading a session")?;
            if credentials::digest_matches(&stored, token) {
                let session_id: String = row.try_get("session_id").ctx("reading a session")?;
                return Ok(Some(SessionAuth {
                    session_id: parse_uuid(&session_id)?,
                    user: user_from_row(&row)?,
                }));
            }
        }
        Ok(None)
    }

    /// Ends one session; the token stops working at once.
    pub async fn revoke_session(&self, session_id: Uuid, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now.as_nanos())
            .bind(session_id.to_string())
            .execute(&self.pool)
            .await
            .ctx("revoking a session")?;
        Ok(())
    }
}

/// Ends every session of a user inside a transaction (after a password reset).
pub(crate) async fn revoke_all_sessions(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user: Uuid,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(now.as_nanos())
        .bind(user.to_string())
        .execute(&mut **tx)
        .await
        .ctx("revoking sessions")?;
    Ok(())
}
