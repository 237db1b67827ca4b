//! What the user asked to read (`SourceSpec`, parsed from a command-line string) and how to
//! read it (`SourceOptions`).

use super::SourceKind;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// One source named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// A file path (or `file://` URL), read and optionally followed.
    File(PathBuf),
    /// `-`: standard input.
    Stdin,
    /// A `ws://` or `wss://` URL.
    WebSocket(String),
    /// `demo`: the built-in simulated application.
    Demo,
    /// `otlp://HOST:PORT[?grpc=HOST:PORT|off]`: an OTLP receiver to listen on.
    Otlp {
        /// OTLP/HTTP listen address, `HOST:PORT` (IPv6 hosts keep their brackets).
        http: String,
        /// OTLP/gRPC listen address (default: the same host, port 4317); `None` is off.
        grpc: Option<String>,
    },
}

/// Why a source string could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error(
        "empty source: give a file path, '-', 'demo', a ws:// or wss:// URL, or otlp://HOST:PORT"
    )]
    Empty,
    /// A `scheme://` other than ws, wss, otlp or file.
    #[error("unsupported scheme '{scheme}' in source '{spec}': expected a file path, '-', 'demo', a ws:// or wss:// URL, or otlp://HOST:PORT")]
    UnsupportedScheme { scheme: String, spec: String },
    /// A ws:// or wss:// URL that is not a valid request target (no host, bad port, ...).
    #[error("invalid WebSocket URL '{spec}': {cause}")]
    BadUrl { spec: String, cause: String },
    #[error(
        "invalid OTLP listen address '{spec}': expected otlp://HOST:PORT with a port in 1-65535, optionally ?grpc=HOST:PORT or ?grpc=off"
    )]
    BadOtlp { spec: String },
}

impl SourceSpec {
    /// The kind of source, for state display and `report --json`.
    pub fn kind(&self) -> SourceKind {
        match self {
            SourceSpec::File(_) => SourceKind::File,
            SourceSpec::Stdin => SourceKind::Stdin,
            SourceSpec::WebSocket(_) => SourceKind::WebSocket,
            SourceSpec::Demo => SourceKind::Demo,
            SourceSpec::Otlp { .. } => SourceKind::Otlp,
        }
    }
}

impl FromStr for SourceSpec {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<Self, SpecError> {
        let spec = s.trim();
        if spec.is_empty() {
            return Err(SpecError::Empty);
        }
        if spec == "-" {
            return Ok(SourceSpec::Stdin);
        }
        if spec == "demo" {
            return Ok(SourceSpec::Demo);
        }
        let Some((scheme, rest)) = spec.split_once("://") else {
            return Ok(SourceSpec::File(PathBuf::from(s)));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "ws" | "wss" => match spec.into_client_request() {
                Ok(_) => Ok(SourceSpec::WebSocket(spec.to_string())),
                Err(e) => Err(SpecError::BadUrl {
                    spec: redact_url(spec),
                    cause: e.to_string(),
                }),
            },
            "otlp" => parse_otlp(rest).ok_or_else(|| SpecError::BadOtlp {
                spec: spec.to_string(),
            }),
            "file" if !rest.is_empty() => Ok(SourceSpec::File(PathBuf::from(rest))),
            _ => Err(SpecError::UnsupportedScheme {
                scheme: scheme.to_string(),
                spec: redact_url(spec),
            }),
        }
    }
}

/// Shown in the TUI header and `report`. WebSocket URLs lose their query string and user
/// info, where tokens tend to hide.
impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceSpec::File(p) => write!(f, "{}", p.display()),
            SourceSpec::Stdin => f.write_str("stdin"),
            SourceSpec::WebSocket(url) => f.write_str(&redact_url(url)),
            SourceSpec::Demo => f.write_str("demo"),
            SourceSpec::Otlp { http, grpc } => {
                write!(f, "otlp://{http}")?;
                match grpc {
                    Some(g) if *g == default_grpc(http).unwrap_or_default() => Ok(()),
                    Some(g) => write!(f, "?grpc={g}"),
                    None if default_grpc(http).is_none() => Ok(()),
                    None => f.write_str("?grpc=off"),
                }
            }
        }
    }
}

/// `HOST:PORT[?grpc=HOST:PORT|off]`.
fn parse_otlp(rest: &str) -> Option<SourceSpec> {
    let (addr, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let http = listen_addr(addr.strip_suffix('/').unwrap_or(addr))?;
    let grpc = match query {
        None => default_grpc(&http),
        Some("grpc=off") => None,
        Some(q) => Some(listen_addr(q.strip_prefix("grpc=")?)?),
    };
    Some(SourceSpec::Otlp { http, grpc })
}

/// The gRPC address that goes with an OTLP/HTTP one: the same host on 4317, unless HTTP
/// itself took that port.
pub fn default_grpc(http: &str) -> Option<String> {
    let (host, port) = http.rsplit_once(':')?;
    (port != "4317").then(|| format!("{host}:4317"))
}

/// A listen address `HOST:PORT` (IPv6 hosts in brackets) with a non-zero port.
pub fn listen_addr(s: &str) -> Option<String> {
    let (host, port) = s.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let bad_host = host.is_empty() || host.contains(['/', '?', '#', '@', ' ', '=']);
    if port == 0 || bad_host {
        return None;
    }
    Some(format!("{host}:{port}"))
}

/// A URL without user info, query or fragment, safe to print.
pub(crate) fn redact_url(url: &str) -> String {
    let cut = url.find(['?', '#']).unwrap_or(url.len());
    let url = &url[..cut];
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_string(),
    }
}

/// How sources read: follow or not, where to start, limits, WebSocket credentials.
#[derive(Clone)]
pub struct SourceOptions {
    /// Read a followed file from its beginning instead of its end.
    pub from_start: bool,
    /// Keep reading files as they grow (`watch`); off for `report`, which reads to EOF.
    pub follow: bool,
    /// Lines longer than this are skipped and reported as dropped.
    pub max_line_bytes: usize,
    /// How often a followed file is checked for growth, rotation and truncation.
    pub poll_interval: Duration,
    /// Extra headers sent in the WebSocket handshake.
    pub ws_headers: Vec<(String, String)>,
    /// Sent as `Authorization: Bearer <token>`. Filled from the environment or config,
    /// never from argv (where other users could read it).
    pub ws_token: Option<String>,
    /// Reconnect a closed or failed WebSocket with backoff; off for `report`.
    pub reconnect: bool,
    /// First reconnect delay cap; doubles per failed attempt.
    pub backoff_initial: Duration,
    /// Largest reconnect delay.
    pub backoff_max: Duration,
    /// Give up a WebSocket dial (TCP, TLS and handshake) after this long.
    pub connect_timeout: Duration,
    /// Most lines in one [`super::SourceEvent::Lines`] batch.
    pub batch_lines: usize,
    /// Most line bytes in one batch (a batch closes once it reaches this).
    pub batch_bytes: usize,
    /// How an OTLP receiver listens: token and limits.
    pub otlp: super::OtlpOptions,
    /// The `[[formats]]` mappings the decoders of these sources read lines through.
    pub formats: std::sync::Arc<crate::decode::Formats>,
}

impl Default for SourceOptions {
    fn default() -> Self {
        SourceOptions {
            from_start: false,
            follow: true,
            max_line_bytes: 1 << 20,
            poll_interval: Duration::from_millis(150),
            ws_headers: Vec::new(),
            ws_token: None,
            reconnect: true,
            backoff_initial: Duration::from_millis(250),
            backoff_max: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            batch_lines: 1024,
            batch_bytes: 1 << 20,
            otlp: super::OtlpOptions::default(),
            formats: std::sync::Arc::default(),
        }
    }
}

/// Written by hand so the token never reaches a log or a panic message.
impl fmt::Debug for SourceOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.ws_headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("SourceOptions")
            .field("from_start", &self.from_start)
            .field("follow", &self.follow)
            .field("max_line_bytes", &self.max_line_bytes)
            .field("poll_interval", &self.poll_interval)
            .field("ws_headers", &header_names)
            .field("ws_token", &self.ws_token.as_ref().map(|_| "<redacted>"))
            .field("reconnect", &self.reconnect)
            .field("backoff_initial", &self.backoff_initial)
            .field("backoff_max", &self.backoff_max)
            .field("connect_timeout", &self.connect_timeout)
            .field("batch_lines", &self.batch_lines)
            .field("batch_bytes", &self.batch_bytes)
            .field("otlp", &self.otlp)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<SourceSpec, SpecError> {
        s.parse()
    }

    #[test]
    fn every_kind_of_spec_parses() {
        assert_eq!(
            parse("logs/app.jsonl").unwrap(),
            SourceSpec::File("logs/app.jsonl".into())
        );
        assert_eq!(parse("./demo").unwrap(), SourceSpec::File("./demo".into()));
        assert_eq!(
            parse("file:///var/log/a").unwrap(),
            SourceSpec::File("/var/log/a".into())
        );
        assert_eq!(parse("-").unwrap(), SourceSpec::Stdin);
        assert_eq!(parse("demo").unwrap(), SourceSpec::Demo);
        assert_eq!(
            parse("wss://example.com/feed?x=1").unwrap(),
            SourceSpec::WebSocket("wss://example.com/feed?x=1".into())
        );
        assert_eq!(
            parse("WS://127.0.0.1:9/").unwrap().kind(),
            SourceKind::WebSocket
        );
        assert_eq!(
            parse("otlp://0.0.0.0:4317").unwrap(),
            SourceSpec::Otlp {
                http: "0.0.0.0:4317".into(),
                grpc: None
            }
        );
        assert_eq!(
            parse("otlp://[::1]:4318").unwrap(),
            SourceSpec::Otlp {
                http: "[::1]:4318".into(),
                grpc: Some("[::1]:4317".into())
            }
        );
        let s = parse("otlp://127.0.0.1:9000?grpc=127.0.0.1:9001").unwrap();
        assert_eq!(s.to_string(), "otlp://127.0.0.1:9000?grpc=127.0.0.1:9001");
        let s = parse("otlp://127.0.0.1:4318?grpc=off").unwrap();
        assert_eq!(s.to_string(), "otlp://127.0.0.1:4318?grpc=off");
        assert_eq!(
            parse("otlp://127.0.0.1:4318").unwrap().to_string(),
            "otlp://127.0.0.1:4318"
        );
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        assert_eq!(parse("  "), Err(SpecError::Empty));
        let e = parse("http://x/y").unwrap_err();
        assert!(e.to_string().contains("unsupported scheme 'http'"), "{e}");
        assert!(matches!(
            parse("otlp://host"),
            Err(SpecError::BadOtlp { .. })
        ));
        assert!(matches!(
            parse("otlp://host:0"),
            Err(SpecError::BadOtlp { .. })
        ));
        assert!(matches!(
            parse("otlp://:4317"),
            Err(SpecError::BadOtlp { .. })
        ));
        assert!(matches!(
            parse("otlp://h:1?grpc=nope"),
            Err(SpecError::BadOtlp { .. })
        ));
        assert!(matches!(parse("ws://"), Err(SpecError::BadUrl { .. })));
    }

    #[test]
    fn display_hides_credentials_in_urls() {
        let s = parse("wss://user:pw@example.com:8443/feed?token=abc#f").unwrap();
        assert_eq!(s.to_string(), "wss://example.com:8443/feed");
        let e = parse("ftp://u:secret@h/p?token=1").unwrap_err().to_string();
        assert!(!e.contains("secret") && !e.contains("token"), "{e}");
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let o = SourceOptions {
            ws_token: Some("s3cr3t".into()),
            ws_headers: vec![("X-Key".into(), "hidden".into())],
            ..SourceOptions::default()
        };
        let d = format!("{o:?}");
        assert!(!d.contains("s3cr3t") && !d.contains("hidden"), "{d}");
        assert!(d.contains("X-Key"));
    }
}
