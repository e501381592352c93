//! Random identifiers: instance ids, opaque tokens, JWT-looking end-user tokens and
//! request ids.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;

const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `len` random characters of the URL-safe alphabet (`A-Z a-z 0-9 - _`), 6 bits each.
pub fn url_safe(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    rand::rng().fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|byte| char::from(URL_SAFE[usize::from(byte & 63)]))
        .collect()
}

/// A journey instance id: 22 URL-safe characters, like GBG's.
pub fn instance_id() -> String {
    url_safe(22)
}

/// An opaque bearer token (access or connect token), 256 random bits.
pub fn opaque_token() -> String {
    url_safe(43)
}

/// A token that looks like a JWT (three base64url parts) and carries the instance, the
/// issue time and the expiry; its signature part is random.
pub fn jwt_like_token(instance_id: &str, issued_at_s: u64, lifetime_s: u64) -> String {
    let header = serde_json::json!({"alg": "HS256", "typ": "JWT"});
    let claims = serde_json::json!({
        "jti": url_safe(32),
        "sub": instance_id,
        "scope": ["any"],
        "iat": issued_at_s,
        "exp": issued_at_s + lifetime_s,
        "aud": "gbg-go-simulator/#device",
    });
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        url_safe(43)
    )
}

/// A request id in UUID version 4 form.
pub fn request_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_ids_are_22_url_safe_characters() {
        let id = instance_id();
        assert_eq!(id.len(), 22);
        assert!(id.bytes().all(|b| URL_SAFE.contains(&b)));
        assert_ne!(id, instance_id());
    }

    #[test]
    fn jwt_like_tokens_have_three_base64url_parts_with_the_claims() {
        let token = jwt_like_token("inst", 10, 5);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["sub"], "inst");
        assert_eq!(claims["exp"], 15);
    }

    #[test]
    fn request_ids_look_like_uuids() {
        let id = request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
    }
}
