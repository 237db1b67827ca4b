//! Typed configuration with defaults. Load order: command line > environment > file >
//! defaults. The file is `--config FILE`, else `$LLMMON_CONFIG`, else `llmmon.toml` in the
//! platform config directory (`directories`), if it exists. Every option is documented in
//! `llmmon.toml.example`.

use crate::engine::alerts::{
    default_rules, parse_threshold, AlertMetric, AlertsConfig, GroupBy, NoData, Rule,
    ThresholdUnit, DEFAULT_RULE_IDS, GROUP_NAMES,
};
use crate::engine::budgets::BudgetConfig;
use crate::engine::{parse_duration, EngineConfig};
use crate::enrich::pricing::{Price, PriceTable, PricingError};
use crate::model::query::{Field, Query};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

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
    pub otlp: OtlpSection,
    pub engine: EngineSection,
    pub pricing: PricingConfig,
    /// `[safety]`: the detectors (see `llmmon.toml.example`).
    pub safety: crate::enrich::safety::config::SafetyConfig,
    pub tui: TuiConfig,
    /// `[[alerts]]`: alert rules (see `llmmon.toml.example`).
    pub alerts: Vec<AlertRuleSection>,
    pub alerting: AlertingSection,
    pub budgets: BudgetsSection,
    pub annotations: AnnotationsSection,
    /// `[judge]`: the LLM judge on sampled live traffic (off unless configured).
    pub judge: crate::judge::JudgeSection,
    /// `[[formats]]`: mappings that read logs of any JSON shape (see `llmmon.toml.example`).
    pub formats: Vec<crate::decode::FormatSection>,
    /// The `[[formats]]` checked at parse time.
    #[serde(skip)]
    compiled_formats: std::sync::Arc<crate::decode::Formats>,
    /// Where this config came from (not read from the file).
    #[serde(skip)]
    pub path: Option<PathBuf>,
    /// Rules and budgets checked at parse time (with line numbers); `None` for defaults.
    #[serde(skip)]
    compiled_alerts: Option<AlertsConfig>,
}

/// One `[[alerts]]` entry as written; spans give error messages their line.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRuleSection {
    pub name: Spanned<String>,
    pub metric: Spanned<String>,
    pub window: Option<Spanned<String>>,
    pub warn: Option<Spanned<toml::Value>>,
    pub crit: Option<Spanned<toml::Value>>,
    #[serde(rename = "for")]
    pub for_: Option<Spanned<String>>,
    pub filter: Option<Spanned<String>>,
    pub no_data: Option<Spanned<String>>,
    pub renotify: Option<Spanned<String>>,
    /// `above` (default; `below` for judge scores): which side of the thresholds is bad.
    pub direction: Option<Spanned<String>>,
    /// Evaluation step; default 1 s of event time.
    pub every: Option<Spanned<String>>,
    /// One instance per value: model, provider, user, app, conversation or tag:NAME.
    pub group_by: Option<Spanned<String>>,
    /// Instances a grouped rule keeps at most (default 100).
    pub max_groups: Option<Spanned<i64>>,
    /// Fewer calls than this in the window is "no data".
    pub min_calls: Option<Spanned<i64>>,
    /// Compare with the rule's own past over this stretch before the window (`10m`).
    pub baseline: Option<Spanned<String>>,
    /// With `baseline`: how many times the past value breaches (default 3).
    pub factor: Option<Spanned<f64>>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// `[alerting]`: default rules, history and where notifications go.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertingSection {
    /// Evaluate the built-in rules too (see `engine::alerts::default_rules`).
    pub default_rules: bool,
    /// Built-in rules left out by id (`latency`, `errors`, `injection`, `secrets`, `pii`,
    /// `cost`).
    pub disable: Vec<String>,
    /// Alert transitions kept for the Alerts pane and `check`.
    pub history: usize,
    /// URL that receives a POST with the alert as JSON (http:// or https://).
    pub webhook: Option<String>,
    /// HMAC-SHA256 key for the `X-Llmmon-Signature` header; prefer `LLMMON_WEBHOOK_SECRET`.
    pub webhook_secret: Option<String>,
    /// Attempts per notification before it is given up.
    pub webhook_retries: u32,
    /// Per-attempt timeout.
    pub webhook_timeout: String,
    /// Notifications waiting to be sent before new ones are dropped (and counted).
    pub queue: usize,
    /// Shell command run with the alert JSON on stdin.
    pub command: Option<String>,
    pub command_timeout: String,
}

impl Default for AlertingSection {
    fn default() -> Self {
        AlertingSection {
            default_rules: true,
            disable: Vec::new(),
            history: crate::engine::alerts::DEFAULT_HISTORY,
            webhook: None,
            webhook_secret: None,
            webhook_retries: 5,
            webhook_timeout: "5s".into(),
            queue: 64,
            command: None,
            command_timeout: "10s".into(),
        }
    }
}

/// `[budgets]`: spend limits in USD.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BudgetsSection {
    #[serde(deserialize_with = "budget")]
    pub daily: Option<f64>,
    #[serde(deserialize_with = "budget")]
    pub weekly: Option<f64>,
    #[serde(deserialize_with = "budget")]
    pub monthly: Option<f64>,
    #[serde(deserialize_with = "budget")]
    pub per_user: Option<f64>,
    #[serde(deserialize_with = "budget")]
    pub per_conversation: Option<f64>,
    pub rolling_window: String,
    pub warn_at: f64,
    pub max_tracked: usize,
    pub burn_window: String,
}

impl Default for BudgetsSection {
    fn default() -> Self {
        BudgetsSection {
            daily: None,
            weekly: None,
            monthly: None,
            per_user: None,
            per_conversation: None,
            rolling_window: "24h".into(),
            warn_at: 0.8,
            max_tracked: 10_000,
            burn_window: "1h".into(),
        }
    }
}

/// `[annotations]`: where review labels are kept.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnnotationsSection {
    /// JSONL file; default `annotations.jsonl` in the platform data directory.
    pub path: Option<PathBuf>,
}

/// `[sources]`: how files and streams are read.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourcesConfig {
    /// Lines longer than this are skipped and counted as oversize.
    #[serde(deserialize_with = "positive_usize")]
    pub max_line_bytes: usize,
    /// How often a followed file is checked for growth, rotation and truncation.
    #[serde(deserialize_with = "positive_u64")]
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

/// `[otlp]`: the OTLP receiver's guard rails (the token is better kept in
/// `LLMMON_OTLP_TOKEN`, out of files).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OtlpSection {
    pub token: Option<String>,
    pub max_body_bytes: usize,
    pub max_connections: usize,
    pub read_timeout: String,
    pub queue_wait: String,
    pub retry_after: String,
}

impl Default for OtlpSection {
    fn default() -> Self {
        OtlpSection {
            token: None,
            max_body_bytes: 20 << 20,
            max_connections: 64,
            read_timeout: "10s".into(),
            queue_wait: "2s".into(),
            retry_after: "2s".into(),
        }
    }
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
    /// How far a record may be dated ahead of the stream (`0s` turns the guard off).
    pub max_future: String,
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
            max_future: "5m".into(),
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
        let mut cfg = cfg;
        cfg.compiled_alerts = Some(cfg.compile_alerts(text, path)?);
        cfg.compiled_formats =
            std::sync::Arc::new(crate::decode::Formats::compile(&cfg.formats).map_err(|e| {
                ConfigError::Invalid {
                    path: path.to_path_buf(),
                    field: format!("[[formats]] {:?}: {}", e.format, e.field),
                    message: e.message,
                }
            })?);
        cfg.engine_config_at(path)?;
        Ok(cfg)
    }

    /// Builds the alert rules and budgets, naming the line of the first bad value.
    fn compile_alerts(&self, text: &str, path: &Path) -> Result<AlertsConfig, ConfigError> {
        let at = |span: std::ops::Range<usize>, message: String| ConfigError::Parse {
            path: path.to_path_buf(),
            line: line_of(text, span.start),
            message,
        };
        let dur = |v: &Option<Spanned<String>>, what: &str| -> Result<Option<i64>, ConfigError> {
            match v {
                None => Ok(None),
                Some(s) => parse_duration(s.get_ref()).map(Some).ok_or_else(|| {
                    at(
                        s.span(),
                        format!("{what} {:?} is not a duration like 5m", s.get_ref()),
                    )
                }),
            }
        };
        if let Some(bad) = self
            .alerting
            .disable
            .iter()
            .find(|id| !DEFAULT_RULE_IDS.contains(&id.as_str()))
        {
            return Err(Self::invalid(
                path,
                "alerting.disable",
                format!(
                    "{bad:?} is not a built-in rule (they are {})",
                    DEFAULT_RULE_IDS.join(", ")
                ),
            ));
        }
        let mut rules: Vec<Rule> = if self.alerting.default_rules {
            default_rules()
                .into_iter()
                .filter(|(id, _)| !self.alerting.disable.iter().any(|d| d == id))
                .map(|(_, r)| r)
                .collect()
        } else {
            Vec::new()
        };
        for a in self.alerts.iter().filter(|a| a.enabled) {
            let metric = AlertMetric::parse(a.metric.get_ref()).map_err(|m| {
                at(
                    a.metric.span(),
                    format!("alert {:?}: {m}", a.name.get_ref()),
                )
            })?;
            let window = dur(&a.window, "window")?.unwrap_or(300 * crate::engine::SECOND);
            let mut rule = Rule::new(a.name.get_ref().clone(), metric, window);
            let unit = rule.metric.unit();
            for (slot, v) in [(&mut rule.warn, &a.warn), (&mut rule.crit, &a.crit)] {
                if let Some(v) = v {
                    *slot = Some(threshold(v.get_ref(), unit).ok_or_else(|| {
                        at(
                            v.span(),
                            format!(
                                "alert {:?}: threshold {} is not a {} for {}",
                                a.name.get_ref(),
                                v.get_ref(),
                                unit_name(unit),
                                rule.metric
                            ),
                        )
                    })?);
                }
            }
            if rule.warn.is_none() && rule.crit.is_none() {
                return Err(at(
                    a.name.span(),
                    format!("alert {:?} needs warn or crit", a.name.get_ref()),
                ));
            }
            rule.for_ns = dur(&a.for_, "for")?.unwrap_or(0);
            rule.renotify_ns = dur(&a.renotify, "renotify")?;
            if let Some(every) = dur(&a.every, "every")? {
                rule.step_ns = every.clamp(crate::engine::SECOND, rule.window_ns);
            }
            if let Some(g) = &a.group_by {
                rule.group_by = Some(GroupBy::parse(g.get_ref()).ok_or_else(|| {
                    at(
                        g.span(),
                        format!(
                            "alert {:?}: group_by {:?} is not one of {GROUP_NAMES}",
                            a.name.get_ref(),
                            g.get_ref()
                        ),
                    )
                })?);
            }
            let name = a.name.get_ref();
            let count = |v: &Option<Spanned<i64>>, what: &str, lo: u64| match v {
                None => Ok(None),
                Some(v) => u64::try_from(*v.get_ref())
                    .ok()
                    .filter(|n| *n >= lo)
                    .map(Some)
                    .ok_or_else(|| {
                        at(
                            v.span(),
                            format!("alert {name:?}: {what} must be at least {lo}"),
                        )
                    }),
            };
            if let Some(n) = count(&a.max_groups, "max_groups", 1)? {
                rule.max_groups = usize::try_from(n).unwrap_or(usize::MAX);
            }
            if let Some(n) = count(&a.min_calls, "min_calls", 0)? {
                rule.min_calls = n;
            }
            rule.baseline_ns = dur(&a.baseline, "baseline")?;
            if let Some(f) = &a.factor {
                if rule.baseline_ns.is_none() || !(f.get_ref().is_finite() && *f.get_ref() > 0.0) {
                    return Err(at(
                        f.span(),
                        format!("alert {name:?}: factor needs a baseline and must be above 0"),
                    ));
                }
            }
            if rule.baseline_ns.is_some() {
                rule.factor = a.factor.as_ref().map_or(3.0, |f| *f.get_ref());
            }
            if let Some(f) = &a.filter {
                rule.filter = Query::parse(f.get_ref()).map_err(|e| {
                    at(
                        f.span(),
                        format!("alert {:?}: bad filter: {e}", a.name.get_ref()),
                    )
                })?;
                if rule.filter.uses(&Field::Label) {
                    return Err(at(
                        f.span(),
                        format!(
                            "alert {:?}: label: and has:label are a person's review, made after the call; a rule sees calls as they arrive and cannot filter on them (use them in report --filter or the TUI)",
                            a.name.get_ref()
                        ),
                    ));
                }
                rule.filter_text = f.get_ref().clone();
            }
            // Drift is measured over the whole stream: a filter or groups would be ignored.
            let scoped = a
                .filter
                .as_ref()
                .map(|f| f.span())
                .or(a.group_by.as_ref().map(|g| g.span()));
            if let (true, Some(span)) = (rule.metric.is_window_level(), scoped) {
                return Err(at(
                    span,
                    format!(
                        "alert {name:?}: {} is measured over the whole stream; it takes no filter or group_by",
                        rule.metric
                    ),
                ));
            }
            if let Some(n) = &a.no_data {
                rule.no_data = NoData::parse(n.get_ref()).ok_or_else(|| {
                    at(
                        n.span(),
                        format!("no_data {:?} is not ok, alert or keep", n.get_ref()),
                    )
                })?;
            }
            if let Some(d) = &a.direction {
                rule.below = match d.get_ref().as_str() {
                    "above" => false,
                    "below" => true,
                    other => {
                        return Err(at(
                            d.span(),
                            format!("direction {other:?} is not above or below"),
                        ))
                    }
                };
            }
            rules.push(rule);
        }
        let b = &self.budgets;
        let bdur = |v: &str, field: &str| {
            parse_duration(v).ok_or_else(|| {
                Self::invalid(path, field, format!("{v:?} is not a duration like 24h"))
            })
        };
        if !(b.warn_at > 0.0 && b.warn_at <= 1.0) {
            return Err(Self::invalid(path, "budgets.warn_at", "must be in (0, 1]"));
        }
        let budgets = BudgetConfig {
            daily: b.daily,
            weekly: b.weekly,
            monthly: b.monthly,
            per_user: b.per_user,
            per_conversation: b.per_conversation,
            rolling_window_ns: bdur(&b.rolling_window, "budgets.rolling_window")?,
            warn_at: b.warn_at,
            max_tracked: b.max_tracked,
            burn_window_ns: bdur(&b.burn_window, "budgets.burn_window")?,
        };
        Ok(AlertsConfig {
            rules,
            budgets,
            history: self.alerting.history,
        })
    }

    /// The alert rules and budgets this configuration describes.
    pub fn alerts_config(&self) -> Result<AlertsConfig, ConfigError> {
        match &self.compiled_alerts {
            Some(a) => Ok(a.clone()),
            None => self.compile_alerts("", Path::new("(defaults)")),
        }
    }

    /// The annotations file: `LLMMON_ANNOTATIONS`, else `[annotations] path`, else the
    /// platform data directory.
    pub fn annotations_path(&self) -> Option<PathBuf> {
        std::env::var_os("LLMMON_ANNOTATIONS")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| self.annotations.path.clone())
            .or_else(|| {
                directories::ProjectDirs::from("", "", "llmmon")
                    .map(|d| d.data_dir().join("annotations.jsonl"))
            })
    }

    /// The webhook secret: `LLMMON_WEBHOOK_SECRET` wins over the file.
    pub fn webhook_secret(&self) -> Option<String> {
        std::env::var("LLMMON_WEBHOOK_SECRET")
            .ok()
            .filter(|t| !t.is_empty())
            .or_else(|| self.alerting.webhook_secret.clone())
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
        let zero = e
            .max_future
            .trim()
            .trim_end_matches(char::is_alphabetic)
            .trim()
            .parse::<f64>()
            == Ok(0.0);
        let max_future = (if zero {
            Some(0)
        } else {
            parse_duration(&e.max_future)
        })
        .ok_or_else(|| {
            Self::invalid(
                path,
                "engine.max_future",
                format!("{:?} is not a duration like 5m", e.max_future),
            )
        })?;
        let mut cfg = EngineConfig {
            windows,
            max_future,
            group_caps: [e.max_models, e.max_providers, e.max_users, e.max_apps],
            ..EngineConfig::default()
        };
        cfg.store.max_calls = e.max_calls;
        cfg.store.max_conversations = e.max_conversations;
        cfg.store.max_traces = e.max_traces;
        cfg.store.max_turns = e.max_turns;
        cfg.store.session_gap_ns = gap;
        let below = self.judge.hallucination_below;
        if !(0.0..=1.0).contains(&below) {
            return Err(Self::invalid(
                path,
                "judge.hallucination_below",
                format!("{below} is not a score in 0..1"),
            ));
        }
        cfg.drift.quality.hallucination_below = below;
        cfg.alerts = match &self.compiled_alerts {
            Some(a) => a.clone(),
            None => self.compile_alerts("", path)?,
        };
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

    /// The `[[formats]]` mappings, checked when the config was parsed (none by default).
    pub fn formats(&self) -> std::sync::Arc<crate::decode::Formats> {
        self.compiled_formats.clone()
    }

    /// The price table: built-in or replaced, with overrides applied.
    pub fn price_table(&self) -> Result<PriceTable, ConfigError> {
        let mut table = match &self.pricing.table {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.clone(),
                    source,
                })?;
                let mut table = PriceTable::from_json(&text)?;
                if table.format == crate::enrich::pricing::TableFormat::Litellm {
                    // LiteLLM's file carries no date: the file's own is the best there is.
                    if let Some(t) = std::fs::metadata(p)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| jiff::Timestamp::try_from(t).ok())
                    {
                        table.date = format!("{} (file modified)", t.strftime("%Y-%m-%d"));
                    }
                }
                table
            }
            None => PriceTable::builtin()?,
        };
        for (name, price) in &self.pricing.models {
            table.insert(name, price.clone())?;
        }
        Ok(table)
    }

    /// The OTLP receiver's options: `[otlp]` with the token from `LLMMON_OTLP_TOKEN` first.
    pub fn otlp_options(&self) -> Result<crate::source::OtlpOptions, ConfigError> {
        let o = &self.otlp;
        let dur = |field: &str, v: &str| {
            crate::engine::parse_duration(v)
                .filter(|ns| *ns > 0)
                .map(|ns| std::time::Duration::from_nanos(ns.unsigned_abs()))
                .ok_or_else(|| ConfigError::Invalid {
                    path: self.path.clone().unwrap_or_default(),
                    field: format!("otlp.{field}"),
                    message: format!("{v:?} is not a duration like 10s"),
                })
        };
        if o.max_body_bytes == 0 || o.max_connections == 0 {
            return Err(ConfigError::Invalid {
                path: self.path.clone().unwrap_or_default(),
                field: "otlp".into(),
                message: "max_body_bytes and max_connections must be above 0".into(),
            });
        }
        Ok(crate::source::OtlpOptions {
            token: std::env::var("LLMMON_OTLP_TOKEN")
                .ok()
                .filter(|t| !t.is_empty())
                .or_else(|| o.token.clone()),
            max_body_bytes: o.max_body_bytes,
            max_connections: o.max_connections,
            read_timeout: dur("read_timeout", &o.read_timeout)?,
            queue_wait: dur("queue_wait", &o.queue_wait)?,
            retry_after: dur("retry_after", &o.retry_after)?,
            ..crate::source::OtlpOptions::default()
        })
    }

    /// The WebSocket bearer token: `LLMMON_WS_TOKEN` wins over the file.
    pub fn ws_token(&self) -> Option<String> {
        std::env::var("LLMMON_WS_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())
            .or_else(|| self.websocket.token.clone())
    }
}

fn threshold(v: &toml::Value, unit: ThresholdUnit) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) => f.is_finite().then_some(*f),
        toml::Value::String(s) => parse_threshold(s, unit),
        _ => None,
    }
}

fn unit_name(u: ThresholdUnit) -> &'static str {
    match u {
        ThresholdUnit::Millis => "duration (number of ms or \"2s\")",
        ThresholdUnit::Ratio => "share (0.05 or \"5%\")",
        ThresholdUnit::Usd => "dollar amount (0.5 or \"$0.5\")",
        ThresholdUnit::Number => "number",
    }
}

/// A budget in USD: a finite number, not negative (TOML allows `nan` and `inf`). Errors
/// raised here carry the value's line, as parse errors do.
fn budget<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let v = Option::<f64>::deserialize(d)?;
    match v {
        Some(x) if !x.is_finite() || x < 0.0 => Err(serde::de::Error::custom(format!(
            "a budget must be a number of USD, 0 or more (found {x})"
        ))),
        _ => Ok(v),
    }
}

/// A count that must be at least 1 (`max_line_bytes = 0` would refuse every line).
fn positive_usize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let v = usize::deserialize(d)?;
    if v == 0 {
        return Err(serde::de::Error::custom("must be at least 1"));
    }
    Ok(v)
}

/// A period in ms that must be at least 1 (`poll_ms = 0` spins a core while idle).
fn positive_u64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = u64::deserialize(d)?;
    if v == 0 {
        return Err(serde::de::Error::custom("must be at least 1"));
    }
    Ok(v)
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
        let otlp = cfg.otlp_options().unwrap();
        let defaults = crate::source::OtlpOptions::default();
        assert_eq!(otlp.max_body_bytes, defaults.max_body_bytes);
        assert_eq!(otlp.read_timeout, defaults.read_timeout);
        assert_eq!(otlp.queue_wait, defaults.queue_wait);
    }

    #[test]
    fn impossible_budgets_and_periods_are_refused_with_their_line() {
        for (text, line) in [
            ("[budgets]\ndaily = nan\n", 2),
            ("[budgets]\n\nweekly = -5.0\n", 3),
            ("[budgets]\nmonthly = inf\n", 2),
            ("[sources]\npoll_ms = 0\n", 2),
            ("[sources]\nmax_line_bytes = 0\n", 2),
        ] {
            let e = Config::parse(text, Path::new("c.toml")).unwrap_err();
            assert!(
                matches!(e, ConfigError::Parse { line: l, .. } if l == line),
                "{text:?}: {e}"
            );
        }
        let cfg = Config::parse("[budgets]\ndaily = 0.0\n", Path::new("c.toml")).unwrap();
        assert_eq!(cfg.budgets.daily, Some(0.0));
    }

    #[test]
    fn max_future_is_a_duration_and_zero_turns_it_off() {
        let cfg = Config::parse("[engine]\nmax_future = \"0s\"\n", Path::new("c.toml")).unwrap();
        assert_eq!(cfg.engine_config().unwrap().max_future, 0);
        let cfg = Config::parse("[engine]\nmax_future = \"10m\"\n", Path::new("c.toml")).unwrap();
        assert_eq!(cfg.engine_config().unwrap().max_future, 600_000_000_000);
        let e = Config::parse("[engine]\nmax_future = \"soon\"\n", Path::new("c.toml"))
            .and_then(|c| c.engine_config())
            .unwrap_err();
        assert!(e.to_string().contains("engine.max_future"), "{e}");
    }

    #[test]
    fn bad_otlp_limits_name_the_field() {
        let cfg = Config::parse("[otlp]\nread_timeout = \"soon\"\n", Path::new("c.toml")).unwrap();
        let e = cfg.otlp_options().unwrap_err().to_string();
        assert!(e.contains("otlp.read_timeout"), "{e}");
        let cfg = Config::parse("[otlp]\nmax_body_bytes = 0\n", Path::new("c.toml")).unwrap();
        assert!(cfg.otlp_options().is_err());
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
