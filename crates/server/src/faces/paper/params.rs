//! Reading paper requests: JSON bodies member by member (numbers read from their text, never
//! through a float), query booleans, generations and instants, and account ids.

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use model::Timestamp;
use model::money::parse_decimal;
use rust_decimal::Decimal;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;
use store::paper_accounts::Generations;
use uuid::Uuid;

use crate::http::extract::MAX_JSON_BODY;
use crate::http::{JsonBody, Problem, ProblemKind};

/// A JSON object's members as written, each name at most once. Values stay raw so that each is
/// read by its own rule: `initial_cash` as a number must keep the digits it was sent with.
#[derive(Default)]
pub struct Members<'a> {
    members: Vec<(String, &'a RawValue)>,
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object<'a>(std::marker::PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for Object<'a> {
            type Value = Members<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Members<'a>, M::Error> {
                let mut members: Vec<(String, &'a RawValue)> = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    if members.iter().any(|(seen, _)| *seen == name) {
                        return Err(de::Error::custom(format!("{name} appears more than once")));
                    }
                    let value: &'a RawValue = map.next_value()?;
                    members.push((name, value));
                }
                Ok(Members { members })
            }
        }

        deserializer.deserialize_map(Object(std::marker::PhantomData))
    }
}

impl<'a> Members<'a> {
    /// The members of a request body, which must be a JSON object.
    pub fn of(body: &'a RawValue) -> Result<Members<'a>, Problem> {
        if !body.get().trim_start().starts_with('{') {
            return Err(Problem::bad_request("request body must be a JSON object"));
        }
        serde_json::from_str(body.get())
            .map_err(|e| Problem::bad_request(format!("invalid request body: {e}")))
    }

    /// Refuses members other than `allowed`.
    pub fn only(&self, allowed: &[&str]) -> Result<(), Problem> {
        match self
            .members
            .iter()
            .find(|(name, _)| !allowed.contains(&name.as_str()))
        {
            Some((name, _)) => Err(Problem::bad_request(format!(
                "unknown field {name:?}; this body takes {}",
                allowed.join(", ")
            ))),
            None => Ok(()),
        }
    }

    /// The member's value; `None` when absent or `null`.
    pub fn get(&self, name: &str) -> Option<&'a RawValue> {
        self.members
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| *value)
            .filter(|value| value.get().trim() != "null")
    }
}

/// A string member.
pub fn string(name: &str, value: &RawValue) -> Result<String, Problem> {
    serde_json::from_str(value.get())
        .map_err(|_| Problem::bad_request(format!("{name} must be a string")))
}

/// A decimal member, sent as a decimal string (`"2500.50"`) or a JSON number (`2500.5`). A
/// number is read from the digits it was written with, so it is exactly what was sent; an
/// exponent (`1e3`) is refused either way.
pub fn decimal(name: &str, value: &RawValue) -> Result<Decimal, Problem> {
    let raw = value.get().trim();
    let text = match raw.as_bytes().first() {
        Some(b'"') => string(name, value)?,
        Some(b'-' | b'0'..=b'9') => raw.to_string(),
        _ => {
            return Err(Problem::bad_request(format!(
                "{name} must be a decimal string or a number"
            )));
        }
    };
    parse_decimal(&text).map_err(|_| {
        Problem::bad_request(format!(
            "{name} must be a plain decimal such as \"2500.50\", not {text:?}"
        ))
    })
}

/// Whether a member is exactly JSON `true` (not `"true"`, not `1`).
pub fn is_true(value: Option<&RawValue>) -> bool {
    value.is_some_and(|v| v.get().trim() == "true")
}

/// A body that may be left out: `None` when the request has none (or only whitespace),
/// otherwise the JSON document, read with [`JsonBody`]'s checks.
pub async fn optional_body(req: Request) -> Result<Option<Box<RawValue>>, Problem> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_JSON_BODY)
        .await
        .map_err(|_| {
            Problem::new(
                ProblemKind::PayloadTooLarge,
                format!("request body exceeds {MAX_JSON_BODY} bytes"),
            )
        })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let JsonBody(raw) =
        JsonBody::<Box<RawValue>>::from_request(Request::from_parts(parts, Body::from(bytes)), &())
            .await?;
    Ok(Some(raw))
}

/// The first value of query parameter `name`.
pub fn query<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// A boolean query value: `true`/`false`/`1`/`0` in any case (Python clients send `True`).
pub fn boolean(pairs: &[(String, String)], name: &str, default: bool) -> Result<bool, Problem> {
    match query(pairs, name) {
        None => Ok(default),
        Some(text) if text.eq_ignore_ascii_case("true") || text == "1" => Ok(true),
        Some(text) if text.eq_ignore_ascii_case("false") || text == "0" => Ok(false),
        Some(text) => Err(Problem::bad_request(format!(
            "{name} must be true or false, not {text:?}"
        ))),
    }
}

/// `generation`: absent for the current one, a number from 1, or `all`.
pub fn generations(pairs: &[(String, String)]) -> Result<Generations, Problem> {
    let Some(text) = query(pairs, "generation") else {
        return Ok(Generations::Current);
    };
    if text.eq_ignore_ascii_case("all") {
        return Ok(Generations::All);
    }
    text.parse::<i64>()
        .ok()
        .filter(|n| *n >= 1 && text.bytes().all(|b| b.is_ascii_digit()))
        .map(Generations::One)
        .ok_or_else(|| {
            Problem::bad_request(format!(
                "generation must be a generation number (1, 2, ...) or all, not {text:?}"
            ))
        })
}

/// The one generation a read covers (`None` for all), the current one by default.
pub fn generation(pairs: &[(String, String)], current: i64) -> Result<Option<i64>, Problem> {
    Ok(match generations(pairs)? {
        Generations::Current => Some(current),
        Generations::One(n) => Some(n),
        Generations::All => None,
    })
}

/// `direction`: `asc`, or `desc` (the default): whether a list runs oldest first.
pub fn ascending(pairs: &[(String, String)]) -> Result<bool, Problem> {
    match query(pairs, "direction").unwrap_or("desc") {
        "asc" => Ok(true),
        "desc" => Ok(false),
        other => Err(Problem::bad_request(format!(
            "direction must be asc or desc, not {other:?}"
        ))),
    }
}

/// An RFC 3339 instant with any offset (`Z` or `+00:00`).
pub fn instant(pairs: &[(String, String)], name: &str) -> Result<Option<Timestamp>, Problem> {
    query(pairs, name)
        .map(|text| {
            Timestamp::parse_rfc3339(text).map_err(|_| {
                Problem::bad_request(format!(
                    "{name} must be an RFC 3339 instant such as 2026-01-05T15:00:00Z, not {text:?}"
                ))
            })
        })
        .transpose()
}

/// The account id of a path. Text that is not an id names no account: 404 like an unknown id.
pub fn account_id(text: &str) -> Result<Uuid, Problem> {
    Uuid::try_parse(text).map_err(|_| not_found(text))
}

/// The answer for a write to an archived account.
pub fn archived(id: &str) -> Problem {
    Problem::new(
        ProblemKind::Conflict,
        format!("paper account {id} is archived; archived accounts are read-only"),
    )
    .with_code("account_archived")
}

/// The answer for an account that does not exist or is another user's: the same either way.
pub fn not_found(id: &str) -> Problem {
    Problem::not_found(format!("paper account {id} not found"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_string()).unwrap()
    }

    fn pairs(query: &[(&str, &str)]) -> Vec<(String, String)> {
        query
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn members_keep_raw_values_and_refuse_repeats() {
        let body = raw(r#"{"name": "a", "initial_cash": 250000.50, "x": null}"#);
        let members = Members::of(&body).unwrap();
        assert_eq!(members.get("initial_cash").unwrap().get(), "250000.50");
        assert!(members.get("x").is_none());
        assert!(members.only(&["name", "initial_cash", "x"]).is_ok());
        let unknown = members.only(&["name", "initial_cash"]).unwrap_err();
        assert!(unknown.message.contains("\"x\""), "{}", unknown.message);

        let twice = raw(r#"{"name": "a", "name": "b"}"#);
        let problem = Members::of(&twice).err().unwrap();
        assert!(
            problem.message.contains("more than once"),
            "{}",
            problem.message
        );
        for not_object in ["[1]", "\"name\"", "5", "null", "true"] {
            let body = raw(not_object);
            assert_eq!(
                Members::of(&body).err().unwrap().message,
                "request body must be a JSON object"
            );
        }
    }

    #[test]
    fn decimals_come_from_their_text() {
        let read = |text: &str| decimal("initial_cash", &raw(text));
        assert_eq!(read("250000.5").unwrap().to_string(), "250000.5");
        assert_eq!(read("\"100000\"").unwrap().to_string(), "100000");
        // Digits past a double's precision survive, because no float is involved.
        assert_eq!(
            read("1234567.123456789012345").unwrap().to_string(),
            "1234567.123456789012345"
        );
        assert_eq!(read("-5").unwrap().to_string(), "-5");
        for refused in [
            "1e3",
            "\"1e3\"",
            "\" 5\"",
            "true",
            "[1]",
            "{}",
            "\"\"",
            "\"1,000\"",
        ] {
            assert!(read(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn only_json_true_confirms() {
        assert!(is_true(Some(&raw("true"))));
        for other in ["false", "\"true\"", "1", "null"] {
            assert!(!is_true(Some(&raw(other))), "{other}");
        }
        assert!(!is_true(None));
    }

    #[test]
    fn query_values() {
        for (text, expected) in [
            ("TRUE", true),
            ("True", true),
            ("1", true),
            ("fAlse", false),
            ("0", false),
        ] {
            assert_eq!(
                boolean(&pairs(&[("b", text)]), "b", !expected).unwrap(),
                expected
            );
        }
        assert!(!boolean(&[], "b", false).unwrap());
        assert!(boolean(&pairs(&[("b", "yes")]), "b", false).is_err());

        assert_eq!(generations(&[]).unwrap(), Generations::Current);
        assert_eq!(
            generations(&pairs(&[("generation", "ALL")])).unwrap(),
            Generations::All
        );
        assert_eq!(
            generations(&pairs(&[("generation", "2")])).unwrap(),
            Generations::One(2)
        );
        for refused in ["0", "-1", "+1", "1.0", "two", ""] {
            assert!(
                generations(&pairs(&[("generation", refused)])).is_err(),
                "{refused}"
            );
        }

        let offset = instant(&pairs(&[("after", "2026-01-05T10:00:00-05:00")]), "after").unwrap();
        assert_eq!(offset, Some(Timestamp::from_seconds(1_767_625_200)));
        assert!(instant(&pairs(&[("after", "2026-01-05")]), "after").is_err());
    }

    #[test]
    fn account_ids_that_are_not_ids_are_not_found() {
        assert_eq!(account_id("nope").unwrap_err().kind, ProblemKind::NotFound);
        let id = Uuid::new_v4();
        assert_eq!(account_id(&id.to_string()).unwrap(), id);
    }
}
