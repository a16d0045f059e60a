//! The version's lifecycle (spec A.10): `Deprecation`, `Sunset` and `Link` headers from the
//! configuration, and 410 `gone` once the server's clock reaches the sunset.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use model::Timestamp;

use crate::http::{Problem, ProblemKind};
use crate::settings::ColumnSettings;

/// `Wed, 01 Jul 2026 00:00:00 GMT` (RFC 9110's HTTP-date).
fn http_date(t: Timestamp) -> String {
    t.to_jiff()
        .strftime("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// The lifecycle headers of every column response, as configured.
pub fn headers(settings: &ColumnSettings) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::try_from(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    if let Some(at) = settings.deprecated_at {
        put("deprecation", format!("@{}", at.as_seconds()));
    }
    if let Some(at) = settings.sunset_at {
        put("sunset", http_date(at));
    }
    if let Some(url) = &settings.successor_url {
        put("link", format!("<{url}>; rel=\"successor-version\""));
    }
    headers
}

/// The refusal of every request once the version is past its sunset.
pub fn gone(settings: &ColumnSettings, now: Timestamp) -> Option<Problem> {
    let sunset = settings.sunset_at.filter(|at| now >= *at)?;
    let mut message = format!("API version v1 was retired at {}", http_date(sunset));
    if let Some(url) = &settings.successor_url {
        message.push_str(&format!("; its successor is described at {url}"));
    }
    Some(Problem::new(ProblemKind::Gone, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_follow_the_configuration() {
        assert!(headers(&ColumnSettings::default()).is_empty());
        let settings = ColumnSettings {
            deprecated_at: Some(Timestamp::from_seconds(1_767_225_600)),
            sunset_at: Some(Timestamp::from_seconds(1_782_864_000)),
            successor_url: Some("https://lab.example.com/docs#v2".into()),
            ..ColumnSettings::default()
        };
        let headers = headers(&settings);
        assert_eq!(headers["deprecation"], "@1767225600");
        assert_eq!(headers["sunset"], "Wed, 01 Jul 2026 00:00:00 GMT");
        assert_eq!(
            headers["link"],
            "<https://lab.example.com/docs#v2>; rel=\"successor-version\""
        );
        let sunset = Timestamp::from_seconds(1_782_864_000);
        assert!(gone(&settings, Timestamp::from_seconds(1_782_863_999)).is_none());
        let problem = gone(&settings, sunset).unwrap();
        assert_eq!(problem.kind, ProblemKind::Gone);
        assert!(
            problem.message.contains("lab.example.com"),
            "{}",
            problem.message
        );
    }
}
