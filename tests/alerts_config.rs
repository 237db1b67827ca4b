#![allow(clippy::unwrap_used)]
//! Alert and budget configuration errors name the line; the example config parses.

use llmmon::config::Config;
use std::path::Path;

fn err(text: &str) -> String {
    Config::parse(text, Path::new("x.toml"))
        .unwrap_err()
        .to_string()
}

const HEAD: &str = "[tui]\ntheme = \"dark\"\n\n";

#[test]
fn unknown_metric_names_its_line() {
    let e = err(&format!(
        "{HEAD}[[alerts]]\nname = \"a\"\nmetric = \"latency.p42\"\nwarn = 1\n"
    ));
    assert!(e.starts_with("x.toml:6:"), "{e}");
    assert!(e.contains("unknown metric \"latency.p42\""), "{e}");
}

#[test]
fn bad_threshold_type_names_its_line() {
    let e = err(&format!(
        "{HEAD}[[alerts]]\nname = \"a\"\nmetric = \"error_rate\"\nwindow = \"5m\"\nwarn = true\n"
    ));
    assert!(e.starts_with("x.toml:8:"), "{e}");
    assert!(e.contains("threshold"), "{e}");
    let e = err(&format!(
        "{HEAD}[[alerts]]\nname = \"a\"\nmetric = \"latency.p95\"\ncrit = \"fast\"\n"
    ));
    assert!(e.starts_with("x.toml:7:"), "{e}");
}

#[test]
fn bad_filter_names_its_line() {
    let e = err(&format!(
        "{HEAD}[[alerts]]\nname = \"a\"\nmetric = \"error_rate\"\nwarn = 0.1\nfilter = \"colour:red\"\n"
    ));
    assert!(e.starts_with("x.toml:8:"), "{e}");
    assert!(e.contains("bad filter"), "{e}");
}

#[test]
fn a_rule_on_review_labels_is_refused_with_why() {
    for filter in ["label:bad", "model:gpt-4o -has:label"] {
        let e = err(&format!(
            "{HEAD}[[alerts]]\nname = \"a\"\nmetric = \"error_rate\"\nwarn = 0.1\nfilter = \"{filter}\"\n"
        ));
        assert!(e.starts_with("x.toml:8:"), "{e}");
        assert!(e.contains("cannot filter on them"), "{e}");
    }
}

#[test]
fn other_mistakes_are_caught_too() {
    for (text, line) in [
        ("[[alerts]]\nname = \"a\"\nmetric = \"cost\"\n", 2),
        (
            "[[alerts]]\nname = \"a\"\nmetric = \"cost\"\nwarn = 1\nno_data = \"maybe\"\n",
            5,
        ),
        (
            "[[alerts]]\nname = \"a\"\nmetric = \"cost\"\nwarn = 1\nfor = \"soon\"\n",
            5,
        ),
        (
            "[[alerts]]\nname = \"a\"\nmetric = \"cost\"\nwarn = 1\nbogus = 1\n",
            5,
        ),
    ] {
        let e = err(text);
        assert!(e.starts_with(&format!("x.toml:{line}:")), "{e}");
    }
    assert!(err("[budgets]\nwarn_at = 2.0\n").contains("budgets.warn_at"));
}

#[test]
fn defaults_ship_and_turn_off() {
    let on = Config::parse("", Path::new("x.toml")).unwrap();
    assert!(!on.alerts_config().unwrap().rules.is_empty());
    let off = Config::parse("[alerting]\ndefault_rules = false\n", Path::new("x.toml")).unwrap();
    assert!(off.alerts_config().unwrap().rules.is_empty());
    let example = include_str!("../llmmon.toml.example");
    let cfg = Config::parse(example, Path::new("llmmon.toml.example")).unwrap();
    let a = cfg.alerts_config().unwrap();
    assert!(a
        .rules
        .iter()
        .any(|r| r.metric.to_string() == "judge.helpfulness.mean"));
}
