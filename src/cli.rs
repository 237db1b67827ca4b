//! The command line (clap derive). `llmmon SOURCE...` is `llmmon watch SOURCE...`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// A live terminal monitor for LLM applications.
#[derive(Debug, Parser)]
#[command(
    name = "llmmon",
    version,
    about = "A live terminal monitor for LLM applications",
    long_about = "llmmon tails what your LLM application already writes (JSONL logs, LiteLLM logs, \
OpenTelemetry Collector exports, a WebSocket feed, stdin) and shows latency, TTFT, tokens, cost, \
errors and flagged exchanges live.\n\nTry it: llmmon demo"
)]
pub struct Cli {
    /// Configuration file (default: $LLMMON_CONFIG, then the platform config dir).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,

    /// Sources to watch (same as `llmmon watch SOURCE...`).
    #[command(flatten)]
    pub watch: WatchArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the live TUI on sources: file paths, `-` (stdin), ws:// or wss:// URLs, `demo`.
    Watch(WatchArgs),
    /// Open the live TUI on the built-in demo stream (a scripted incident in two minutes).
    Demo(DemoArgs),
    /// Read sources to the end and print a summary (or a stable JSON object with --json).
    Report(ReportArgs),
    /// Run the safety detectors over records or plain text; exit 1 on findings at --fail-on.
    Scan(ScanArgs),
    /// Write generated demo traffic as native JSONL to stdout.
    Gen(GenArgs),
    /// Evaluate alert rules and budgets over sources; exit 0 nothing fired, 1 warning,
    /// 2 critical, 3 usage or input error.
    Check(CheckArgs),
    /// Write a dataset (OpenAI chat or raw JSONL) and/or a Markdown incident report.
    Export(ExportArgs),
    /// Profile a golden dataset for drift comparisons (`report --baseline`).
    Baseline(BaselineArgs),
}

/// `--otlp`: llmmon as the OTLP endpoint, without spelling out an `otlp://` source.
#[derive(Debug, Args, Clone, Default)]
pub struct OtlpArgs {
    /// Receive OTLP: OTLP/HTTP on ADDR (`--otlp` alone: 127.0.0.1:4318; `--otlp=0.0.0.0:4318`
    /// to accept other machines) and OTLP/gRPC on --otlp-grpc.
    #[arg(long, value_name = "ADDR", num_args = 0..=1, require_equals = true,
          default_missing_value = "127.0.0.1:4318")]
    pub otlp: Option<String>,
    /// OTLP/gRPC address for --otlp (default: the same host, port 4317), or `off`.
    #[arg(long, value_name = "ADDR|off", requires = "otlp")]
    pub otlp_grpc: Option<String>,
}

impl OtlpArgs {
    /// The `otlp://` source these flags stand for, if any.
    pub fn source(&self) -> Option<String> {
        let http = self.otlp.as_ref()?;
        Some(match &self.otlp_grpc {
            Some(g) => format!("otlp://{http}?grpc={g}"),
            None => format!("otlp://{http}"),
        })
    }
}

/// Options shared by commands that read sources.
#[derive(Debug, Args, Clone, Default)]
pub struct WatchArgs {
    /// File paths (followed like `tail -F`), `-` for stdin, ws:// or wss:// URLs, `demo`, or
    /// otlp://HOST:PORT (an OTLP receiver).
    #[arg(value_name = "SOURCE")]
    pub sources: Vec<String>,
    #[command(flatten)]
    pub otlp: OtlpArgs,
    /// Read followed files from their beginning instead of their end.
    #[arg(long)]
    pub from_start: bool,
    /// Colour theme: dark, light or mono (NO_COLOR forces mono).
    #[arg(long)]
    pub theme: Option<String>,
}

/// Which generated traffic to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ScenarioArg {
    /// Ordinary traffic.
    Steady,
    /// Ordinary traffic plus the scripted incident timeline.
    #[default]
    Incident,
}

/// `llmmon demo`.
#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    /// Event-time speed-up: 2 plays the incident in one minute.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Seed of the generator.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    #[arg(long, value_enum, default_value_t = ScenarioArg::Incident)]
    pub scenario: ScenarioArg,
    /// Colour theme: dark, light or mono.
    #[arg(long)]
    pub theme: Option<String>,
}

/// `llmmon report`.
#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// File paths, `-` for stdin, ws:// or wss:// URLs (read until the server closes),
    /// `demo` or otlp://HOST:PORT (read until --duration or Ctrl-C).
    #[arg(value_name = "SOURCE", required_unless_present = "otlp")]
    pub sources: Vec<String>,
    #[command(flatten)]
    pub otlp: OtlpArgs,
    /// Print the stable JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Summarise only the last window (e.g. 5m) before the newest record, not everything.
    #[arg(long, value_name = "DURATION")]
    pub window: Option<String>,
    /// Stop reading after this long (for WebSockets, stdin, demo and OTLP), e.g. 30s.
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,
    /// Groups listed per table in the text output.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Skip the safety detectors (no `flags`): the fastest path, for totals only.
    #[arg(long)]
    pub no_detectors: bool,
    /// Compare the run with this baseline (from `llmmon baseline`) and add drift and
    /// quality signals to the output.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
}

/// Severity names accepted by `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LevelArg {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

/// `llmmon scan`.
#[derive(Debug, Args, Clone)]
pub struct ScanArgs {
    /// A file of records (any format llmmon reads) or of text lines; `-` or nothing for stdin.
    #[arg(value_name = "FILE", conflicts_with = "otlp")]
    pub input: Option<String>,
    /// Scan what arrives over OTLP instead of a file (with --duration, or until Ctrl-C).
    #[command(flatten)]
    pub otlp: OtlpArgs,
    /// With --otlp: stop listening after this long, e.g. 60s.
    #[arg(long, value_name = "DURATION", requires = "otlp")]
    pub duration: Option<String>,
    /// Treat every input line as plain text instead of a record.
    #[arg(long)]
    pub text: bool,
    /// One JSON line per input with its flags (the default prints only flagged inputs).
    #[arg(long)]
    pub json: bool,
    /// Exit 1 when anything at or above this severity was found.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<LevelArg>,
}

/// `llmmon gen`.
#[derive(Debug, Args, Clone)]
pub struct GenArgs {
    /// Number of records (lines) to write.
    #[arg(long, default_value_t = 1000)]
    pub records: u64,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    #[arg(long, value_enum, default_value_t = ScenarioArg::Steady)]
    pub scenario: ScenarioArg,
    /// Event time of the first record (RFC 3339 or epoch); default 2026-01-01T00:00:00Z so
    /// output is reproducible.
    #[arg(long)]
    pub start: Option<String>,
    /// Mean LLM calls per second of event time.
    #[arg(long)]
    pub rate: Option<f64>,
}

/// `llmmon check`.
#[derive(Debug, Args, Clone)]
pub struct CheckArgs {
    /// File paths or `-` for stdin, read to their end; ws://, demo or otlp:// with --duration.
    #[arg(value_name = "SOURCE", required_unless_present = "otlp")]
    pub sources: Vec<String>,
    #[command(flatten)]
    pub otlp: OtlpArgs,
    /// Stop reading after this long (needed for WebSocket, demo and OTLP sources), e.g. 5m.
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,
    /// Baseline file for drift rules (must be readable; drift metrics report no data until
    /// the drift engine is available).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Print one JSON object (fired transitions, rule states, budgets) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Dataset shapes of `llmmon export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ExportFormat {
    /// One `{"messages": [...]}` object per conversation (OpenAI chat fine-tuning).
    #[default]
    Chat,
    /// The selected records as native JSONL.
    Raw,
}

/// `llmmon export`.
#[derive(Debug, Args, Clone)]
#[command(group(clap::ArgGroup::new("select").args(["flagged", "marked", "filter"])))]
pub struct ExportArgs {
    /// File paths or `-` for stdin, read to their end.
    #[arg(value_name = "SOURCE", required = true)]
    pub sources: Vec<String>,
    /// Export calls with detector findings (and their conversations).
    #[arg(long)]
    pub flagged: bool,
    /// Export marked conversations and labelled calls.
    #[arg(long)]
    pub marked: bool,
    /// Export calls matching a query (the TUI's filter language).
    #[arg(long, value_name = "QUERY")]
    pub filter: Option<String>,
    #[arg(long, value_enum, default_value_t = ExportFormat::Chat)]
    pub format: ExportFormat,
    /// Replace PII and secrets with placeholders.
    #[arg(long)]
    pub redact: bool,
    /// Dataset file to write.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also (or only) write a Markdown incident report.
    #[arg(long, value_name = "FILE.md")]
    pub incident_report: Option<PathBuf>,
    /// Overwrite the output files if they exist (without it, an existing file is refused).
    #[arg(long)]
    pub force: bool,
    /// Annotations file (default: [annotations] path, then the data directory).
    #[arg(long, value_name = "FILE")]
    pub annotations: Option<PathBuf>,
    /// Only calls at or after this event time (RFC 3339 or epoch).
    #[arg(long)]
    pub from: Option<String>,
    /// Only calls at or before this event time.
    #[arg(long)]
    pub to: Option<String>,
}

/// `llmmon baseline`.
#[derive(Debug, Args, Clone)]
pub struct BaselineArgs {
    /// File paths or `-` for stdin: the golden dataset.
    #[arg(value_name = "SOURCE", required = true)]
    pub sources: Vec<String>,
    /// Where to write the profile (JSON).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Top terms kept per text field (prompts, responses).
    #[arg(long, default_value_t = 2000)]
    pub terms: usize,
}
