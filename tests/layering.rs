//! The house rules of DESIGN.md, read from the sources so a forbidden import fails the
//! build's tests: `model` imports nothing else of the crate; the engine imports only
//! itself and `model`, and no runtime, terminal or network crate; decode, sources and
//! enrichment never import the engine; the TUI never reaches past the engine into decode
//! or the sources. (Not yet enforced: that tui/ and the headless commands read only
//! `engine::read`, `model` and `present`.)
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every `crate::NAME` and external crate a module's code (comments left out) mentions,
/// with the file and line.
fn mentions(module: &str) -> Vec<(String, usize, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(module);
    let mut files = Vec::new();
    if root.is_dir() {
        rust_files(&root, &mut files);
    } else {
        files.push(root.with_extension("rs"));
    }
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')) {
                let word = word.trim_start_matches(':');
                if word.contains("::") {
                    out.push((f.display().to_string(), i + 1, word.to_string()));
                }
            }
        }
    }
    out
}

fn assert_none(module: &str, forbidden: impl Fn(&str) -> bool, rule: &str) {
    let bad: Vec<String> = mentions(module)
        .into_iter()
        .filter(|(_, _, w)| forbidden(w))
        .map(|(f, l, w)| format!("{f}:{l}: {w}"))
        .collect();
    assert!(bad.is_empty(), "{rule}:\n{}", bad.join("\n"));
}

fn crate_module(word: &str) -> Option<&str> {
    word.strip_prefix("crate::")
        .map(|rest| rest.split("::").next().unwrap_or(rest))
}

#[test]
fn model_imports_nothing_else_of_the_crate() {
    assert_none(
        "model",
        |w| crate_module(w).is_some_and(|m| m != "model"),
        "model/ must import nothing but itself",
    );
}

#[test]
fn the_engine_imports_only_itself_and_model() {
    assert_none(
        "engine",
        |w| crate_module(w).is_some_and(|m| m != "engine" && m != "model"),
        "engine/ may import only engine and model",
    );
    let io = [
        "tokio::",
        "ratatui::",
        "crossterm::",
        "axum::",
        "tonic::",
        "hyper::",
    ];
    assert_none(
        "engine",
        |w| io.iter().any(|c| w.starts_with(c)),
        "engine/ is pure: no runtime, terminal or network crate",
    );
}

#[test]
fn decode_sources_and_enrich_never_import_the_engine() {
    for m in ["decode", "source", "enrich"] {
        assert_none(
            m,
            |w| crate_module(w) == Some("engine"),
            &format!("{m}/ must not import the engine"),
        );
    }
}

#[test]
fn the_tui_reaches_no_stage_below_the_engine() {
    assert_none(
        "tui",
        |w| matches!(crate_module(w), Some("decode" | "source")),
        "tui/ reads the engine and model, never decode or the sources (only its event loop, \
         run.rs, takes work from the pipeline)",
    );
}
