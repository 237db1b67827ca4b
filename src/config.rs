//! Typed configuration with defaults. Load order: command line > environment > file >
//! defaults. The file is `--config FILE`, else `$LLMMON_CONFIG`, else `llmmon.toml` in the
//! platform config directory (`directories`), if it exists. Every option is documented in
//! `llmmon.toml.example`.

use crate::engine::{parse_duration, EngineConfig};
use crate::enrich::pricing::{Price, PriceTable, PricingError};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Errors loading configuration, each naming the file and, where possible, the line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}: {field}: {message}")]
    Invalid {
        path: PathBuf,
        field: String,
        message: String,
    },
    #[error("pricing: {0}")]
    Pricing(#[from] PricingError),
}

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub sources: SourcesConfig,
    pub websocket: WebSocketConfig,
    pub engine: EngineSection,
    pub pricing: PricingConfig,
    /// `[safety]`: the detectors (see `llmmon.toml.example`).
    pub safety: crate::enrich::safety::config::SafetyConfig,
    pub tui: TuiConfig,
    /// Where this config came from (not read from the file).
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

/// `[sources]`: how files and streams are read.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourcesConfig {
    /// Lines longer than this are skipped and counted as oversize.
    pub max_line_bytes: usize,
    /// How often a followed file is checked for growth, rotation and truncation.
    pub poll_ms: u64,
}

impl Default for SourcesConfig {
    fn default() -> Self {
        SourcesConfig {
            max_line_bytes: 1 << 20,
            poll_ms: 250,
        }
    }
}

/// `[websocket]`: extra handshake headers (the bearer token comes from `LLMMON_WS_TOKEN`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebSocketConfig {
    pub headers: BTreeMap<String, String>,
    /// Bearer token; prefer the `LLMMON_WS_TOKEN` environment variable.
    pub token: Option<String>,
}

/// `[engine]`: windows and memory bounds.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineSection {
    pub windows: Vec<String>,
    pub max_calls: usize,
    pub max_conversations: usize,
    pub max_traces: usize,
    pub max_turns: usize,
    pub session_gap: String,
    pub max_models: usize,
    pub max_providers: usize,
    pub max_users: usize,
    pub max_apps: usize,
}

impl Default for EngineSection {
    fn default() -> Self {
        let e = EngineConfig::default();
        EngineSection {
            windows: ["1m", "5m", "15m", "1h"].map(String::from).to_vec(),
            max_calls: e.store.max_calls,
            max_conversations: e.store.max_conversations,
            max_traces: e.store.max_traces,
            max_turns: e.store.max_turns,
            session_gap: "30m".into(),
            max_models: e.group_caps[0],
            max_providers: e.group_caps[1],
            max_users: e.group_caps[2],
            max_apps: e.group_caps[3],
        }
    }
}

/// `[pricing]`: replace the table and/or override single models.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PricingConfig {
    /// A JSON file in the `assets/pricing.json` shape that replaces the built-in table.
    pub table: Option<PathBuf>,
    /// Per-model overrides and additions.
    pub models: BTreeMap<String, Price>,
}

/// `[tui]`: look and feel.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TuiConfig {
    /// `dark`, `light` or `mono` (`NO_COLOR` forces mono).
    pub theme: String,
    /// Capture the mouse at start (off keeps native text selection).
    pub mouse: bool,
    /// Frame cap while data flows.
    pub fps: u32,
    /// Ring the terminal bell on new alerts.
    pub bell: bool,
    /// Key overrides: action name → key or list of keys, e.g. `quit = "ctrl+q"`.
    pub keys: BTreeMap<String, toml::Value>,
}

impl Default for TuiConfig {
    fn default() -> Self {
        TuiConfig {
            theme: "dark".into(),
            mouse: false,
            fps: 30,
            bell: false,
            keys: BTreeMap::new(),
        }
    }
}

impl Config {
    /// Loads the file named on the command line, else `$LLMMON_CONFIG`, else the default
    /// location if it exists, else defaults.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let env_path = std::env::var_os("LLMMON_CONFIG").map(PathBuf::from);
        let path = explicit.map(Path::to_path_buf).or(env_path);
        let path = match path {
            Some(p) => p,
            None => match default_path().filter(|p| p.exists()) {
                Some(p) => p,
                None => return Ok(Config::default()),
            },
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let mut cfg = Self::parse(&text, &path)?;
        cfg.path = Some(path);
        Ok(cfg)
    }

    /// Parses config text; errors carry the file and line.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            line: e.span().map(|s| line_of(text, s.start)).unwrap_or(0),
            message: e.message().to_string(),
        })?;
        cfg.engine_config_at(path)?;
        Ok(cfg)
    }

    fn invalid(path: &Path, field: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            path: path.to_path_buf(),
            field: field.to_string(),
            message: message.into(),
        }
    }

    fn engine_config_at(&self, path: &Path) -> Result<EngineConfig, ConfigError> {
        let e = &self.engine;
        let mut windows = Vec::new();
        for w in &e.windows {
            windows.push(parse_duration(w).ok_or_else(|| {
                Self::invalid(
                    path,
                    "engine.windows",
                    format!("{w:?} is not a duration like 5m"),
                )
            })?);
        }
        windows.sort_unstable();
        windows.dedup();
        let gap = parse_duration(&e.session_gap).ok_or_else(|| {
            Self::invalid(
                path,
                "engine.session_gap",
                format!("{:?} is not a duration", e.session_gap),
            )
        })?;
        let mut cfg = EngineConfig {
            windows,
            group_caps: [e.max_models, e.max_providers, e.max_users, e.max_apps],
            ..EngineConfig::default()
        };
        cfg.store.max_calls = e.max_calls;
        cfg.store.max_conversations = e.max_conversations;
        cfg.store.max_traces = e.max_traces;
        cfg.store.max_turns = e.max_turns;
        cfg.store.session_gap_ns = gap;
        Ok(cfg)
    }

    /// The engine configuration this file describes.
    pub fn engine_config(&self) -> Result<EngineConfig, ConfigError> {
        let path = self
            .path
            .clone()
            .unwrap_or_else(|| PathBuf::from("(defaults)"));
        self.engine_config_at(&path)
    }

    /// The price table: built-in or replaced, with overrides applied.
    pub fn price_table(&self) -> Result<PriceTable, ConfigError> {
        let mut table = match &self.pricing.table {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.clone(),
                    source,
                })?;
                PriceTable::from_json(&text)?
            }
            None => PriceTable::builtin()?,
        };
        for (name, price) in &self.pricing.models {
            table.insert(name, price.clone())?;
        }
        Ok(table)
    }

    /// The WebSocket bearer token: `LLMMON_WS_TOKEN` wins over the file.
    pub fn ws_token(&self) -> Option<String> {
        std::env::var("LLMMON_WS_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())
            .or_else(|| self.websocket.token.clone())
    }
}

/// 1-based line number of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// `llmmon.toml` in the platform config directory (e.g. `~/.config/llmmon/llmmon.toml`).
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "llmmon").map(|d| d.config_dir().join("llmmon.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_config_parses() {
        let text = include_str!("../llmmon.toml.example");
        let cfg = Config::parse(text, Path::new("llmmon.toml.example")).unwrap();
        assert_eq!(cfg.engine.windows.len(), 4);
    }

    #[test]
    fn errors_name_the_line() {
        let text = "[engine]\nmax_calls = 10\nbogus = 1\n";
        let err = Config::parse(text, Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("x.toml:3:"), "{err}");
        let text = "[engine]\nwindows = [\"5 parsecs\"]\n";
        let err = Config::parse(text, Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("engine.windows"), "{err}");
    }

    #[test]
    fn pricing_overrides_add_models() {
        let text =
            "[pricing.models.acme-ft]\ninput_cost_per_token = 1e-6\noutput_cost_per_token = 2e-6\n";
        let cfg = Config::parse(text, Path::new("x.toml")).unwrap();
        let t = cfg.price_table().unwrap();
        assert!(t.lookup("acme-ft").is_some());
    }
}
