//! Webhook POSTs over hyper's HTTP/1 client connection (plain TCP or rustls): one request
//! per connection, the status code read, the body ignored. hyper is already linked for the
//! OTLP receiver and rustls for the WebSocket source, so this adds no new stack.

use super::NotifyError;
use hmac::{Hmac, Mac};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{header, Method, Request};
use hyper_util::rt::TokioIo;
use sha2::Sha256;
use std::sync::{Arc, OnceLock};
use tokio::net::TcpStream;

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

/// A parsed webhook URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

impl Endpoint {
    /// Parses `http://host[:port]/path` or `https://...`.
    pub fn parse(url: &str) -> Result<Endpoint, NotifyError> {
        let bad = |why| NotifyError::Url(url.to_string(), why);
        let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("http://") {
            (false, r)
        } else {
            return Err(bad("must start with http:// or https://"));
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest[i..].starts_with('/') => (&rest[..i], rest[i..].to_string()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_string()),
        };
        if authority.contains('@') {
            return Err(bad(
                "credentials in the URL are not supported; use the secret",
            ));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (
                h.trim_start_matches('[').trim_end_matches(']'),
                p.parse().map_err(|_| bad("bad port"))?,
            ),
            _ => (authority, if tls { 443 } else { 80 }),
        };
        if host.is_empty() || path.contains(['\r', '\n', ' ']) {
            return Err(bad("no host, or spaces in the path"));
        }
        Ok(Endpoint {
            tls,
            host: host.to_string(),
            port,
            path,
        })
    }

    /// The `Host` header value (`host:port`, IPv6 hosts in brackets).
    fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    fn request(&self, body: &str, secret: Option<&str>) -> Result<Request<Full<Bytes>>, PostError> {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(self.path.as_str())
            .header(header::HOST, self.authority())
            .header(
                header::USER_AGENT,
                concat!("llmmon/", env!("CARGO_PKG_VERSION")),
            )
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(s) = secret {
            req = req.header(SIGNATURE_HEADER, sign(s, body.as_bytes()));
        }
        req.body(Full::new(Bytes::from(body.to_owned())))
            .map_err(|e| PostError::Http(e.to_string()))
    }

    /// Sends one POST on a fresh connection and returns the response status code. Redirects
    /// are not followed (the signed body would go to a host nobody configured).
    pub async fn post(&self, body: &str, secret: Option<&str>) -> Result<u16, PostError> {
        let req = self.request(body, secret)?;
        let tcp = TcpStream::connect((self.host.as_str(), self.port)).await?;
        let _ = tcp.set_nodelay(true);
        if self.tls {
            let name = rustls::pki_types::ServerName::try_from(self.host.clone())
                .map_err(|e| PostError::Tls(e.to_string()))?;
            let tls = tls_connector()?.connect(name, tcp).await?;
            exchange(TokioIo::new(tls), req).await
        } else {
            exchange(TokioIo::new(tcp), req).await
        }
    }
}

/// Why one POST attempt failed before a status code came back.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("HTTP: {0}")]
    Http(String),
}

impl From<hyper::Error> for PostError {
    fn from(e: hyper::Error) -> Self {
        PostError::Http(e.to_string())
    }
}

/// One TLS client configuration (webpki roots, ring) shared by every https:// POST.
fn tls_connector() -> Result<tokio_rustls::TlsConnector, PostError> {
    static CONNECTOR: OnceLock<Result<tokio_rustls::TlsConnector, String>> = OnceLock::new();
    CONNECTOR
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
            Ok(tokio_rustls::TlsConnector::from(Arc::new(cfg)))
        })
        .clone()
        .map_err(PostError::Tls)
}

/// Drives the HTTP/1 connection and the request together, so that dropping this future (on
/// timeout) closes the connection: nothing outlives a receiver that never answers.
async fn exchange<T>(io: T, req: Request<Full<Bytes>>) -> Result<u16, PostError>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await?;
    let mut conn = std::pin::pin!(conn);
    let mut resp = std::pin::pin!(sender.send_request(req));
    tokio::select! {
        biased;
        r = &mut resp => Ok(r?.status().as_u16()),
        done = &mut conn => {
            done?;
            // The connection ended cleanly (an HTTP/1.0 server closes after answering): the
            // response, if one came, is waiting.
            Ok(resp.await?.status().as_u16())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let e = Endpoint::parse("https://hooks.example.com/a/b?x=1").unwrap();
        assert_eq!(
            (e.tls, e.host.as_str(), e.port, e.path.as_str()),
            (true, "hooks.example.com", 443, "/a/b?x=1")
        );
        let e = Endpoint::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!((e.port, e.path.as_str()), (8080, "/"));
        assert!(Endpoint::parse("ftp://x").is_err());
        assert!(Endpoint::parse("http://u:p@x/").is_err());
        assert!(Endpoint::parse("http://x:port/").is_err());
    }

    #[test]
    fn signature_matches_a_known_vector() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
