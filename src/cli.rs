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
errors and flagged exchanges live.\n\nTry it: llmmon demo",
    after_help = EXIT_CODES
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
    #[command(after_help = WATCH_EXAMPLES)]
    Watch(WatchArgs),
    /// Open the live TUI on the built-in demo stream (a scripted incident in two minutes).
    #[command(after_help = DEMO_EXAMPLES)]
    Demo(DemoArgs),
    /// Read sources to the end and print a summary: text, JSON, CSV or Markdown tables.
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
    /// Write a shell completion script (bash, zsh, fish, powershell) to stdout.
    Completions(CompletionsArgs),
    /// Show which price-table entry each model matches and why, or why it is unpriced.
    Prices(PricesArgs),
    /// Judge logged calls offline with the `[judge]` configuration: print per-criterion
    /// figures and write the verdicts as feedback records llmmon reads back.
    #[command(after_help = JUDGE_EXAMPLES)]
    Judge(JudgeArgs),
}

const JUDGE_EXAMPLES: &str = "Examples:
  llmmon judge app.jsonl --out verdicts.jsonl     judge, keep the verdicts
  llmmon report app.jsonl verdicts.jsonl --json   read them back with the calls
  llmmon judge app.jsonl --sample 1 --json        judge every call, figures as JSON";

/// `llmmon judge`.
#[derive(Debug, Args, Clone)]
pub struct JudgeArgs {
    /// Log files to judge (`-` for stdin).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<String>,
    /// Write the verdicts here as feedback JSONL (default: nowhere; the figures only).
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Share of calls judged, overriding `[judge] sample` (flagged calls are always judged
    /// while `[judge] flagged = true`).
    #[arg(long, value_name = "RATE")]
    pub sample: Option<f64>,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `llmmon prices`.
#[derive(Debug, Args, Clone)]
pub struct PricesArgs {
    /// Model names as logs spell them (`openai/gpt-4o-2024-08-06`, `claude-sonnet-4-5@...`).
    #[arg(value_name = "MODEL", required = true)]
    pub models: Vec<String>,
    /// Print one JSON object per model instead of text.
    #[arg(long)]
    pub json: bool,
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

/// `--since`, `--until`, `--now` and `--quiet`: the part of the input a headless command
/// reads, in event time, and whether it shows progress while reading.
#[derive(Debug, Args, Clone, Default)]
pub struct RangeArgs {
    /// Only records at or after TIME (event time): RFC 3339 (2026-11-26T14:00:00Z), a
    /// duration before the newest record (2h, 30m; before now with --now), `today`,
    /// `yesterday` (UTC midnight) or `now`.
    #[arg(long, value_name = "TIME", alias = "from")]
    pub since: Option<String>,
    /// Only records before TIME (same forms as --since; the range is half-open).
    #[arg(long, value_name = "TIME", alias = "to")]
    pub until: Option<String>,
    /// Relative --since/--until count back from the wall clock instead of from the newest
    /// record.
    #[arg(long)]
    pub now: bool,
    /// No progress bar on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// [`RangeArgs`] plus `--filter`: which records a headless command lets into its summary.
#[derive(Debug, Args, Clone, Default)]
pub struct SelectArgs {
    #[command(flatten)]
    pub range: RangeArgs,
    /// Only calls matching QUERY, in the TUI's query language (model:gpt-4* latency>2s
    /// -status:error has:flags "rate limit").
    #[arg(long, value_name = "QUERY")]
    pub filter: Option<String>,
}

/// Output formats of `report` and `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// Aligned text for people.
    #[default]
    Text,
    /// One stable JSON object.
    Json,
    /// CSV with a header, one row per group (report) or per rule and budget (check).
    Csv,
    /// Markdown tables, ready to paste into a postmortem.
    #[value(alias = "md")]
    Markdown,
}

/// `--format` and its `--json` alias.
#[derive(Debug, Args, Clone, Default)]
pub struct FormatArgs {
    /// Output format.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<OutputFormat>,
    /// Same as --format json.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
}

impl FormatArgs {
    /// The format asked for (text when none was).
    pub fn get(&self) -> OutputFormat {
        if self.json {
            OutputFormat::Json
        } else {
            self.format.unwrap_or_default()
        }
    }
}

/// `llmmon report`.
#[derive(Debug, Args, Clone)]
#[command(after_help = REPORT_EXAMPLES)]
pub struct ReportArgs {
    /// File paths, `-` for stdin, ws:// or wss:// URLs (read until the server closes),
    /// `demo` or otlp://HOST:PORT (read until --duration or Ctrl-C).
    #[arg(value_name = "SOURCE", required_unless_present = "otlp")]
    pub sources: Vec<String>,
    #[command(flatten)]
    pub otlp: OtlpArgs,
    #[command(flatten)]
    pub format: FormatArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Summarise only the last window (e.g. 5m) before the newest record, not everything.
    #[arg(long, value_name = "DURATION")]
    pub window: Option<String>,
    /// Stop reading after this long (for WebSockets, stdin, demo and OTLP), e.g. 30s.
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,
    /// Groups listed per table (default: 10 in text and Markdown, all in JSON and CSV).
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Skip the safety detectors (no `flags`): the fastest path, for totals only.
    #[arg(long)]
    pub no_detectors: bool,
    /// Compare the run with this baseline (from `llmmon baseline`) and add drift and
    /// quality signals to the output.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Instead of the summary, show how the first N lines (default 10) of each file are
    /// read: the format matched ([[formats]] first), the keys or fields read, the keys ignored.
    #[arg(long, value_name = "N", num_args = 0..=1, require_equals = true,
          default_missing_value = "10")]
    pub explain: Option<usize>,
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
#[command(after_help = SCAN_EXAMPLES)]
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
    #[command(flatten)]
    pub select: SelectArgs,
}

/// `llmmon gen`.
#[derive(Debug, Args, Clone)]
#[command(after_help = GEN_EXAMPLES)]
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
#[command(after_help = CHECK_EXAMPLES)]
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
    #[command(flatten)]
    pub format: FormatArgs,
    /// Fired alerts, rules and budgets listed, at most N of each (default: all).
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Send no notifications (webhook, `[alerting] command`, bell) for what fired.
    #[arg(long)]
    pub no_notify: bool,
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
#[command(group(clap::ArgGroup::new("select").args(["flagged", "marked", "filter", "reviewed"])))]
#[command(after_help = EXPORT_EXAMPLES)]
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
    /// Write an evaluation dataset: one line per labelled call with its input, output,
    /// context, the reviewer's label and note, and the judge's verdicts; prints the judge/human
    /// agreement (Cohen's kappa per criterion) on stderr.
    #[arg(long, conflicts_with = "format")]
    pub reviewed: bool,
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
    /// `--since`/`--until` (also spelled `--from`/`--to`): only records in this range are
    /// read, so conversations are cut at its edges.
    #[command(flatten)]
    pub range: RangeArgs,
}

/// `llmmon baseline`.
#[derive(Debug, Args, Clone)]
#[command(after_help = BASELINE_EXAMPLES)]
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
    #[command(flatten)]
    pub select: SelectArgs,
}

/// Shells `llmmon completions` writes a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShellArg {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

/// `llmmon completions`.
#[derive(Debug, Args, Clone)]
#[command(after_help = COMPLETIONS_EXAMPLES)]
pub struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    pub shell: ShellArg,
}

/// The exit codes every subcommand keeps to (README, "Command line").
pub const EXIT_CODES: &str = "\
Exit codes:
  0  fine: nothing fired, nothing found
  1  findings or warnings (check: a warning alert; scan: findings at --fail-on; report,
     baseline: a source failed part-way)
  2  critical (check: a critical alert)
  3  usage or input error (bad flag or value, unreadable input, invalid --filter)";

const WATCH_EXAMPLES: &str = "\
Examples:
  llmmon app.jsonl                            # same as llmmon watch app.jsonl
  llmmon watch --from-start app.jsonl other.jsonl
  tail -f app.jsonl | llmmon watch -
  llmmon watch --otlp                         # receive OTLP on 127.0.0.1:4318/4317";

const DEMO_EXAMPLES: &str = "\
Examples:
  llmmon demo
  llmmon demo --speed 4 --theme light";

const REPORT_EXAMPLES: &str = "\
Examples:
  llmmon report app.jsonl
  llmmon report app.jsonl --since 2026-11-26T14:00:00Z --until 2026-11-26T14:20:00Z
  llmmon report app.jsonl --since 2h --filter 'model:gpt-4* status:error'
  llmmon report app.jsonl --format csv --top 5 > by-group.csv
  llmmon report app.jsonl --format markdown >> postmortem.md
  llmmon report --otlp --duration 60s --json";

const CHECK_EXAMPLES: &str = "\
Examples:
  llmmon check app.jsonl                      # exit 0 ok, 1 warning, 2 critical, 3 bad input
  llmmon check app.jsonl --since yesterday --until today
  llmmon check app.jsonl --filter 'app:support-bot' --format markdown
  llmmon check ws://127.0.0.1:9000/feed --duration 5m --json";

const SCAN_EXAMPLES: &str = "\
Examples:
  llmmon scan app.jsonl --fail-on high
  llmmon scan --text prompts.txt
  llmmon scan app.jsonl --since 30m --filter 'user:alice' --json";

const GEN_EXAMPLES: &str = "\
Examples:
  llmmon gen --records 10000 > traffic.jsonl
  llmmon gen --scenario incident --start 2026-11-26T14:00:00Z > incident.jsonl";

const EXPORT_EXAMPLES: &str = "\
Examples:
  llmmon export app.jsonl --flagged --redact -o flagged.jsonl
  llmmon export app.jsonl --filter 'has:feedback' --format raw -o feedback.jsonl
  llmmon export app.jsonl --reviewed -o eval.jsonl
  llmmon export app.jsonl --since 2026-11-26T14:00:00Z --until 2026-11-26T14:20:00Z \\
    --incident-report incident.md";

const BASELINE_EXAMPLES: &str = "\
Examples:
  llmmon baseline golden.jsonl -o baseline.json
  llmmon baseline app.jsonl --since yesterday --until today --filter 'env:prod' -o baseline.json
  llmmon report app.jsonl --baseline baseline.json";

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  source <(llmmon completions bash)
  llmmon completions zsh > ~/.zfunc/_llmmon
  llmmon completions fish > ~/.config/fish/completions/llmmon.fish
  llmmon completions powershell >> $PROFILE";
