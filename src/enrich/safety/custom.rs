//! User rules from the config: literals (whole-word, case-insensitive, served by the shared
//! prefilter) and regexes (run on every text, so keep them few), each with its own name and
//! severity, reported as detector `custom`.

use super::config::CustomRule;
use super::prefilter::{Hits, PrefilterBuilder, Target};
use super::{SafetyError, Sink};
use crate::model::record::Severity;
use regex::Regex;

/// The compiled custom rules.
pub(crate) struct Custom {
    literals: Vec<(String, Severity)>,
    regexes: Vec<(String, Severity, Regex)>,
}

impl Custom {
    pub(crate) fn new(
        rules: &[CustomRule],
        pb: &mut PrefilterBuilder,
    ) -> Result<Self, SafetyError> {
        let mut literals = Vec::new();
        let mut regexes = Vec::new();
        for r in rules {
            if r.regex {
                let re = Regex::new(&r.pattern).map_err(|e| SafetyError::CustomRegex {
                    name: r.name.clone(),
                    source: Box::new(e),
                })?;
                regexes.push((r.name.clone(), r.severity, re));
            } else {
                pb.add(
                    &r.pattern,
                    Target::Custom(u16::try_from(literals.len()).unwrap_or(u16::MAX)),
                );
                literals.push((r.name.clone(), r.severity));
            }
        }
        Ok(Self { literals, regexes })
    }

    pub(crate) fn detect(&self, text: &str, hits: &Hits, sink: &mut Sink<'_>) {
        for &(id, s, e) in &hits.custom {
            if let Some((name, sev)) = self.literals.get(usize::from(id)) {
                sink.push("custom", name, *sev, 1.0, s, e);
            }
        }
        for (name, sev, re) in &self.regexes {
            for m in re.find_iter(text) {
                if !m.is_empty() {
                    sink.push("custom", name, *sev, 1.0, m.start(), m.end());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Detectors, SafetyConfig};
    use crate::model::record::TextField;

    #[test]
    fn literal_and_regex_rules() {
        let cfg: SafetyConfig = toml::from_str(
            r#"
            [[custom]]
            name = "codename"
            pattern = "Project Falcon"
            severity = "high"
            [[custom]]
            name = "ticket"
            pattern = 'INC-\d{6}'
            regex = true
            "#,
        )
        .unwrap();
        let d = Detectors::new(&cfg).unwrap();
        let mut out = Vec::new();
        d.scan_text(
            "about project falcon, see INC-123456; not projectfalcons",
            TextField::Output,
            &mut out,
        );
        let names: Vec<&str> = out
            .iter()
            .filter(|f| f.detector == "custom")
            .map(|f| f.rule.as_str())
            .collect();
        assert_eq!(names, ["codename", "ticket"]);
        let bad: SafetyConfig =
            toml::from_str("[[custom]]\nname = \"x\"\npattern = \"(\"\nregex = true").unwrap();
        assert!(Detectors::new(&bad).is_err());
    }
}
