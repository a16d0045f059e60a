//! API keys: product-scoped bearer credentials with a plan.

use model::{Email, Plan, Product, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::credentials::{self, Secret};
use crate::users::parse_uuid;
use crate::{Store, StoreError, StoreResultExt, new_id};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKey {
    pub id: Uuid,
    pub user_id: Uuid,
    pub product: Product,
    pub plan: Plan,
    /// The key's prefix and last four characters, safe to log and list.
    pub display: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// A key with its owner's address, for listings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyListing {
    pub key: ApiKey,
    pub email: Email,
}

/// Column-API keys come in two families with separate quotas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFamily {
    Live,
    /// `sopk_test_` keys, meant for CI.
    Test,
}

fn key_prefix(product: Product, family: KeyFamily) -> &'static str {
    match (product, family) {
        (Product::Column, KeyFamily::Test) => "sopk_test_",
        (product, _) => product.key_prefix(),
    }
}

fn key_from_row(row: &AnyRow) -> Result<ApiKey, StoreError> {
    let text = |column: &'static str| row.try_get::<String, _>(column).ctx("reading an API key");
    Ok(ApiKey {
        id: parse_uuid(&text("id")?)?,
        user_id: parse_uuid(&text("user_id")?)?,
        product: text("product")?.parse().map_err(StoreError::corrupt)?,
        plan: text("plan")?.parse().map_err(StoreError::corrupt)?,
        display: text("display")?,
        created_at: Timestamp::from_nanos(row.try_get("created_at").ctx("reading an API key")?),
        revoked_at: row
            .try_get::<Option<i64>, _>("revoked_at")
            .ctx("reading an API key")?
            .map(Timestamp::from_nanos),
    })
}

impl Store {
    /// Issues a key. The clear text is returned once and never stored.
    pub async fn create_api_key(
        &self,
        user: Uuid,
        product: Product,
        plan: Plan,
        family: KeyFamily,
        now: Timestamp,
    ) -> Result<(ApiKey, Secret), StoreError> {
        let minted = credentials::mint_api_key(key_prefix(product, family))?;
        let key = ApiKey {
            id: Uuid::parse_str(&new_id()).map_err(StoreError::corrupt)?,
            user_id: user,
            product,
            plan,
            display: credentials::api_key_display(minted.secret.expose()),
            created_at: now,
            revoked_at: None,
        };
        sqlx::query(
            "INSERT INTO api_keys (id, user_id, product, plan, lookup, key_hash, display, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)",
        )
        .bind(key.id.to_string())
        .bind(user.to_string())
        .bind(product.as_str())
        .bind(plan.as_str())
        .bind(&minted.lookup)
        .bind(&minted.digest)
        .bind(&key.display)
        .bind(now.as_nanos())
        .execute(&self.pool)
        .await
        .ctx("inserting an API key")?;
        Ok((key, minted.secret))
    }

    /// The active key a presented credential belongs to, if any.
    pub async fn authenticate_api_key(
        &self,
        presented: &str,
    ) -> Result<Option<ApiKey>, StoreError> {
        let Some(lookup) = credentials::api_key_lookup(presented) else {
            return Ok(None);
        };
        let rows = sqlx::query(
            "SELECT id, user_id, product, plan, display, created_at, revoked_at, key_hash \
             FROM api_keys WHERE lookup = $1 AND revoked_at IS NULL",
        )
        .bind(lookup)
        .fetch_all(&self.pool)
        .await
        .ctx("authenticating an API key")?;
        for row in rows {
            let stored: String = row.try_get("key_hash").ctx("reading an API key")?;
            if credentials::digest_matches(&stored, presented) {
                return key_from_row(&row).map(Some);
            }
        }
        Ok(None)
    }

    /// Keys with their owners, newest last; all users' keys when `owner` is `None`.
    pub async fn api_keys(&self, owner: Option<&Email>) -> Result<Vec<ApiKeyListing>, StoreError> {
        let rows = sqlx::query(
            "SELECT k.id, k.user_id, k.product, k.plan, k.display, k.created_at, k.revoked_at, u.email \
             FROM api_keys k JOIN users u ON u.id = k.user_id \
             WHERE $1 IS NULL OR u.email = $1 ORDER BY k.created_at, k.id",
        )
        .bind(owner.map(Email::as_str))
        .fetch_all(&self.pool)
        .await
        .ctx("listing API keys")?;
        rows.iter()
            .map(|row| {
                let email: String = row.try_get("email").ctx("reading an API key")?;
                Ok(ApiKeyListing {
                    key: key_from_row(row)?,
                    email: Email::parse(&email).map_err(StoreError::corrupt)?,
                })
            })
            .collect()
    }

    /// The key with this id, active or not.
    pub async fn api_key(&self, id: Uuid) -> Result<Option<ApiKey>, StoreError> {
        sqlx::query(
            "SELECT id, user_id, product, plan, display, created_at, revoked_at \
             FROM api_keys WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .ctx("loading an API key")?
        .as_ref()
        .map(key_from_row)
        .transpose()
    }

    /// Revokes a key; it stops working immediately. Returns `false` if it was not active.
    pub async fn revoke_api_key(&self, id: Uuid, now: Timestamp) -> Result<bool, StoreError> {
        let revoked =
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now.as_nanos())
                .bind(id.to_string())
                .execute(&self.pool)
                .await
                .ctx("revoking an API key")?
                .rows_affected();
        Ok(revoked == 1)
    }
}
