//! `llmmon gen --records N [--seed S] [--scenario steady|incident]`: generated traffic as
//! native JSONL on stdout, for benchmarks, tests and trying llmmon without an app.

use crate::cli::GenArgs;
use crate::demo::{write_jsonl, GenConfig};
use crate::model::record::parse_time_str;
use anyhow::{anyhow, Result};

/// Writes the records; a closed pipe (`| head`) ends quietly.
pub fn run(args: &GenArgs) -> Result<i32> {
    let mut cfg = GenConfig {
        seed: args.seed,
        scenario: super::scenario(args.scenario),
        ..GenConfig::default()
    };
    if let Some(s) = &args.start {
        cfg.start = parse_time_str(s).ok_or_else(|| anyhow!("--start {s:?} is not a time"))?;
    }
    if let Some(r) = args.rate {
        if !(r.is_finite() && r > 0.0) {
            return Err(anyhow!(
                "--rate must be a positive number of calls per second"
            ));
        }
        cfg.rate_per_sec = r;
    }
    match write_jsonl(std::io::stdout().lock(), args.records, &cfg) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(e.into()),
        Ok(()) => Ok(0),
    }
}
