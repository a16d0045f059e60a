//! Durable idempotency records: the first response to a request carrying an `Idempotency-Key`,
//! kept so a retry gets that same response instead of running the request again.
//!
//! A record is claimed before the request runs, so concurrent duplicates run it once: the first
//! claim wins, the others wait for its response. A claim carries a lease so that a request whose
//! process died can be taken over instead of blocking its key forever.

use model::Timestamp;
use sqlx::Row;
use std::time::Duration;

use crate::{Store, StoreError, StoreResultExt};

/// A response as it was first sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    /// Headers worth replaying (content type and the face's own), as name/value pairs.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The outcome of claiming a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// This request owns the key and must run, then [`Store::complete_idempotent`] or
    /// [`Store::abandon_idempotent`].
    Owner,
    /// The same request already completed; send this.
    Replay(StoredResponse),
    /// The same request is running elsewhere; wait and claim again.
    InFlight,
    /// The key was used for a different request.
    Mismatch,
}

impl Store {
    /// Claims `key` in `scope` for a request with `fingerprint`.
    pub async fn claim_idempotent(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let lease_until = now.plus(lease).as_nanos();
        let inserted = sqlx::query(
            "INSERT INTO idempotency_records (scope, idempotency_key, fingerprint, lease_until) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (scope, idempotency_key) DO NOTHING",
        )
        .bind(scope)
        .bind(key)
        .bind(fingerprint)
        .bind(lease_until)
        .execute(&self.pool)
        .await
        .ctx("claiming an idempotency key")?
        .rows_affected();
        if inserted == 1 {
            return Ok(Claim::Owner);
        }
        // Take over an expired record or an abandoned claim, whatever request it was for.
        let taken = sqlx::query(
            "UPDATE idempotency_records \
             SET fingerprint = $3, lease_until = $4, status = NULL, headers = NULL, body = NULL, \
                 completed_at = NULL, expires_at = NULL \
             WHERE scope = $1 AND idempotency_key = $2 \
               AND ((status IS NOT NULL AND expires_at <= $5) OR (status IS NULL AND lease_until <= $5))",
        )
        .bind(scope)
        .bind(key)
        .bind(fingerprint)
        .bind(lease_until)
        .bind(now.as_nanos())
        .execute(&self.pool)
        .await
        .ctx("taking over an idempotency key")?
        .rows_affected();
        if taken == 1 {
            return Ok(Claim::Owner);
        }
        let Some(row) = sqlx::query(
            "SELECT fingerprint, status, headers, body FROM idempotency_records \
             WHERE scope = $1 AND idempotency_key = $2",
        )
        .bind(scope)
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .ctx("loading an idempotency record")?
        else {
            // Deleted between our statements (abandoned or swept): the next claim will insert.
            return Ok(Claim::InFlight);
        };
        let stored_fingerprint: String = row
            .try_get("fingerprint")
            .ctx("reading an idempotency record")?;
        if stored_fingerprint != fingerprint {
            return Ok(Claim::Mismatch);
        }
        let Some(status) = row
            .try_get::<Option<i64>, _>("status")
            .ctx("reading an idempotency record")?
        else {
            return Ok(Claim::InFlight);
        };
        let headers: String = row
            .try_get::<Option<String>, _>("headers")
            .ctx("reading an idempotency record")?
            .unwrap_or_else(|| "[]".to_string());
        let headers: Vec<(String, String)> = serde_json::from_str(&headers)
            .map_err(|e| StoreError::corrupt(format!("idempotency headers: {e}")))?;
        let body: Vec<u8> = row
            .try_get::<Option<Vec<u8>>, _>("body")
            .ctx("reading an idempotency record")?
            .unwrap_or_default();
        Ok(Claim::Replay(StoredResponse {
            status: u16::try_from(status).map_err(StoreError::corrupt)?,
            headers,
            body,
        }))
    }

    /// Stores the response of an owned claim; it is replayed until `now + ttl`.
    pub async fn complete_idempotent(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        response: &StoredResponse,
        now: Timestamp,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let headers = serde_json::to_string(&response.headers)
            .map_err(|e| StoreError::corrupt(format!("idempotency headers: {e}")))?;
        sqlx::query(
            "UPDATE idempotency_records \
             SET status = $4, headers = $5, body = $6, completed_at = $7, expires_at = $8 \
             WHERE scope = $1 AND idempotency_key = $2 AND fingerprint = $3 AND status IS NULL",
        )
        .bind(scope)
        .bind(key)
        .bind(fingerprint)
        .bind(i64::from(response.status))
        .bind(headers)
        .bind(response.body.clone())
        .bind(now.as_nanos())
        .bind(now.plus(ttl).as_nanos())
        .execute(&self.pool)
        .await
        .ctx("storing an idempotent response")?;
        Ok(())
    }

    /// Releases an owned claim without storing a response, so a retry runs the request again.
    pub async fn abandon_idempotent(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM idempotency_records \
             WHERE scope = $1 AND idempotency_key = $2 AND fingerprint = $3 AND status IS NULL",
        )
        .bind(scope)
        .bind(key)
        .bind(fingerprint)
        .execute(&self.pool)
        .await
        .ctx("releasing an idempotency key")?;
        Ok(())
    }
}
