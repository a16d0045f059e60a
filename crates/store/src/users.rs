//! Users and their trading preferences.

use model::fees::FeeSchedule;
use model::money::canonical;
use model::{Email, Slippage, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::{Store, StoreError, StoreResultExt, credentials, new_id};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub email: Email,
    pub has_password: bool,
    /// The user's own schedule, or `None` to trade under the platform default.
    pub fee_schedule: Option<FeeSchedule>,
    pub slippage: Slippage,
    pub created_at: Timestamp,
}

impl User {
    /// The schedule in force: the user's override, else the platform default.
    pub fn effective_fees(&self) -> FeeSchedule {
        self.fee_schedule.unwrap_or(FeeSchedule::PLATFORM_DEFAULT)
    }
}

/// The e-mail address already belongs to an account.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an account with e-mail {0} already exists")]
pub struct AccountExists(pub Email);

/// A change to a user's trading preferences; `None` leaves a setting as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PreferenceChange {
    /// `Some(None)` restores the platform default schedule.
    pub fee_schedule: Option<Option<FeeSchedule>>,
    pub slippage: Option<Slippage>,
}

/// `SELECT` of every user column followed by the given clause, as one static string.
macro_rules! select_users {
    ($tail:literal) => {
        concat!(
            "SELECT id, email, password_hash, fee_schedule, slippage, created_at FROM users ",
            $tail
        )
    };
}

pub(crate) fn parse_uuid(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|_| StoreError::corrupt(format!("invalid id {text:?}")))
}

fn fee_schedule_to_json(schedule: &FeeSchedule) -> String {
    let object: serde_json::Map<String, serde_json::Value> = schedule
        .fields()
        .iter()
        .map(|(name, amount)| {
            (
                name.to_string(),
                serde_json::Value::String(canonical(*amount)),
            )
        })
        .collect();
    serde_json::Value::Object(object).to_string()
}

fn fee_schedule_from_json(text: &str) -> Result<FeeSchedule, StoreError> {
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)
        .map_err(|e| StoreError::corrupt(format!("fee schedule is not a JSON object: {e}")))?;
    FeeSchedule::from_override(object.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|problems| StoreError::corrupt(format!("fee schedule: {}", problems.join("; "))))
}

pub(crate) fn user_from_row(row: &AnyRow) -> Result<User, StoreError> {
    let get_text = |column: &'static str| -> Result<String, StoreError> {
        row.try_get::<String, _>(column).ctx("reading a user")
    };
    let email_text = get_text("email")?;
    let fee_schedule = row
        .try_get::<Option<String>, _>("fee_schedule")
        .ctx("reading a user")?
        .map(|text| fee_schedule_from_json(&text))
        .transpose()?;
    let slippage_text = get_text("slippage")?;
    Ok(User {
        id: parse_uuid(&get_text("id")?)?,
        email: Email::parse(&email_text).map_err(StoreError::corrupt)?,
        has_password: row
            .try_get::<Option<String>, _>("password_hash")
            .ctx("reading a user")?
            .is_some(),
        fee_schedule,
        slippage: Slippage::parse(&slippage_text).map_err(StoreError::corrupt)?,
        created_at: Timestamp::from_nanos(row.try_get("created_at").ctx("reading a user")?),
    })
}

/// Hashes a password on the blocking pool: Argon2id takes tens of milliseconds by design.
pub(crate) async fn hash_password_off_runtime(password: &str) -> Result<String, StoreError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || credentials::hash_password(&password))
        .await
        .map_err(|e| StoreError::Hashing(e.to_string()))?
}

impl Store {
    pub async fn user(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        sqlx::query(select_users!("WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .ctx("loading a user")?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    pub async fn user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        find_user_by_email(&self.pool, email).await
    }

    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        sqlx::query(select_users!("ORDER BY created_at, email"))
            .fetch_all(&self.pool)
            .await
            .ctx("listing users")?
            .iter()
            .map(user_from_row)
            .collect()
    }

    /// Creates a user directly (operator command, demo bootstrap). Registration over HTTP goes
    /// through [`Store::register`], which also consumes a verification code.
    pub async fn create_user(
        &self,
        email: &Email,
        password: Option<&str>,
        now: Timestamp,
    ) -> Result<Result<User, AccountExists>, StoreError> {
        let password_hash = match password {
            Some(p) => Some(hash_password_off_runtime(p).await?),
            None => None,
        };
        let mut tx = self.begin_write().await?;
        let created = insert_user(&mut tx, email, password_hash.as_deref(), now).await?;
        tx.commit().await.ctx("committing a new user")?;
        Ok(created)
    }

    /// Applies a preference change atomically: both settings change, or neither.
    pub async fn update_preferences(
        &self,
        user: Uuid,
        change: &PreferenceChange,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        if let Some(schedule) = &change.fee_schedule {
            sqlx::query("UPDATE users SET fee_schedule = $1 WHERE id = $2")
                .bind(schedule.as_ref().map(fee_schedule_to_json))
                .bind(user.to_string())
                .execute(&mut *tx)
                .await
                .ctx("updating a fee schedule")?;
        }
        if let Some(slippage) = change.slippage {
            sqlx::query("UPDATE users SET slippage = $1 WHERE id = $2")
                .bind(canonical(slippage.amount()))
                .bind(user.to_string())
                .execute(&mut *tx)
                .await
                .ctx("updating slippage")?;
        }
        tx.commit().await.ctx("committing preferences")
    }

    /// The stored password hash of an account, if it has one.
    pub(crate) async fn password_hash(&self, user: Uuid) -> Result<Option<String>, StoreError> {
        sqlx::query("SELECT password_hash FROM users WHERE id = $1")
            .bind(user.to_string())
            .fetch_optional(&self.pool)
            .await
            .ctx("loading a password hash")?
            .map(|row| row.try_get::<Option<String>, _>("password_hash"))
            .transpose()
            .ctx("reading a password hash")
            .map(Option::flatten)
    }
}

/// Loads a user by address through any executor (the pool, or a transaction in progress).
pub(crate) async fn find_user_by_email<'e, E>(
    executor: E,
    email: &Email,
) -> Result<Option<User>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(select_users!("WHERE email = $1"))
        .bind(email.as_str())
        .fetch_optional(executor)
        .await
        .ctx("loading a user by e-mail")?
        .as_ref()
        .map(user_from_row)
        .transpose()
}

/// Inserts a user inside a write transaction, reporting an existing address as such.
pub(crate) async fn insert_user(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    email: &Email,
    password_hash: Option<&str>,
    now: Timestamp,
) -> Result<Result<User, AccountExists>, StoreError> {
    let id = new_id();
    let inserted = sqlx::query(
        "INSERT INTO users (id, email, password_hash, fee_schedule, slippage, created_at) \
         VALUES ($1, $2, $3, NULL, '0', $4) ON CONFLICT (email) DO NOTHING",
    )
    .bind(&id)
    .bind(email.as_str())
    .bind(password_hash)
    .bind(now.as_nanos())
    .execute(&mut **tx)
    .await
    .ctx("inserting a user")?
    .rows_affected();
    if inserted == 0 {
        return Ok(Err(AccountExists(email.clone())));
    }
    Ok(Ok(User {
        id: parse_uuid(&id)?,
        email: email.clone(),
        has_password: password_hash.is_some(),
        fee_schedule: None,
        slippage: Slippage::NONE,
        created_at: now,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_schedule_json_round_trips() {
        let mut schedule = FeeSchedule::PLATFORM_DEFAULT;
        schedule.exercise_option = model::money::parse_decimal("7.5").unwrap();
        let json = fee_schedule_to_json(&schedule);
        assert!(json.contains("\"exercise_option\":\"7.5\""));
        assert_eq!(fee_schedule_from_json(&json).unwrap(), schedule);
        assert!(fee_schedule_from_json("[]").is_err());
    }
}
