//! `llmmon prices MODEL...`: which price-table entry each model name matches and by which
//! steps (prefix or suffix dropped, alias, bare name of a provider key), with its prices;
//! or why it is unpriced. Model names come from the command line or logs, so every name is
//! sanitised before it reaches the terminal.

use crate::cli::PricesArgs;
use crate::config::Config;
use crate::enrich::pricing::{Price, PriceTable, TableFormat};
use crate::present::sanitize;
use anyhow::{Context, Result};
use serde_json::json;
use std::io::Write;

/// Prints one answer per model; exit 0 when every model is priced, 1 otherwise.
pub fn run(cfg: &Config, args: &PricesArgs) -> Result<i32> {
    let table = cfg.price_table().context("loading the price table")?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut unpriced = 0;
    if !args.json {
        writeln!(out, "{}", sanitize::line(&header(cfg, &table)))?;
    }
    for model in &args.models {
        let m = table.explain(model);
        unpriced += usize::from(m.is_err());
        if args.json {
            let v = match &m {
                Ok(m) => {
                    let p = table.price(m.index);
                    json!({
                        "model": model,
                        "entry": m.entry,
                        "steps": m.steps,
                        "provider": p.and_then(|p| p.provider.clone()),
                        "input_cost_per_token": p.map(|p| p.input_cost_per_token),
                        "output_cost_per_token": p.map(|p| p.output_cost_per_token),
                        "cache_read_input_token_cost": p.and_then(|p| p.cache_read_input_token_cost),
                        "cache_creation_input_token_cost": p.and_then(|p| p.cache_creation_input_token_cost),
                        "tiers": p.map(|p| p.tiers.iter().map(|t| json!({
                            "above_input_tokens": t.above_input_tokens,
                            "input_cost_per_token": t.input_cost_per_token,
                            "output_cost_per_token": t.output_cost_per_token,
                        })).collect::<Vec<_>>()),
                        "table_date": table.date,
                    })
                }
                Err(tried) => json!({"model": model, "unpriced": true, "tried": tried}),
            };
            writeln!(out, "{v}")?;
            continue;
        }
        match &m {
            Ok(m) => {
                let how = if m.steps.is_empty() {
                    "exact entry".to_owned()
                } else {
                    m.steps.join("; ")
                };
                writeln!(
                    out,
                    "{}: {} ({})",
                    sanitize::line(model),
                    sanitize::line(&m.entry),
                    sanitize::line(&how)
                )?;
                if let Some(p) = table.price(m.index) {
                    writeln!(out, "  {}", sanitize::line(&rates(p)))?;
                }
            }
            Err(tried) => {
                writeln!(
                    out,
                    "{}: unpriced: no entry named {} (after dropping provider, region and \
                     version parts); calls of it count as unpriced, not $0. Add it under \
                     [pricing.models.\"NAME\"] or point [pricing] table at a table that has it.",
                    sanitize::line(model),
                    sanitize::line(&tried.join(" or "))
                )?;
            }
        }
    }
    out.flush()?;
    Ok(i32::from(unpriced > 0))
}

fn header(cfg: &Config, table: &PriceTable) -> String {
    let what = match (&cfg.pricing.table, table.format) {
        (None, _) => "built-in table".to_owned(),
        (Some(p), TableFormat::Litellm) => format!(
            "LiteLLM table {} ({} entries without token prices skipped)",
            p.display(),
            table.skipped
        ),
        (Some(p), TableFormat::Llmmon) => format!("table {}", p.display()),
    };
    let overrides = cfg.pricing.models.len();
    let overrides = if overrides == 0 {
        String::new()
    } else {
        format!(", {overrides} override(s) from [pricing.models]")
    };
    format!(
        "{what}, dated {}, {} models{overrides}",
        table.date,
        table.len()
    )
}

/// USD per million tokens.
fn per_m(v: f64) -> String {
    format!("${:.4}", v * 1e6)
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_owned()
}

fn rates(p: &Price) -> String {
    let mut parts = vec![
        format!("input {}/M", per_m(p.input_cost_per_token)),
        format!("output {}/M", per_m(p.output_cost_per_token)),
    ];
    if let Some(c) = p.cache_read_input_token_cost {
        parts.push(format!("cache read {}/M", per_m(c)));
    }
    if let Some(c) = p.cache_creation_input_token_cost {
        parts.push(format!("cache write {}/M", per_m(c)));
    }
    for t in &p.tiers {
        parts.push(format!(
            "above {} input tokens: input {}/M, output {}/M",
            t.above_input_tokens,
            per_m(t.input_cost_per_token),
            per_m(t.output_cost_per_token)
        ));
    }
    if let Some(provider) = &p.provider {
        parts.push(format!("provider {provider}"));
    }
    parts.join(", ")
}
