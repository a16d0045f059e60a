//! HTTP conventions shared by every face: request ids, path normalisation, problems and their
//! rendering, extractors, the access log.

pub mod access_log;
pub mod extract;
pub mod face;
pub mod numbers;
pub mod path;
pub mod problem;
pub mod request_id;

pub use access_log::Actor;
pub use extract::{JsonBody, PathParams, QueryParams};
pub use face::Face;
pub use problem::{Problem, ProblemKind, Reply};
pub use request_id::RequestId;
