//! Webhook POSTs: the JSON body, signed with HMAC-SHA256 when a secret is configured, sent
//! over the shared HTTP/1 client ([`crate::http`]); the status code read, the body ignored.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub use crate::http::{Endpoint, PostError};

/// Header carrying `sha256=<hex HMAC of the body>` when a secret is configured.
pub const SIGNATURE_HEADER: &str = "X-Llmmon-Signature";

/// `sha256=<hex>`: the HMAC-SHA256 of `body` under `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut out = String::from("sha256=");
    if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        mac.update(body);
        for b in mac.finalize().into_bytes() {
            out.push_str(&format!("{b:02x}"));
        }
    }
    out
}

/// Sends one signed POST of `body` and returns the response status code.
pub async fn post(ep: &Endpoint, body: &str, secret: Option<&str>) -> Result<u16, PostError> {
    let mut headers = Vec::new();
    if let Some(s) = secret {
        headers.push((SIGNATURE_HEADER, sign(s, body.as_bytes())));
    }
    Ok(ep.post_json(body, &headers, 0).await?.status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_a_known_vector() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
