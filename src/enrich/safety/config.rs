//! Configuration of the safety detectors (the `[safety]` table of llmmon's config file).

use crate::model::record::Severity;
use serde::Deserialize;
use std::path::PathBuf;

/// Every knob of the safety detectors; the defaults are the measured, documented setup.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SafetyConfig {
    pub injection: InjectionConfig,
    pub leak: LeakConfig,
    pub pii: PiiConfig,
    pub secrets: SecretsConfig,
    pub toxicity: ToxicityConfig,
    pub refusal: RefusalConfig,
    /// User rules, reported with detector `custom` and the rule's name.
    pub custom: Vec<CustomRule>,
}

/// Prompt-injection and jailbreak detection.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InjectionConfig {
    pub enabled: bool,
    /// Combined cue score (0..=1) at which a text is flagged.
    pub threshold: f32,
    /// Fixed severity instead of the score-derived one.
    pub severity: Option<Severity>,
    /// Phrases that never count as cues (lower-case), for apps whose own prompts use them.
    pub allow: Vec<String>,
}

impl Default for InjectionConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            threshold: 0.5,
            severity: None,
            allow: Vec::new(),
        }
    }
}

/// System-prompt leakage in responses.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LeakConfig {
    pub enabled: bool,
    /// Length in words of a run shared with the system prompt that counts as a leak.
    pub min_run_words: usize,
    /// Canary tokens planted in system prompts; any of them in a response is a leak.
    pub canaries: Vec<String>,
    pub severity: Option<Severity>,
}

impl Default for LeakConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            min_run_words: 12,
            canaries: Vec::new(),
            severity: None,
        }
    }
}

/// Validated personal data.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PiiConfig {
    pub enabled: bool,
    /// Entity rules to skip: `email`, `phone`, `card`, `iban`, `ssn`, `ip`.
    pub disable: Vec<String>,
    /// Exact values never flagged (e.g. the support address the app prints itself).
    pub allow: Vec<String>,
    pub severity: Option<Severity>,
}

impl Default for PiiConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            disable: Vec::new(),
            allow: Vec::new(),
            severity: None,
        }
    }
}

/// Credentials and keys.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecretsConfig {
    pub enabled: bool,
    /// Exact values never flagged (test keys that are public on purpose).
    pub allow: Vec<String>,
    pub severity: Option<Severity>,
}

impl Default for SecretsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            allow: Vec::new(),
            severity: None,
        }
    }
}

/// Lexicon-based toxicity.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ToxicityConfig {
    pub enabled: bool,
    /// Lowest lexicon severity flagged: 1 mild, 2 strong, 3 severe.
    pub min_level: u8,
    /// Replaces the built-in lexicon: a TSV file `word<TAB>category<TAB>level`.
    pub lexicon: Option<PathBuf>,
    /// Extra words (category `custom`, level 2).
    pub extra_words: Vec<String>,
    /// Words never flagged, added to the built-in allowlist.
    pub allow: Vec<String>,
}

impl Default for ToxicityConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            min_level: 1,
            lexicon: None,
            extra_words: Vec::new(),
            allow: Vec::new(),
        }
    }
}

/// Refusals in model output (a quality signal).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RefusalConfig {
    pub enabled: bool,
    pub threshold: f32,
    pub severity: Option<Severity>,
}

impl Default for RefusalConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            threshold: 0.5,
            severity: None,
        }
    }
}

/// One user rule: a literal (case-insensitive) or a regex, with a name and a severity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomRule {
    pub name: String,
    pub pattern: String,
    #[serde(default)]
    pub regex: bool,
    #[serde(default = "default_custom_severity")]
    pub severity: Severity,
}

fn default_custom_severity() -> Severity {
    Severity::Medium
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_partial_toml_and_rejects_unknown_keys() {
        let cfg: SafetyConfig = toml::from_str(
            r#"
            [injection]
            threshold = 0.7
            [leak]
            canaries = ["c4n4ry"]
            [[custom]]
            name = "project-x"
            pattern = "project x"
            severity = "high"
            "#,
        )
        .unwrap();
        assert_eq!(cfg.injection.threshold, 0.7);
        assert!(cfg.injection.enabled && cfg.pii.enabled);
        assert_eq!(cfg.custom[0].severity, Severity::High);
        assert!(toml::from_str::<SafetyConfig>("[pii]\nenabeld = false").is_err());
    }
}
