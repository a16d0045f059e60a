//! `GET /user` and `PATCH /user`: the profile, the fee schedule, slippage, e-mail and password.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use model::fees::FeeSchedule;
use model::identity::check_password;
use model::money::canonical;
use model::{Email, Slippage};
use serde::Serialize;
use serde_json::{Map, Value};
use store::users::{PreferenceChange, User};
use store::verification::CodeError;
use utoipa::ToSchema;

use super::auth::parse_email;
use super::credits;
use super::session::SessionUser;
use crate::http::{JsonBody, Problem, Reply};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Profile {
    #[schema(example = "9f8a7b6c-5d4e-3f2a-1b0c-9d8e7f6a5b4c")]
    pub id: String,
    pub email: String,
    /// Fill level of the credit bucket, 0–100.
    pub usage_percent: u64,
    /// The schedule in force: the platform default unless overridden. Decimal strings, dollars.
    #[schema(value_type = Object, example = json!({
        "buy_equity": "0.0008", "sell_equity": "0.003986",
        "buy_to_open_option": "1.72", "sell_to_open_option": "1.72",
        "buy_to_close_option": "0.72", "sell_to_close_option": "0.72",
        "exercise_option": "5"
    }))]
    pub fee_schedule: Map<String, Value>,
    /// Option price points added against the trader on each fill (0.05 = $5 a contract).
    #[schema(example = "0")]
    pub slippage: String,
}

fn profile(user: &User, usage_percent: u64) -> Profile {
    Profile {
        id: user.id.to_string(),
        email: user.email.to_string(),
        usage_percent: usage_percent.min(100),
        fee_schedule: user
            .effective_fees()
            .fields()
            .iter()
            .map(|(name, amount)| (name.to_string(), Value::String(canonical(*amount))))
            .collect(),
        slippage: canonical(user.slippage.amount()),
    }
}

/// The signed-in user's profile
#[utoipa::path(
    get,
    path = "/user",
    tag = "user",
    security(("session" = [])),
    responses((status = 200, body = Profile), (status = 401, content_type = "text/plain"))
)]
pub async fn get_user(
    State(state): State<AppState>,
    SessionUser(session): SessionUser,
) -> Json<Profile> {
    let usage = credits::standing(&state, session.user.id).percent_used;
    Json(profile(&session.user, usage))
}

/// What a PATCH asks for, validated in full before anything is written.
#[derive(Default)]
struct Patch {
    preferences: PreferenceChange,
    email: Option<Email>,
    password: Option<String>,
    verification_code: Option<String>,
}

const PATCH_FIELDS: [&str; 5] = [
    "fee_schedule",
    "slippage",
    "email",
    "password",
    "verification_code",
];

fn string_field(body: &Map<String, Value>, name: &str) -> Result<Option<String>, Problem> {
    match body.get(name) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(Problem::bad_request(format!("{name} must be a string"))),
    }
}

fn parse_patch(body: &Value) -> Result<Patch, Problem> {
    let Value::Object(body) = body else {
        return Err(Problem::bad_request("request body must be a JSON object"));
    };
    if let Some(unknown) = body.keys().find(|k| !PATCH_FIELDS.contains(&k.as_str())) {
        return Err(Problem::bad_request(format!(
            "unknown field {unknown}; expected one of: {}",
            PATCH_FIELDS.join(", ")
        )));
    }
    if body.is_empty() {
        return Err(Problem::bad_request("nothing to update"));
    }
    let mut patch = Patch::default();
    match body.get("fee_schedule") {
        None => {}
        Some(Value::Null) => patch.preferences.fee_schedule = Some(None),
        Some(Value::Object(fields)) => {
            let schedule =
                FeeSchedule::from_override(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                    .map_err(|problems| Problem::bad_request(problems.join("; ")))?;
            patch.preferences.fee_schedule = Some(Some(schedule));
        }
        Some(_) => {
            return Err(Problem::bad_request(
                "fee_schedule must be an object of seven decimal strings, or null",
            ));
        }
    }
    match body.get("slippage") {
        None => {}
        Some(Value::Null) => patch.preferences.slippage = Some(Slippage::NONE),
        Some(Value::String(text)) => {
            patch.preferences.slippage = Some(Slippage::parse(text).map_err(Problem::bad_request)?);
        }
        Some(_) => {
            return Err(Problem::bad_request(
                "slippage must be a decimal string such as \"0.05\", or null",
            ));
        }
    }
    patch.email = string_field(body, "email")?
        .map(|e| parse_email(&e))
        .transpose()?;
    patch.password = string_field(body, "password")?;
    patch.verification_code = string_field(body, "verification_code")?;
    if let Some(password) = &patch.password {
        check_password(password).map_err(Problem::bad_request)?;
    }
    match (&patch.email, &patch.password, &patch.verification_code) {
        (Some(_), Some(_), _) => {
            return Err(Problem::bad_request(
                "email and password cannot both change in one request",
            ));
        }
        (Some(_), None, None) => {
            return Err(Problem::bad_request(
                "changing email requires verification_code, sent to the new address by POST /auth/verify-email",
            ));
        }
        (None, Some(_), None) => {
            return Err(Problem::bad_request(
                "changing password requires verification_code, sent to your address by POST /auth/verify-email",
            ));
        }
        (None, None, Some(_)) => {
            return Err(Problem::bad_request(
                "verification_code is only used with email or password",
            ));
        }
        _ => {}
    }
    Ok(patch)
}

fn code_problem(error: CodeError) -> Problem {
    match error {
        CodeError::AccountExists(_) => {
            Problem::bad_request("an account with that email already exists")
        }
        _ => Problem::bad_request("invalid or expired verification code"),
    }
}

/// Change settings
///
/// Any of: `fee_schedule` (all seven fields as non-negative decimal strings, each at most 10x its
/// default; `null` restores the defaults), `slippage` (a multiple of 0.05 up to 1.00; `null`
/// resets to 0), and either `email` or `password` with a fresh `verification_code`. Everything
/// is validated before anything changes.
#[utoipa::path(
    patch,
    path = "/user",
    tag = "user",
    security(("session" = [])),
    request_body(content = Object, description = "fields to change"),
    responses((status = 204, description = "updated"), (status = 400, content_type = "text/plain"))
)]
pub async fn patch_user(
    State(state): State<AppState>,
    SessionUser(session): SessionUser,
    JsonBody(body): JsonBody<Value>,
) -> Reply<StatusCode> {
    let patch = parse_patch(&body)?;
    let user = &session.user;
    let now = state.now();
    if let (Some(email), Some(code)) = (&patch.email, &patch.verification_code) {
        state
            .store
            .change_email(user, email, code, now)
            .await?
            .map_err(code_problem)?;
    }
    if let (Some(password), Some(code)) = (&patch.password, &patch.verification_code) {
        state
            .store
            .change_password(user, code, password, now)
            .await?
            .map_err(code_problem)?;
    }
    if patch.preferences != PreferenceChange::default() {
        state
            .store
            .update_preferences(user.id, &patch.preferences)
            .await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn patch_validation_names_the_problem() {
        let message = |body: Value| {
            parse_patch(&body)
                .err()
                .map(|p| p.message)
                .unwrap_or_default()
        };
        assert_eq!(message(json!({})), "nothing to update");
        assert!(message(json!({"fee_shedule": null})).starts_with("unknown field fee_shedule"));
        assert!(
            message(json!({"slippage": 0.05})).starts_with("slippage must be a decimal string")
        );
        assert!(
            message(json!({"fee_schedule": "cheap"})).starts_with("fee_schedule must be an object")
        );
        assert!(
            message(json!({"fee_schedule": {"buy_equity": "1"}}))
                .contains("fee_schedule.sell_equity is required")
        );
        assert!(
            message(
                json!({"email": "a@b.com", "password": "longenough", "verification_code": "123456"})
            )
            .contains("cannot both change")
        );
        assert!(message(json!({"password": "longenough"})).contains("requires verification_code"));
        assert!(message(json!([])).contains("JSON object"));
        let ok = parse_patch(&json!({"fee_schedule": null, "slippage": "0.10"})).unwrap();
        assert_eq!(ok.preferences.fee_schedule, Some(None));
        assert_eq!(canonical(ok.preferences.slippage.unwrap().amount()), "0.1");
    }
}
