//! The price table (`assets/pricing.json`, with its date and sources) plus config overrides,
//! and the cost of a call computed from it. A reported cost always wins; an unknown model is
//! **unpriced**, never $0.

use crate::model::record::{Call, CostProvenance, Operation, Tokens};
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
    #[error("price table: {0}")]
    Shape(String),
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

/// The shape a price table file was in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// llmmon's own `assets/pricing.json` shape (`date`, `sources`, `models`).
    Llmmon,
    /// LiteLLM's `model_prices_and_context_window.json`, read as it is.
    Litellm,
}

/// Prices by normalised model name, with the table's date for provenance.
#[derive(Debug, Clone)]
pub struct PriceTable {
    pub date: String,
    pub sources: Vec<String>,
    /// The shape the table was read from.
    pub format: TableFormat,
    /// Entries of a LiteLLM table skipped because they have no token prices (image, audio,
    /// per-second or per-query models).
    pub skipped: usize,
    prices: Vec<Price>,
    names: Vec<String>,
    index: HashMap<String, usize>,
}

/// Which entry a model name matched and the steps that led there (`llmmon prices`).
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// Index for [`PriceTable::price`].
    pub index: usize,
    /// The entry's name in the table.
    pub entry: String,
    /// How the name was turned into the entry's (empty for an exact match).
    pub steps: Vec<String>,
}

impl PriceTable {
    /// The table compiled into the binary.
    pub fn builtin() -> Result<Self, PricingError> {
        Self::from_json(BUILTIN_TABLE)
    }

    /// Parses a table in the `assets/pricing.json` shape, or LiteLLM's
    /// `model_prices_and_context_window.json` as it is (told apart by the `models` object).
    pub fn from_json(text: &str) -> Result<Self, PricingError> {
        let value: serde_json::Value = serde_json::from_str(text)?;
        if value
            .get("models")
            .is_some_and(serde_json::Value::is_object)
        {
            let file: TableFile = serde_json::from_value(value)?;
            let mut t = Self::empty(file.date, file.sources, TableFormat::Llmmon);
            let mut models: Vec<_> = file.models.into_iter().collect();
            models.sort_by(|a, b| a.0.cmp(&b.0));
            for (name, price) in models {
                t.insert(&name, price)?;
            }
            return Ok(t);
        }
        Self::from_litellm(&value)
    }

    fn empty(date: String, sources: Vec<String>, format: TableFormat) -> Self {
        PriceTable {
            date,
            sources,
            format,
            skipped: 0,
            prices: Vec::new(),
            names: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// Reads LiteLLM's table: every entry with a per-token input price (`sample_spec` and
    /// entries priced per image, second or query are skipped and counted), its cache read
    /// and creation prices and its `*_above_Nk_tokens` tiers. A provider-prefixed key
    /// (`mistral/mistral-large-latest`) also answers to its bare name when no entry has
    /// that name; the key with the fewest prefixes wins, then the first in name order.
    fn from_litellm(value: &serde_json::Value) -> Result<Self, PricingError> {
        // Entries are checked one by one below; only a non-object file is an error.
        let serde_json::Value::Object(entries) = value else {
            return Err(PricingError::Shape(
                "expected an object of models (LiteLLM) or {date, models} (llmmon)".into(),
            ));
        };
        let mut t = Self::empty(
            "unknown".into(),
            vec!["LiteLLM model_prices_and_context_window.json".into()],
            TableFormat::Litellm,
        );
        let mut names: Vec<&String> = entries.keys().collect();
        names.sort();
        // `sample_spec` documents the fields (with zero prices); it is no model.
        for name in names.into_iter().filter(|n| *n != "sample_spec") {
            let Some(price) = entries.get(name).and_then(litellm_price) else {
                t.skipped += 1;
                continue;
            };
            // A negative or non-finite price in a file of thousands of entries skips that
            // entry rather than the whole table.
            if t.insert(name, price).is_err() {
                t.skipped += 1;
            }
        }
        // The model maker's own key wins a bare name over a reseller's (`mistral/` over
        // `azure/`), then the key with the fewest prefixes, then name order.
        let mut bare: Vec<(bool, usize, String, usize)> = t
            .names
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                let (head, tail) = n.rsplit_once('/')?;
                let maker = MODEL_MAKERS.contains(&head)
                    && t.prices.get(i).and_then(|p| p.provider.as_deref()) == Some(head);
                Some((!maker, n.matches('/').count(), tail.to_ascii_lowercase(), i))
            })
            .collect();
        bare.sort();
        for (_, _, tail, i) in bare {
            t.index.entry(tail).or_insert(i);
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
        self.names.push(name.to_string());
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
        self.explain(model).ok().map(|m| m.index)
    }

    /// Like [`PriceTable::lookup`], saying which entry matched and how; on no match, the
    /// names that were tried.
    pub fn explain(&self, model: &str) -> Result<Match, Vec<String>> {
        let lower = model.trim().to_ascii_lowercase();
        let mut steps = Vec::new();
        let mut tried = Vec::new();
        let found = |name: &str, steps: &mut Vec<String>, tried: &mut Vec<String>| {
            if name.is_empty() {
                return None;
            }
            if let Some(&i) = self.index.get(name) {
                let entry = self.names.get(i).cloned().unwrap_or_default();
                if entry.to_ascii_lowercase() != name {
                    steps.push(
                        if entry.contains('/') && entry.to_ascii_lowercase().ends_with(name) {
                            format!("`{name}` is the bare name of `{entry}`")
                        } else {
                            format!("`{name}` is an alias of `{entry}`")
                        },
                    );
                }
                return Some(Match {
                    index: i,
                    entry,
                    steps: std::mem::take(steps),
                });
            }
            if tried.last().map(String::as_str) != Some(name) {
                tried.push(name.to_owned());
            }
            None
        };
        if let Some(m) = found(&lower, &mut steps, &mut tried) {
            return Ok(m);
        }
        let mut name = lower.rsplit('/').next().unwrap_or(&lower).to_string();
        if name != lower {
            let prefix = &lower[..lower.len() - name.len()];
            steps.push(format!("provider prefix `{prefix}` dropped"));
        }
        for prefix in ["us.", "eu.", "apac.", "global."] {
            if let Some(rest) = name.strip_prefix(prefix) {
                steps.push(format!("region prefix `{prefix}` dropped"));
                name = rest.to_string();
            }
        }
        for vendor in ["anthropic.", "meta.", "mistral.", "openai.", "google."] {
            if let Some(rest) = name.strip_prefix(vendor) {
                steps.push(format!("vendor prefix `{vendor}` dropped"));
                name = rest.to_string();
            }
        }
        if let Some(i) = name.find(['@', ':']) {
            steps.push(format!("version `{}` dropped", &name[i..]));
            name.truncate(i);
        }
        loop {
            if let Some(m) = found(&name, &mut steps, &mut tried) {
                return Ok(m);
            }
            let Some(stripped) = strip_version_suffix(&name) else {
                return Err(tried);
            };
            steps.push(format!("suffix `{}` dropped", &name[stripped.len()..]));
            name = stripped.to_string();
        }
    }

    /// The price at an index returned by [`PriceTable::lookup`].
    pub fn price(&self, idx: usize) -> Option<&Price> {
        self.prices.get(idx)
    }
}

/// LiteLLM providers that are the makers of the models they serve.
const MODEL_MAKERS: &[&str] = &[
    "openai",
    "anthropic",
    "gemini",
    "mistral",
    "xai",
    "deepseek",
    "cohere_chat",
    "cohere",
    "moonshot",
    "dashscope",
    "perplexity",
];

/// One LiteLLM entry as a [`Price`]; `None` when it has no per-token input price.
fn litellm_price(e: &serde_json::Value) -> Option<Price> {
    let num = |k: &str| e.get(k).and_then(serde_json::Value::as_f64);
    let input = num("input_cost_per_token")?;
    let mut tiers: Vec<PriceTier> = Vec::new();
    if let Some(obj) = e.as_object() {
        for key in obj.keys() {
            let Some(threshold) = key
                .strip_prefix("input_cost_per_token_above_")
                .and_then(|r| r.strip_suffix("_tokens"))
            else {
                continue;
            };
            let Some(above) = parse_threshold(threshold) else {
                continue;
            };
            let tier_num = |base: &str| num(&format!("{base}_above_{threshold}_tokens"));
            let Some(tier_input) = num(key) else { continue };
            tiers.push(PriceTier {
                above_input_tokens: above,
                input_cost_per_token: tier_input,
                output_cost_per_token: tier_num("output_cost_per_token")
                    .or(num("output_cost_per_token"))
                    .unwrap_or(0.0),
                cache_read_input_token_cost: tier_num("cache_read_input_token_cost"),
                cache_creation_input_token_cost: tier_num("cache_creation_input_token_cost"),
            });
        }
    }
    tiers.sort_by_key(|t| t.above_input_tokens);
    Some(Price {
        provider: e
            .get("litellm_provider")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned),
        input_cost_per_token: input,
        output_cost_per_token: num("output_cost_per_token").unwrap_or(0.0),
        cache_read_input_token_cost: num("cache_read_input_token_cost"),
        cache_creation_input_token_cost: num("cache_creation_input_token_cost"),
        tiers,
        aliases: Vec::new(),
    })
}

/// `200k` → 200 000, `128000` → 128 000.
fn parse_threshold(s: &str) -> Option<u64> {
    match s.strip_suffix('k') {
        Some(k) => k.parse::<u64>().ok()?.checked_mul(1000),
        None => s.parse().ok(),
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
        // A call that reported no token counts (a stream without usage) costs something
        // unknown, not $0: it is unpriced like a model the table lacks.
        let counted = tokens.input.is_some() || tokens.output.is_some();
        match idx.and_then(|i| self.table.price(i)) {
            _ if !operation.is_llm_call() => Quote::None,
            Some(p) if counted => Quote::Computed(p.cost_of(tokens)),
            _ => Quote::Unpriced,
        }
    }
}

/// A price table's answer for one call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quote {
    /// Cost computed from the table.
    Computed(f64),
    /// An LLM call whose cost cannot be known: a model in no table, or no token counts.
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
    fn builtin_table_has_the_popular_models_and_litellm_mistral_prices() {
        let t = table();
        for m in [
            "gpt-5-pro",
            "gpt-5-codex",
            "o3-pro",
            "gpt-oss-120b",
            "grok-3",
            "grok-4",
            "command-r",
            "command-r-plus",
            "qwen-max",
            "qwen3-coder",
            "kimi-k2",
            "gemini-1.5-pro",
            "gemini-1.5-flash",
            "gemini-1.5-flash-8b",
        ] {
            assert!(t.lookup(m).is_some(), "{m}");
        }
        let p = |m: &str| t.price(t.lookup(m).unwrap()).unwrap().clone();
        assert_eq!(p("mistral-large-latest").input_cost_per_token, 5e-7);
        assert_eq!(p("mistral-large-latest").output_cost_per_token, 1.5e-6);
        assert_eq!(p("mistral-medium-latest").input_cost_per_token, 1.5e-6);
        assert_eq!(p("open-mistral-nemo").input_cost_per_token, 3e-7);
        assert_eq!(p("ministral-8b-latest").input_cost_per_token, 1.5e-7);
        assert!(t.len() >= 70);
        assert_eq!(t.format, TableFormat::Llmmon);
    }

    const LITELLM: &str = r#"{
        "sample_spec": {"input_cost_per_token": 0.0, "litellm_provider": "one of ..."},
        "dall-e-3": {"output_cost_per_image": 0.04, "mode": "image_generation"},
        "whisper-1": {"input_cost_per_second": 0.0001, "mode": "audio_transcription"},
        "azure/big-1": {"input_cost_per_token": 9e-6, "output_cost_per_token": 9e-6,
                        "litellm_provider": "azure"},
        "mistral/big-1": {"input_cost_per_token": 1e-6, "output_cost_per_token": 3e-6,
                          "cache_read_input_token_cost": 1e-7, "litellm_provider": "mistral"},
        "long-1": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6,
                   "cache_read_input_token_cost": 1e-7, "cache_creation_input_token_cost": 1.25e-6,
                   "input_cost_per_token_above_200k_tokens": 2e-6,
                   "output_cost_per_token_above_200k_tokens": 4e-6,
                   "cache_read_input_token_cost_above_200k_tokens": 2e-7,
                   "input_cost_per_token_above_200k_tokens_priority": 9e-6,
                   "input_cost_per_token_batches": 5e-7,
                   "litellm_provider": "openai", "mode": "chat"},
        "embed-1": {"input_cost_per_token": 1e-7, "litellm_provider": "openai", "mode": "embedding"}
    }"#;

    #[test]
    fn litellm_shape_is_read_as_it_is() {
        let t = PriceTable::from_json(LITELLM).unwrap();
        assert_eq!(t.format, TableFormat::Litellm);
        assert_eq!(t.len(), 4);
        assert_eq!(
            t.skipped, 2,
            "image and per-second entries; sample_spec not counted"
        );
        let long = t
            .price(t.lookup("openai/long-1-2025-01-01").unwrap())
            .unwrap();
        assert_eq!(long.tiers.len(), 1, "priority/batch variants are not tiers");
        assert_eq!(long.tiers[0].above_input_tokens, 200_000);
        assert_eq!(long.tiers[0].cache_read_input_token_cost, Some(2e-7));
        let big = Tokens {
            input: Some(300_000),
            cache_read: Some(100_000),
            output: Some(1000),
            ..Tokens::default()
        };
        let want = 200_000.0 * 2e-6 + 100_000.0 * 2e-7 + 1000.0 * 4e-6;
        assert!((long.cost_of(&big) - want).abs() < 1e-12);
        let small = Tokens {
            input: Some(1000),
            cache_write: Some(400),
            output: Some(10),
            ..Tokens::default()
        };
        let want = 600.0 * 1e-6 + 400.0 * 1.25e-6 + 10.0 * 2e-6;
        assert!((long.cost_of(&small) - want).abs() < 1e-15);
        let embed = t.price(t.lookup("embed-1").unwrap()).unwrap();
        assert_eq!(embed.output_cost_per_token, 0.0);
        // The bare name goes to the model maker's key; a prefixed name to its own key.
        let m = t.explain("big-1").unwrap();
        assert_eq!(m.entry, "mistral/big-1");
        assert_eq!(m.steps, ["`big-1` is the bare name of `mistral/big-1`"]);
        assert_eq!(t.explain("azure/big-1").unwrap().entry, "azure/big-1");
        assert!(t.lookup("sample_spec").is_none());
        assert!(t.lookup("dall-e-3").is_none());
        assert!(PriceTable::from_json("[1]").is_err());
    }

    #[test]
    fn explain_says_how_a_name_matched_or_what_was_tried() {
        let t = table();
        let m = t
            .explain("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0")
            .unwrap();
        assert_eq!(m.entry, "claude-sonnet-4-5");
        assert_eq!(
            m.steps,
            [
                "provider prefix `bedrock/` dropped",
                "region prefix `us.` dropped",
                "vendor prefix `anthropic.` dropped",
                "version `:0` dropped",
                "suffix `-v1` dropped",
                "suffix `-20250929` dropped"
            ]
        );
        assert!(t.explain("gpt-4o").unwrap().steps.is_empty());
        let m = t.explain("chatgpt-4o-latest").unwrap();
        assert_eq!(m.steps, ["`chatgpt-4o-latest` is an alias of `gpt-4o`"]);
        assert_eq!(
            t.explain("acme/acme-ft-v2").unwrap_err(),
            ["acme/acme-ft-v2", "acme-ft-v2", "acme-ft"]
        );
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
