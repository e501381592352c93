//! How the client names itself to GBG GO.

/// This release, as Cargo, npm, PyPI and the WIT package spell it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The `User-Agent` of every request the client sends: `gbg-go/<version>`.
/// A CDN in front of an API may refuse requests without one.
pub const USER_AGENT: &str = concat!("gbg-go/", env!("CARGO_PKG_VERSION"));

/// The header that names the integration to GBG GO (GBG's own SDK sends it
/// on every request). It carries the configured `source`, else
/// [`USER_AGENT`].
pub const SOURCE_HEADER: &str = "X-GBG-Source";
