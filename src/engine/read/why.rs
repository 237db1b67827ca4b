//! "Why" an alert fired, the way Honeycomb's BubbleUp explains an anomaly: which dimension
//! values (model, provider, user, app, finish reason, error type, tool, prompt term) are
//! over-represented in the alert's bad calls compared with the rest of its window.
//!
//! The bad calls are the LLM calls of the drill's window `[from, to]` matching its query; the
//! rest are the other calls of that window matching the rule's filter (every call when the
//! filter is empty). For each value, `lift = bad_share / rest_share`. A value that never
//! occurs in the rest has lift [`MAX_LIFT`] (a large finite number, so JSON can carry it).
//! A value is listed only with enough support: at least [`MIN_BAD`] bad calls (or the only
//! bad call), a bad share of at least [`MIN_BAD_SHARE`] and a lift of at least [`MIN_LIFT`].
//! With no rest to compare with, nothing is listed.
//!
//! Items are ranked by lift (ties: more bad calls first), with one exception: an instance's
//! own value (`model=gpt-4o` for `slow model · model=gpt-4o`) comes first when it stands
//! out, because it is the scope the alert names and is in every bad call by construction;
//! the others then say what else sets the bad calls apart.
//!
//! [`Engine::why`] ranks over the calls the store still holds; the engine attaches the
//! answer to each firing step as it fires.

mod terms;

/// The answer's types live beside the alerts that carry them; views find them here.
pub use super::super::alerts::why::{
    percent, serialize_notified, Dimension, Why, WhyItem, MAX_LIFT, TOP, TOP_NOTIFIED,
};
use super::super::alerts::Drill;
use super::super::Engine;
use crate::model::query::Query;
use crate::model::record::{Call, Nanos};
use rustc_hash::FxHashMap as HashMap;

/// Bad calls a value must be in (unless there is only one bad call).
pub const MIN_BAD: u64 = 2;
/// Share of the bad calls a value must be in.
pub const MIN_BAD_SHARE: f64 = 0.2;
/// How much more common in the bad calls than in the rest a value must be.
pub const MIN_LIFT: f64 = 1.5;
/// Bad calls a prompt term must be in: one message's words are no pattern.
const MIN_TERM_BAD: u64 = 3;
/// Calls of each side whose prompt terms are counted (the newest); other dimensions count
/// every call examined.
const TERM_CALLS: u64 = 500;
/// Calls of the window examined at most (the newest): a ranking costs a few ms however
/// large the store.
pub const MAX_EXAMINED: usize = 10_000;
/// Distinct prompt terms tracked; later new terms are not counted.
const MAX_TERMS: usize = 20_000;

/// Bad and rest counts of one value.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    bad: u64,
    rest: u64,
}

impl Counts {
    fn add(&mut self, bad: bool) {
        if bad {
            self.bad += 1;
        } else {
            self.rest += 1;
        }
    }
}

/// Ranks the values of `calls` (event time and call, newest first) for `drill`: pure, over
/// the calls given, the newest [`MAX_EXAMINED`] LLM calls of the window. A drill whose
/// query or filter does not parse explains nothing.
pub fn rank<'a>(calls: impl IntoIterator<Item = (Nanos, &'a Call)>, drill: &Drill) -> Why {
    let (Ok(bad_q), Ok(scope)) = (Query::parse(&drill.query), Query::parse(&drill.filter)) else {
        return Why::default();
    };
    let mut in_window = calls
        .into_iter()
        .filter(|(t, c)| (drill.from..=drill.to).contains(t) && c.operation.is_llm_call());
    let mut tally = Tally::default();
    for (_, c) in in_window.by_ref().take(MAX_EXAMINED) {
        if bad_q.matches(c) {
            tally.count(true, c);
        } else if scope.matches(c) {
            tally.count(false, c);
        }
    }
    let complete = in_window.next().is_none();
    let mut items = tally.items();
    items.sort_by(|a, b| {
        b.lift
            .total_cmp(&a.lift)
            .then(b.bad_count.cmp(&a.bad_count))
            .then(a.dimension.cmp(&b.dimension))
            .then_with(|| a.value.cmp(&b.value))
    });
    let own = drill.group.as_deref().and_then(|g| {
        let (field, value) = g.split_once('=')?;
        let d = Dimension::of_group(field)?;
        items
            .iter()
            .position(|i| i.dimension == d && i.value == value)
    });
    if let Some(i) = own {
        items[..=i].rotate_right(1);
    }
    items.truncate(TOP);
    Why {
        bad: tally.bad,
        rest: tally.rest,
        complete,
        items,
    }
}

/// Bad and rest counts of every value seen, and of the calls they are over.
#[derive(Default)]
struct Tally<'a> {
    values: HashMap<(Dimension, &'a str), Counts>,
    terms: HashMap<String, Counts>,
    bad: u64,
    rest: u64,
    /// Calls whose prompt terms were counted, per side.
    bad_terms: u64,
    rest_terms: u64,
}

impl<'a> Tally<'a> {
    /// Counts one call of the bad side (`is_bad`) or the rest.
    fn count(&mut self, is_bad: bool, c: &'a Call) {
        let (n, sampled) = if is_bad {
            (&mut self.bad, &mut self.bad_terms)
        } else {
            (&mut self.rest, &mut self.rest_terms)
        };
        *n += 1;
        let dims = [
            (Dimension::Model, c.model_name()),
            (Dimension::Provider, c.provider.as_deref()),
            (Dimension::User, c.user.as_deref()),
            (Dimension::App, c.app.as_deref()),
            (Dimension::Finish, c.finish_reason.as_deref()),
            (Dimension::Error, c.error_type.as_deref()),
        ];
        for (d, v) in dims {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                self.values.entry((d, v)).or_default().add(is_bad);
            }
        }
        for (i, t) in c.tool_calls.iter().enumerate() {
            let first = !c.tool_calls[..i].iter().any(|o| o.name == t.name);
            if first && !t.name.is_empty() {
                self.values
                    .entry((Dimension::Tool, t.name.as_str()))
                    .or_default()
                    .add(is_bad);
            }
        }
        if *sampled < TERM_CALLS {
            *sampled += 1;
            for w in terms::of(c.last_user_message().unwrap_or("")) {
                if let Some(n) = self.terms.get_mut(&w) {
                    n.add(is_bad);
                } else if self.terms.len() < MAX_TERMS {
                    self.terms.entry(w).or_default().add(is_bad);
                }
            }
        }
    }

    /// Every value with the support to stand out, unordered; none without a rest.
    fn items(&self) -> Vec<WhyItem> {
        let mut items = Vec::new();
        if self.bad == 0 || self.rest == 0 {
            return items;
        }
        let min_bad = if self.bad == 1 { 1 } else { MIN_BAD };
        for ((d, v), n) in &self.values {
            items.extend(item(*d, v, *n, (self.bad, self.rest), min_bad));
        }
        let sample = (self.bad_terms, self.rest_terms);
        for (w, n) in &self.terms {
            let min = min_bad.max(MIN_TERM_BAD);
            items.extend(item(Dimension::Term, w, *n, sample, min));
        }
        items
    }
}

/// The item of one value over `(bad_of, rest_of)` calls, if it has the support to stand out.
fn item(
    d: Dimension,
    v: &str,
    n: Counts,
    (bad_of, rest_of): (u64, u64),
    min_bad: u64,
) -> Option<WhyItem> {
    if n.bad < min_bad || bad_of == 0 || rest_of == 0 {
        return None;
    }
    let bad_share = n.bad as f64 / bad_of as f64;
    let rest_share = n.rest as f64 / rest_of as f64;
    let lift = if n.rest == 0 {
        MAX_LIFT
    } else {
        (bad_share / rest_share).min(MAX_LIFT)
    };
    (bad_share >= MIN_BAD_SHARE && lift >= MIN_LIFT).then(|| WhyItem {
        dimension: d,
        value: v.to_string(),
        bad_count: n.bad,
        rest_count: n.rest,
        bad_of,
        rest_of,
        bad_share: round4(bad_share),
        rest_share: round4(rest_share),
        lift: round4(lift),
    })
}

fn round4(v: f64) -> f64 {
    (v * 1e4).round() / 1e4
}

impl Engine {
    /// Why the alert behind `drill` fired: [`rank`] over the calls the store holds. The one
    /// function views, `check`, notifications and the incident report ask.
    pub fn why(&self, drill: &Drill) -> Why {
        super::super::store_why(&self.store, drill)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::alerts::DrillSort;
    use crate::model::record::{Message, Status, ToolCall};

    fn call(model: &str, user: &str, status: Status) -> Call {
        Call {
            model: Some(model.into()),
            provider: Some("openai".into()),
            user: Some(user.into()),
            app: Some("web".into()),
            status,
            ..Call::default()
        }
    }

    fn drill(query: &str, filter: &str, group: Option<&str>) -> Drill {
        Drill {
            query: query.into(),
            filter: filter.into(),
            group: group.map(String::from),
            from: 0,
            to: 100,
            sort: DrillSort::Newest,
        }
    }

    fn ranked(calls: &[Call], d: &Drill) -> Why {
        rank(calls.iter().enumerate().map(|(i, c)| (i as Nanos, c)), d)
    }

    fn names(w: &Why) -> Vec<String> {
        w.items
            .iter()
            .map(|i| format!("{}={}", i.dimension.as_str(), i.value))
            .collect()
    }

    #[test]
    fn the_user_behind_the_errors_ranks_first_though_models_come_first() {
        let mut calls = Vec::new();
        for i in 0..40 {
            let model = if i % 2 == 0 { "a" } else { "b" };
            calls.push(call(model, &format!("u{}", i % 8), Status::Ok));
        }
        for i in 0..10 {
            let model = if i % 2 == 0 { "a" } else { "b" };
            let user = if i < 9 { "eve" } else { "u1" };
            calls.push(call(model, user, Status::Error));
        }
        calls.push(call("a", "eve", Status::Ok));
        let w = ranked(&calls, &drill("status:error", "", None));
        assert_eq!((w.bad, w.rest), (10, 41));
        let top = &w.items[0];
        assert_eq!(
            (top.dimension, top.value.as_str()),
            (Dimension::User, "eve")
        );
        assert_eq!((top.bad_count, top.rest_count), (9, 1));
        assert_eq!((top.bad_share, top.rest_share), (0.9, 0.0244));
        assert!((top.lift - 36.9).abs() < 0.01, "{}", top.lift);
        assert_eq!(names(&w), ["user=eve"], "models are as common in both");
        assert_eq!(top.describe(), "user=eve 90% of bad vs 2% rest (lift 36.9)");
    }

    #[test]
    fn nothing_stands_out_when_bad_and_rest_look_alike() {
        let calls: Vec<Call> = (0..60)
            .map(|i| {
                let status = if i % 3 == 0 {
                    Status::Error
                } else {
                    Status::Ok
                };
                call(["a", "b"][i % 2], &format!("u{}", i % 5), status)
            })
            .collect();
        let w = ranked(&calls, &drill("status:error", "", None));
        assert_eq!((w.bad, w.rest), (20, 40));
        assert!(w.items.is_empty(), "{:?}", names(&w));
    }

    #[test]
    fn a_value_absent_from_the_rest_gets_the_capped_lift_and_ties_go_to_more_bad_calls() {
        let mut calls: Vec<Call> = (0..20)
            .map(|i| call("a", &format!("u{i}"), Status::Ok))
            .collect();
        for i in 0..6 {
            let mut c = call("a", if i < 4 { "x" } else { "y" }, Status::Error);
            c.error_type = Some("RateLimitError".into());
            calls.push(c);
        }
        let w = ranked(&calls, &drill("status:error", "", None));
        assert_eq!(names(&w), ["error=RateLimitError", "user=x", "user=y"]);
        assert!(w
            .items
            .iter()
            .all(|i| i.lift == MAX_LIFT && i.rest_count == 0));
        assert!(w.items[0].describe().ends_with("(only in bad)"));
    }

    #[test]
    fn the_rest_is_the_rule_scope_in_the_window_and_no_rest_explains_nothing() {
        let mut calls: Vec<Call> = (0..10).map(|_| call("a", "u", Status::Ok)).collect();
        calls.extend((0..5).map(|_| call("b", "u", Status::Error)));
        calls.extend((0..30).map(|_| call("b", "v", Status::Ok)));
        // Within model:b, the errors all come from user u.
        let w = ranked(&calls, &drill("(model:b) status:error", "model:b", None));
        assert_eq!((w.bad, w.rest), (5, 30));
        assert_eq!(names(&w), ["user=u"]);
        // Outside the drill window, nothing counts.
        let mut late = drill("status:error", "", None);
        late.from = 1000;
        late.to = 2000;
        assert_eq!(ranked(&calls, &late), Why::default());
        // Every call is bad: nothing to compare with.
        assert!(ranked(&calls, &drill("", "", None)).items.is_empty());
        assert_eq!(ranked(&calls, &drill("(", "", None)), Why::default());
    }

    #[test]
    fn an_instances_own_value_comes_first_and_one_bad_call_is_enough() {
        let mut calls: Vec<Call> = (0..30)
            .map(|i| {
                call(
                    ["gpt-4o", "mini", "mini"][i % 3],
                    &format!("u{i}"),
                    Status::Ok,
                )
            })
            .collect();
        let mut slow = call("gpt-4o", "olivia", Status::Ok);
        slow.latency_ms = Some(9000.0);
        calls.push(slow);
        let by_lift = ranked(&calls, &drill("latency>4000ms", "", None));
        assert_eq!(by_lift.bad, 1);
        assert_eq!(names(&by_lift)[0], "user=olivia");
        let d = drill("model:gpt-4o latency>4000ms", "", Some("model=gpt-4o"));
        let w = ranked(&calls, &d);
        assert_eq!(names(&w)[..2], ["model=gpt-4o", "user=olivia"]);
    }

    #[test]
    fn tools_and_prompt_terms_are_dimensions_and_a_term_needs_three_bad_calls() {
        let mut calls: Vec<Call> = (0..30)
            .map(|i| {
                let mut c = call("a", &format!("u{i}"), Status::Ok);
                c.messages = vec![Message {
                    role: "user".into(),
                    content: "book a flight".into(),
                }];
                c
            })
            .collect();
        for i in 0..4 {
            let mut c = call("a", &format!("u{i}"), Status::Error);
            c.messages = vec![Message {
                role: "user".into(),
                content: "refund my zephyrpay order".into(),
            }];
            c.tool_calls = vec![ToolCall {
                name: "refund".into(),
                ..ToolCall::default()
            }];
            calls.push(c);
        }
        let w = ranked(&calls, &drill("status:error", "", None));
        assert_eq!(
            names(&w),
            ["tool=refund", "term=order", "term=refund", "term=zephyrpay"]
        );
        calls.truncate(32);
        let w = ranked(&calls, &drill("status:error", "", None));
        assert_eq!(names(&w), ["tool=refund"]);
    }

    #[test]
    fn notifications_carry_the_top_three() {
        let w = Why {
            bad: 5,
            rest: 5,
            complete: true,
            items: vec![
                WhyItem {
                    dimension: Dimension::User,
                    value: "x".into(),
                    bad_count: 5,
                    rest_count: 0,
                    bad_of: 5,
                    rest_of: 5,
                    bad_share: 1.0,
                    rest_share: 0.0,
                    lift: MAX_LIFT,
                };
                5
            ],
        };
        assert_eq!(w.top(TOP_NOTIFIED).items.len(), 3);
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::new(&mut out);
        serialize_notified(&Some(w), &mut ser).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["items"].as_array().unwrap().len(), 3);
        assert_eq!(v["items"][0]["dimension"], "user");
    }

    #[test]
    fn the_engine_attaches_why_to_a_step_as_it_fires_in_history_and_outbox() {
        use crate::engine::alerts::{AlertMetric, AlertStatus, AlertsConfig, GroupBy, Rule};
        use crate::engine::{EngineConfig, SECOND};
        use crate::model::record::Record;
        use crate::model::source::SourceKind;
        let mut rule = Rule::new("errors", AlertMetric::ErrorRate, 60 * SECOND);
        rule.group_by = Some(GroupBy::Provider);
        rule.warn = Some(0.2);
        rule.min_calls = 10;
        let mut e = Engine::new(EngineConfig {
            alerts: AlertsConfig {
                rules: vec![rule],
                ..AlertsConfig::default()
            },
            ..EngineConfig::default()
        });
        let src = e.add_source("x", SourceKind::File);
        for s in 0..120i64 {
            let failing = s >= 60 && s % 2 == 0;
            let mut c = call("a", if failing { "eve" } else { "u" }, Status::Ok);
            if failing {
                c.status = Status::Error;
            }
            c.id = format!("c{s}");
            c.end = Some(s * SECOND);
            e.ingest(src, vec![(1, Record::Call(Box::new(c)))]);
        }
        let fired: Vec<_> = e
            .alerts
            .take_notifications()
            .into_iter()
            .filter(|t| t.to == AlertStatus::Firing)
            .collect();
        assert!(!fired.is_empty());
        let why = fired[0].why.as_ref().expect("explained when it fired");
        // Every call is openai's, so only the user stands out.
        assert_eq!(names(why), ["user=eve"]);
        let kept = e
            .alerts
            .history()
            .iter()
            .find(|t| t.to == AlertStatus::Firing);
        assert_eq!(kept.and_then(|t| t.why.as_ref()), Some(why));
        assert_eq!(&e.why(&fired[0].drill()), why);
    }

    #[test]
    fn a_window_larger_than_the_bound_is_ranked_on_its_newest_calls_and_says_so() {
        let calls: Vec<Call> = (0..MAX_EXAMINED + 10)
            .map(|i| call("a", "u", if i < 5 { Status::Error } else { Status::Ok }))
            .collect();
        let mut all = drill("status:error", "", None);
        all.to = Nanos::MAX;
        let w = ranked(&calls, &all);
        assert!(!w.complete);
        assert_eq!((w.bad, w.rest), (5, MAX_EXAMINED as u64 - 5));
        assert!(ranked(&calls[..100], &all).complete);
    }

    #[test]
    fn a_burst_of_firing_instances_is_explained_a_few_per_batch() {
        use crate::engine::alerts::{AlertMetric, AlertStatus, AlertsConfig, GroupBy, Rule};
        use crate::engine::{EngineConfig, SECOND, WHY_PER_BATCH};
        use crate::model::record::Record;
        use crate::model::source::SourceKind;
        let mut rule = Rule::new("errors", AlertMetric::ErrorRate, 60 * SECOND);
        rule.group_by = Some(GroupBy::User);
        rule.warn = Some(0.5);
        let engine = || {
            let mut e = Engine::new(EngineConfig {
                alerts: AlertsConfig {
                    rules: vec![rule.clone()],
                    ..AlertsConfig::default()
                },
                ..EngineConfig::default()
            });
            let src = e.add_source("x", SourceKind::File);
            (e, src)
        };
        let users = WHY_PER_BATCH * 2 + 1;
        let at = |s: i64, u: usize, status| {
            let mut c = call("a", &format!("u{u}"), status);
            c.id = format!("c{s}-{u}");
            c.end = Some(s * SECOND);
            (1, Record::Call(Box::new(c)))
        };
        let batch = |s: i64| {
            (0..users)
                .map(|u| at(s, u, Status::Error))
                .collect::<Vec<_>>()
        };
        let firing = |e: &Engine| {
            let h = e.alerts.history();
            let f: Vec<_> = h.iter().filter(|t| t.to == AlertStatus::Firing).collect();
            (f.len(), f.iter().filter(|t| t.why.is_some()).count())
        };
        let (mut e, src) = engine();
        e.ingest(src, batch(1));
        // The next second's batch crosses the boundary: every instance fires at once.
        e.ingest(src, batch(2));
        assert_eq!(firing(&e), (users, WHY_PER_BATCH));
        e.ingest(src, vec![at(2, 0, Status::Error)]);
        assert_eq!(firing(&e), (users, WHY_PER_BATCH * 2));
        e.ingest(src, vec![at(2, 1, Status::Error)]);
        assert_eq!(firing(&e), (users, users));
        assert_eq!(e.explained, e.alerts.sink.pushed, "caught up");
        // The end of the input explains every step still waiting.
        let (mut e, src) = engine();
        e.ingest(src, batch(1));
        e.ingest(src, batch(2));
        e.flush_alerts(2 * SECOND);
        assert_eq!(firing(&e), (users, users));
    }
}
