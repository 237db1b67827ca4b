//! Outgoing HTTP/1 POSTs over hyper's client connection (plain TCP or rustls), one request
//! per connection: the webhook notifier and the LLM judge both send JSON this way. hyper is
//! already linked for the OTLP receiver and rustls for the WebSocket source, so this adds
//! no new stack.

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::{header, Method, Request};
use hyper_util::rt::TokioIo;
use std::sync::{Arc, OnceLock};
use tokio::net::TcpStream;

/// A URL that cannot be POSTed to, and why.
#[derive(Debug, thiserror::Error)]
#[error("bad URL {0:?}: {1}")]
pub struct UrlError(pub String, pub &'static str);

/// A parsed `http://` or `https://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

/// What came back from one POST: the status, the `Retry-After` delay in seconds when the
/// server gave one, and as much of the body as the caller asked to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub body: Vec<u8>,
}

impl Endpoint {
    /// Parses `http://host[:port]/path` or `https://...`.
    pub fn parse(url: &str) -> Result<Endpoint, UrlError> {
        let bad = |why| UrlError(url.to_string(), why);
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

    /// The same server with `suffix` appended to the path (`/v1` + `/chat/completions`).
    pub fn join(&self, suffix: &str) -> Endpoint {
        let base = self.path.trim_end_matches('/');
        Endpoint {
            path: format!("{base}/{}", suffix.trim_start_matches('/')),
            ..self.clone()
        }
    }

    /// The `Host` header value (`host:port`, IPv6 hosts in brackets).
    fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    fn request(
        &self,
        body: &str,
        headers: &[(&str, String)],
    ) -> Result<Request<Full<Bytes>>, PostError> {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(self.path.as_str())
            .header(header::HOST, self.authority())
            .header(
                header::USER_AGENT,
                concat!("llmmon/", env!("CARGO_PKG_VERSION")),
            )
            .header(header::CONTENT_TYPE, "application/json");
        for (k, v) in headers {
            req = req.header(*k, v.as_str());
        }
        req.body(Full::new(Bytes::from(body.to_owned())))
            .map_err(|e| PostError::Http(e.to_string()))
    }

    /// Sends one JSON POST on a fresh connection with extra `headers`, and reads up to
    /// `max_body` bytes of the answer (0: the body is not read). Redirects are not
    /// followed (a signed or authorised body would go to a host nobody configured).
    pub async fn post_json(
        &self,
        body: &str,
        headers: &[(&str, String)],
        max_body: usize,
    ) -> Result<Response, PostError> {
        let req = self.request(body, headers)?;
        let tcp = TcpStream::connect((self.host.as_str(), self.port)).await?;
        let _ = tcp.set_nodelay(true);
        if self.tls {
            let name = rustls::pki_types::ServerName::try_from(self.host.clone())
                .map_err(|e| PostError::Tls(e.to_string()))?;
            let tls = tls_connector()?.connect(name, tcp).await?;
            exchange(TokioIo::new(tls), req, max_body).await
        } else {
            exchange(TokioIo::new(tcp), req, max_body).await
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
    #[error("the answer is longer than {0} bytes")]
    TooLong(usize),
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
/// timeout) closes the connection: nothing outlives a server that never answers.
async fn exchange<T>(
    io: T,
    req: Request<Full<Bytes>>,
    max_body: usize,
) -> Result<Response, PostError>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await?;
    let conn = async move {
        // An HTTP/1.0 server closes after answering; that ends the connection cleanly.
        conn.await?;
        std::future::pending::<Result<(), hyper::Error>>().await
    };
    let answer = async move {
        let resp = sender.send_request(req).await?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let body = if max_body == 0 {
            Vec::new()
        } else {
            Limited::new(resp.into_body(), max_body)
                .collect()
                .await
                .map_err(|e| match e.downcast::<http_body_util::LengthLimitError>() {
                    Ok(_) => PostError::TooLong(max_body),
                    Err(e) => PostError::Http(e.to_string()),
                })?
                .to_bytes()
                .to_vec()
        };
        Ok::<_, PostError>(Response {
            status,
            retry_after,
            body,
        })
    };
    tokio::select! {
        r = answer => r,
        Err(e) = conn => Err(e.into()),
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
    fn join_appends_one_slash() {
        let e = Endpoint::parse("http://127.0.0.1:9/v1/").unwrap();
        assert_eq!(e.join("/chat/completions").path, "/v1/chat/completions");
        let e = Endpoint::parse("http://127.0.0.1:9").unwrap();
        assert_eq!(e.join("chat/completions").path, "/chat/completions");
    }
}
