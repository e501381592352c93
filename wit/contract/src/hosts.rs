//! GBG GO's documented hosts.

/// The documented public OAuth token endpoint.
pub const TOKEN_URL: &str = "https://api.auth.gbgplc.com/as/token.oauth2";

/// The regions with a documented platform host, as the WIT `region` enum
/// and the `GBG_GO_REGION` setting spell them.
pub const REGIONS: [&str; 3] = ["eu", "us", "au"];

/// The path every v2 ("Captain") API URL starts with.
pub const API_PREFIX: &str = "/v2/captain";

/// The API base URL of `region` (one of [`REGIONS`]):
/// `https://{region}.platform.go.gbgplc.com/v2/captain`.
pub fn region_base_url(region: &str) -> String {
    format!("https://{}{API_PREFIX}", region_host(region))
}

/// The platform host of `region`: `{region}.platform.go.gbgplc.com`.
pub fn region_host(region: &str) -> String {
    format!("{region}.platform.go.gbgplc.com")
}

/// The origins (`https://host`) of every documented host: each region's
/// platform and the token endpoint.
pub fn documented_origins() -> Vec<String> {
    let token_origin = TOKEN_URL
        .strip_suffix("/as/token.oauth2")
        .expect("the token URL ends in its path");
    REGIONS
        .iter()
        .map(|region| format!("https://{}", region_host(region)))
        .chain([token_origin.to_owned()])
        .collect()
}

/// Whether `host` (a name or an address, IPv6 without brackets) is this
/// machine's loopback: `localhost`, `127.0.0.0/8` or `::1`. Plain `http` is
/// acceptable only to such a host.
pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in ["localhost", "LOCALHOST", "127.0.0.1", "127.3.4.5", "::1"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "example.com",
            "10.0.0.1",
            "[::1]",
            "localhost.example.com",
            "",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn regions_and_origins() {
        assert_eq!(
            region_base_url("eu"),
            "https://eu.platform.go.gbgplc.com/v2/captain"
        );
        assert_eq!(
            documented_origins(),
            [
                "https://eu.platform.go.gbgplc.com",
                "https://us.platform.go.gbgplc.com",
                "https://au.platform.go.gbgplc.com",
                "https://api.auth.gbgplc.com",
            ]
        );
    }
}
