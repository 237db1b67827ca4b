//! The price table (`assets/pricing.json`, with its date and sources) plus config overrides,
//! and the cost of a call computed from it. A reported cost always wins; an unknown model is
//! **unpriced**, never $0.

use crate::record::{Call, CostProvenance, Operation, Tokens};
use serde::Deserialize;
use std::collections::HashMap;

/// The built-in table, compiled in so a fresh binary needs no files.
pub const BUILTIN_TABLE: &str = include_str!("../../assets/pricing.json");

/// Errors reading a price table or override.
#[derive(Debug, thiserror::Error)]
pub enum PricingError {
    #[error("price table is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("price for {model:?} has a negative or non-finite value")]
    BadPrice { model: String },
}

/// A price above a token threshold (e.g. > 200k input tokens), applied to the whole call.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PriceTier {
    pub above_input_tokens: u64,
    pub input_cost_per_token: f64,
    pub output_cost_per_token: f64,
    #[serde(default)]
    pub cache_read_input_token_cost: Option<f64>,
    #[serde(default)]
    pub cache_creation_input_token_cost: Option<f64>,
}

/// USD per token for one model.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Price {
    #[serde(default)]
    pub provider: Option<String>,
    pub input_cost_per_token: f64,
    pub output_cost_per_token: f64,
    /// Cached input tokens; defaults to the input price when the model has no discount.
    #[serde(default)]
    pub cache_read_input_token_cost: Option<f64>,
    /// Tokens written to the cache; defaults to the input price.
    #[serde(default)]
    pub cache_creation_input_token_cost: Option<f64>,
    #[serde(default)]
    pub tiers: Vec<PriceTier>,
    #[serde(default)]
    pub aliases: Vec<String>,
}

impl Price {
    fn values(&self) -> impl Iterator<Item = f64> + '_ {
        [self.input_cost_per_token, self.output_cost_per_token]
            .into_iter()
            .chain(self.cache_read_input_token_cost)
            .chain(self.cache_creation_input_token_cost)
            .chain(self.tiers.iter().flat_map(|t| {
                [t.input_cost_per_token, t.output_cost_per_token]
                    .into_iter()
                    .chain(t.cache_read_input_token_cost)
                    .chain(t.cache_creation_input_token_cost)
            }))
    }

    /// Cost of a call's tokens. Input tokens include cache reads and writes, which are
    /// billed at their own rates.
    pub fn cost(&self, c: &Call) -> f64 {
        self.cost_of(&c.tokens)
    }

    /// Cost of these token counts (see [`Price::cost`]).
    pub fn cost_of(&self, t: &Tokens) -> f64 {
        let input = t.input.unwrap_or(0);
        let cache_read = t.cache_read.unwrap_or(0).min(input);
        let cache_write = t.cache_write.unwrap_or(0).min(input - cache_read);
        let plain = input - cache_read - cache_write;
        let output = t.output.unwrap_or(0);
        let tier = self
            .tiers
            .iter()
            .filter(|tier| input > tier.above_input_tokens)
            .max_by_key(|tier| tier.above_input_tokens);
        let (pin, pout, pcr, pcw) = match tier {
            Some(tier) => (
                tier.input_cost_per_token,
                tier.output_cost_per_token,
                tier.cache_read_input_token_cost,
                tier.cache_creation_input_token_cost,
            ),
            None => (
                self.input_cost_per_token,
                self.output_cost_per_token,
                self.cache_read_input_token_cost,
                self.cache_creation_input_token_cost,
            ),
        };
        plain as f64 * pin
            + cache_read as f64 * pcr.unwrap_or(pin)
            + cache_write as f64 * pcw.unwrap_or(pin)
            + output as f64 * pout
    }
}

#[derive(Deserialize)]
struct TableFile {
    date: String,
    #[serde(default)]
    sources: Vec<String>,
    models: HashMap<String, Price>,
}

/// Prices by normalised model name, with the table's date for provenance.
#[derive(Debug, Clone)]
pub struct PriceTable {
    pub date: String,
    pub sources: Vec<String>,
    prices: Vec<Price>,
    index: HashMap<String, usize>,
}

impl PriceTable {
    /// The table compiled into the binary.
    pub fn builtin() -> Result<Self, PricingError> {
        Self::from_json(BUILTIN_TABLE)
    }

    /// Parses a table in the `assets/pricing.json` shape.
    pub fn from_json(text: &str) -> Result<Self, PricingError> {
        let file: TableFile = serde_json::from_str(text)?;
        let mut t = PriceTable {
            date: file.date,
            sources: file.sources,
            prices: Vec::new(),
            index: HashMap::new(),
        };
        let mut models: Vec<_> = file.models.into_iter().collect();
        models.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, price) in models {
            t.insert(&name, price)?;
        }
        Ok(t)
    }

    /// Adds or replaces a model's price (config overrides go through here).
    pub fn insert(&mut self, name: &str, price: Price) -> Result<(), PricingError> {
        if price.values().any(|v| !v.is_finite() || v < 0.0) {
            return Err(PricingError::BadPrice {
                model: name.to_string(),
            });
        }
        let idx = self.prices.len();
        let names: Vec<String> = std::iter::once(name.to_string())
            .chain(price.aliases.iter().cloned())
            .collect();
        self.prices.push(price);
        for n in names {
            self.index.insert(n.to_ascii_lowercase(), idx);
        }
        Ok(())
    }

    /// Number of priced models (not counting aliases).
    pub fn len(&self) -> usize {
        self.prices.len()
    }

    /// True when the table has no model.
    pub fn is_empty(&self) -> bool {
        self.prices.is_empty()
    }

    /// Index of the model's price, tolerating provider prefixes (`openai/gpt-4o`), region
    /// and vendor prefixes (`us.anthropic.`), version suffixes (`-v1:0`, `@20240620`) and
    /// date suffixes (`-2024-08-06`, `-20241022`, `-2409`).
    pub fn lookup(&self, model: &str) -> Option<usize> {
        let lower = model.trim().to_ascii_lowercase();
        if let Some(&i) = self.index.get(&lower) {
            return Some(i);
        }
        let mut name = lower.rsplit('/').next().unwrap_or(&lower).to_string();
        for prefix in ["us.", "eu.", "apac.", "global."] {
            if let Some(rest) = name.strip_prefix(prefix) {
                name = rest.to_string();
            }
        }
        for vendor in ["anthropic.", "meta.", "mistral.", "openai.", "google."] {
            if let Some(rest) = name.strip_prefix(vendor) {
                name = rest.to_string();
            }
        }
        if let Some(i) = name.find(['@', ':']) {
            name.truncate(i);
        }
        loop {
            if let Some(&i) = self.index.get(&name) {
                return Some(i);
            }
            let stripped = strip_version_suffix(&name)?;
            name = stripped.to_string();
        }
    }

    /// The price at an index returned by [`PriceTable::lookup`].
    pub fn price(&self, idx: usize) -> Option<&Price> {
        self.prices.get(idx)
    }
}

/// Removes one trailing date or version part: `-2024-08-06`, `-20241022`, `-2409`,
/// `-v1`, `-latest`, `-preview`, `-exp`, `-001`.
fn strip_version_suffix(name: &str) -> Option<&str> {
    let (head, last) = name.rsplit_once('-')?;
    let is_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if last.len() == 2 && is_digits(last) {
        // `-2024-08-06`: drop month and day together with the year.
        let (head2, month) = head.rsplit_once('-')?;
        let (head3, year) = head2.rsplit_once('-')?;
        if month.len() == 2 && is_digits(month) && year.len() == 4 && is_digits(year) {
            return Some(head3);
        }
        return None;
    }
    let versionish = (is_digits(last) && matches!(last.len(), 3 | 4 | 6 | 8))
        || (last.starts_with('v') && is_digits(&last[1..]))
        || matches!(last, "latest" | "preview" | "exp");
    versionish.then_some(head)
}

/// Prices calls: keeps reported costs, computes the rest, marks unknown models unpriced.
#[derive(Debug, Clone)]
pub struct Pricer {
    table: std::sync::Arc<PriceTable>,
    cache: HashMap<String, Option<usize>>,
}

impl Pricer {
    /// A pricer over a shared table; each decode thread owns one (for its lookup cache).
    pub fn new(table: std::sync::Arc<PriceTable>) -> Self {
        Pricer {
            table,
            cache: HashMap::new(),
        }
    }

    fn lookup(&mut self, model: &str) -> Option<usize> {
        if let Some(hit) = self.cache.get(model) {
            return *hit;
        }
        let found = self.table.lookup(model);
        if self.cache.len() < 10_000 {
            self.cache.insert(model.to_string(), found);
        }
        found
    }

    /// Sets `cost_usd` and `cost_source` on a call.
    pub fn price(&mut self, c: &mut Call) {
        if c.cost_usd.is_some() {
            if c.cost_source.is_none() {
                c.cost_source = Some(CostProvenance::Reported);
            }
            return;
        }
        let quote = self.quote(
            c.response_model.as_deref(),
            c.model.as_deref(),
            c.operation,
            &c.tokens,
        );
        match quote {
            Quote::Computed(usd) => {
                c.cost_usd = Some(usd);
                c.cost_source = Some(CostProvenance::Computed {
                    table_date: self.table.date.clone(),
                });
            }
            Quote::Unpriced => c.cost_source = Some(CostProvenance::Unpriced),
            Quote::None => {}
        }
    }

    /// What the table says a call that reported no cost costs, from borrowed fields (the
    /// decoder's fast path prices calls it never turns into a [`Call`]).
    pub fn quote(
        &mut self,
        response_model: Option<&str>,
        model: Option<&str>,
        operation: Operation,
        tokens: &Tokens,
    ) -> Quote {
        // The model that answered is the one billed; the requested name is the fallback.
        let idx = [response_model, model]
            .into_iter()
            .flatten()
            .find_map(|m| self.lookup(m));
        match idx.and_then(|i| self.table.price(i)) {
            Some(p) if operation.is_llm_call() => Quote::Computed(p.cost_of(tokens)),
            Some(_) => Quote::None,
            None if operation.is_llm_call() => Quote::Unpriced,
            None => Quote::None,
        }
    }
}

/// A price table's answer for one call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quote {
    /// Cost computed from the table.
    Computed(f64),
    /// An LLM call of a model in no table.
    Unpriced,
    /// Not an LLM call: nothing to say.
    None,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> PriceTable {
        PriceTable::builtin().unwrap()
    }

    #[test]
    fn builtin_table_covers_the_big_vendors() {
        let t = table();
        for m in [
            "gpt-4o",
            "claude-sonnet-4-5",
            "gemini-2.5-pro",
            "mistral-small-latest",
            "deepseek-chat",
            "llama-3.3-70b-versatile",
        ] {
            assert!(t.lookup(m).is_some(), "{m}");
        }
        assert!(!t.date.is_empty());
    }

    #[test]
    fn model_names_are_normalised() {
        let t = table();
        let gpt4o = t.lookup("gpt-4o");
        assert_eq!(t.lookup("openai/gpt-4o-2024-08-06"), gpt4o);
        assert_eq!(t.lookup("GPT-4o"), gpt4o);
        assert_ne!(t.lookup("gpt-4o-mini-2024-07-18"), gpt4o);
        assert_eq!(t.lookup("gpt-4o-mini-2024-07-18"), t.lookup("gpt-4o-mini"));
        assert_eq!(
            t.lookup("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
            t.lookup("claude-sonnet-4-5")
        );
        assert_eq!(
            t.lookup("claude-3-5-sonnet@20240620"),
            t.lookup("claude-3-7-sonnet")
        );
        assert_eq!(
            t.lookup("gpt-4.1-mini-2025-04-14"),
            t.lookup("gpt-4.1-mini")
        );
        assert_eq!(t.lookup("acme-support-ft-v2"), None);
        assert_eq!(t.lookup(""), None);
    }

    fn call(model: &str, input: u64, output: u64) -> Call {
        Call {
            model: Some(model.into()),
            operation: Operation::Chat,
            tokens: Tokens {
                input: Some(input),
                output: Some(output),
                ..Tokens::default()
            },
            ..Call::default()
        }
    }

    #[test]
    fn computed_cost_uses_cache_rates_and_tiers() {
        let mut p = Pricer::new(std::sync::Arc::new(table()));
        let mut c = call("gpt-4o", 1000, 100);
        c.tokens.cache_read = Some(400);
        p.price(&mut c);
        let want = 600.0 * 2.5e-6 + 400.0 * 1.25e-6 + 100.0 * 1e-5;
        assert!((c.cost_usd.unwrap() - want).abs() < 1e-12);
        assert!(matches!(
            c.cost_source,
            Some(CostProvenance::Computed { .. })
        ));

        let mut big = call("gemini-2.5-pro", 250_000, 1000);
        p.price(&mut big);
        let want = 250_000.0 * 2.5e-6 + 1000.0 * 1.5e-5;
        assert!((big.cost_usd.unwrap() - want).abs() < 1e-9);
    }

    #[test]
    fn reported_cost_wins_and_unknown_is_unpriced() {
        let mut p = Pricer::new(std::sync::Arc::new(table()));
        let mut c = call("gpt-4o", 1000, 100);
        c.cost_usd = Some(0.5);
        p.price(&mut c);
        assert_eq!(c.cost_usd, Some(0.5));
        assert_eq!(c.cost_source, Some(CostProvenance::Reported));
        let mut u = call("acme-support-ft-v2", 1000, 100);
        p.price(&mut u);
        assert_eq!(u.cost_usd, None);
        assert_eq!(u.cost_source, Some(CostProvenance::Unpriced));
    }
}
