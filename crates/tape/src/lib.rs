//! Market data at rest.
