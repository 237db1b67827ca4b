//! Spend budgets in event time: per calendar day, week (Monday-based) and month in UTC, and
//! per user and per conversation over a rolling window. Each warns at a share of its limit
//! (80 % by default) and goes critical at 100 %, through the same [`Transition`]s as alert
//! rules. A burn-rate forecast says when the daily budget runs out at the current pace.

use super::alerts::lifecycle::{AlertStatus, Level, Sink, Transition};
use super::SECOND;
use crate::model::record::{Call, Nanos};
use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;
use std::collections::VecDeque;

const DAY: i64 = 86_400 * SECOND;
const MINUTE: i64 = 60 * SECOND;
/// Buckets per rolling window of a per-user or per-conversation budget.
const ROLLING_STEPS: i64 = 24;

/// Budget limits (USD). A `None` limit is not tracked.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetConfig {
    pub daily: Option<f64>,
    pub weekly: Option<f64>,
    pub monthly: Option<f64>,
    pub per_user: Option<f64>,
    pub per_conversation: Option<f64>,
    /// Rolling window (ns) of the per-user and per-conversation budgets.
    pub rolling_window_ns: i64,
    /// Share of a limit at which a warning fires.
    pub warn_at: f64,
    /// Users plus conversations tracked before the least recently active are forgotten.
    pub max_tracked: usize,
    /// How far back (ns) the burn rate looks.
    pub burn_window_ns: i64,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        BudgetConfig {
            daily: None,
            weekly: None,
            monthly: None,
            per_user: None,
            per_conversation: None,
            rolling_window_ns: DAY,
            warn_at: 0.8,
            max_tracked: 10_000,
            burn_window_ns: 3600 * SECOND,
        }
    }
}

/// A calendar period of spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    Week,
    Month,
}

impl Period {
    /// `daily`, `weekly` or `monthly`.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "daily",
            Period::Week => "weekly",
            Period::Month => "monthly",
        }
    }

    /// Start and end (ns, UTC) of the period containing `t`.
    pub fn bounds(self, t: Nanos) -> (Nanos, Nanos) {
        let day = t.div_euclid(DAY);
        match self {
            Period::Day => (day.saturating_mul(DAY), (day + 1).saturating_mul(DAY)),
            Period::Week => {
                // 1970-01-01 was a Thursday; weeks start on Monday.
                let monday = day - (day + 3).rem_euclid(7);
                (monday.saturating_mul(DAY), (monday + 7).saturating_mul(DAY))
            }
            Period::Month => {
                month_bounds(t).unwrap_or((day.saturating_mul(DAY), (day + 1).saturating_mul(DAY)))
            }
        }
    }
}

fn month_bounds(t: Nanos) -> Option<(Nanos, Nanos)> {
    use jiff::{civil::Date, tz::TimeZone, Timestamp};
    let d = Timestamp::from_nanosecond(i128::from(t))
        .ok()?
        .to_zoned(TimeZone::UTC)
        .date();
    let start = Date::new(d.year(), d.month(), 1).ok()?;
    let next = start.checked_add(jiff::Span::new().months(1)).ok()?;
    let ns = |d: Date| -> Option<Nanos> {
        let z = d.to_zoned(TimeZone::UTC).ok()?;
        i64::try_from(z.timestamp().as_nanosecond()).ok()
    };
    Some((ns(start)?, ns(next)?))
}

#[derive(Debug, Clone)]
struct PeriodSpend {
    period: Period,
    limit: f64,
    start: Nanos,
    end: Nanos,
    spent: f64,
    level: Option<Level>,
}

#[derive(Debug, Clone)]
struct Rolling {
    /// (bucket number, spend) oldest first.
    buckets: VecDeque<(i64, f64)>,
    level: Option<Level>,
    last: Nanos,
}

impl Rolling {
    fn total(&self, now_bucket: i64) -> f64 {
        self.buckets
            .iter()
            .filter(|(b, _)| *b > now_bucket - ROLLING_STEPS)
            .map(|(_, v)| v)
            .sum()
    }
}

/// One budget's standing, for the Overview and `check`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetLine {
    /// `daily`, `weekly`, `monthly`, `user:alice`, `conversation:c1`.
    pub name: String,
    pub spent_usd: f64,
    pub limit_usd: f64,
    pub level: Option<Level>,
}

/// When a period's budget runs out at the current burn rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    pub period: Period,
    pub spent_usd: f64,
    pub limit_usd: f64,
    /// Spend per hour over the burn window.
    pub usd_per_hour: f64,
    /// Event time the budget runs out, if before the period ends.
    pub exhausted_at: Option<Nanos>,
}

impl Forecast {
    /// "at this rate the daily budget is gone at 14:20" (UTC), or why it is not.
    pub fn describe(&self) -> String {
        let name = self.period.as_str();
        if self.spent_usd >= self.limit_usd {
            return format!("the {name} budget is spent");
        }
        match self.exhausted_at {
            Some(t) => format!(
                "at this rate the {name} budget is gone at {}",
                clock(t, self.period)
            ),
            None => format!(
                "at this rate the {name} budget lasts the {}",
                match self.period {
                    Period::Day => "day",
                    Period::Week => "week",
                    Period::Month => "month",
                }
            ),
        }
    }
}

fn clock(t: Nanos, period: Period) -> String {
    let Ok(ts) = jiff::Timestamp::from_nanosecond(i128::from(t)) else {
        return t.to_string();
    };
    let z = ts.to_zoned(jiff::tz::TimeZone::UTC);
    match period {
        Period::Day => z.strftime("%H:%M UTC").to_string(),
        _ => z.strftime("%a %d %b %H:%M UTC").to_string(),
    }
}

/// Spend tracking against the configured budgets.
#[derive(Debug, Clone)]
pub struct Budgets {
    cfg: BudgetConfig,
    periods: Vec<PeriodSpend>,
    users: HashMap<Box<str>, Rolling>,
    conversations: HashMap<Box<str>, Rolling>,
    /// Spend per minute over the burn window, for the forecast.
    burn: VecDeque<(i64, f64)>,
    now: Option<Nanos>,
    /// Rolling-budget boundary (bucket number) last re-checked for spend ageing out.
    last_sweep: i64,
}

impl Budgets {
    /// Budgets with the given limits.
    pub fn new(cfg: BudgetConfig) -> Budgets {
        let periods = [
            (Period::Day, cfg.daily),
            (Period::Week, cfg.weekly),
            (Period::Month, cfg.monthly),
        ]
        .into_iter()
        .filter_map(|(period, limit)| {
            limit.map(|limit| PeriodSpend {
                period,
                limit,
                start: i64::MIN,
                end: i64::MIN,
                spent: 0.0,
                level: None,
            })
        })
        .collect();
        Budgets {
            cfg,
            periods,
            users: HashMap::default(),
            conversations: HashMap::default(),
            burn: VecDeque::new(),
            now: None,
            last_sweep: i64::MIN,
        }
    }

    /// True when any budget is configured.
    pub fn is_configured(&self) -> bool {
        !self.periods.is_empty()
            || self.cfg.per_user.is_some()
            || self.cfg.per_conversation.is_some()
    }

    fn level(&self, spent: f64, limit: f64) -> Option<Level> {
        level_of(spent, limit, self.cfg.warn_at)
    }

    fn rolling_step(&self) -> i64 {
        (self.cfg.rolling_window_ns / ROLLING_STEPS).max(SECOND)
    }

    fn window_ns(&self) -> i64 {
        self.rolling_step() * ROLLING_STEPS
    }

    /// Moves the clock: rolls calendar periods over and lets rolling spend age out.
    pub fn advance(&mut self, t: Nanos, sink: &mut Sink) {
        if self.now.is_some_and(|n| t <= n) {
            return;
        }
        self.now = Some(t);
        let warn_at = self.cfg.warn_at;
        for p in &mut self.periods {
            if t >= p.end {
                if p.level.is_some() {
                    sink.push(transition(
                        p.period.as_str(),
                        p.end,
                        p.spent,
                        p.limit,
                        None,
                        p.end.saturating_sub(p.start),
                        warn_at,
                    ));
                }
                let (s, e) = p.period.bounds(t);
                p.start = s;
                p.end = e;
                p.spent = 0.0;
                p.level = None;
            }
        }
        let step = self.rolling_step();
        let bucket = t.div_euclid(step);
        if bucket != self.last_sweep {
            self.last_sweep = bucket;
            let window = self.window_ns();
            for (kind, limit, map) in [
                ("user", self.cfg.per_user, &mut self.users),
                (
                    "conversation",
                    self.cfg.per_conversation,
                    &mut self.conversations,
                ),
            ] {
                let Some(limit) = limit else { continue };
                for (key, r) in map.iter_mut().filter(|(_, r)| r.level.is_some()) {
                    let spent = r.total(bucket);
                    let lvl = level_of(spent, limit, warn_at);
                    if lvl.is_none() {
                        r.level = None;
                        let name = format!("{kind}:{key}");
                        sink.push(transition(
                            &name,
                            bucket.saturating_mul(step),
                            spent,
                            limit,
                            None,
                            window,
                            warn_at,
                        ));
                    }
                }
            }
        }
    }

    /// Adds a call's cost at event time `t`.
    pub fn observe_call(&mut self, c: &Call, t: Nanos, sink: &mut Sink) {
        let Some(cost) = c.cost_usd.filter(|v| v.is_finite() && *v > 0.0) else {
            return;
        };
        self.advance(t, sink);
        let minute = t.div_euclid(MINUTE);
        match self.burn.back_mut() {
            Some((m, v)) if *m == minute => *v += cost,
            _ => self.burn.push_back((minute, cost)),
        }
        let keep = (self.cfg.burn_window_ns / MINUTE).max(1);
        while self.burn.front().is_some_and(|(m, _)| *m <= minute - keep) {
            self.burn.pop_front();
        }
        let warn_at = self.cfg.warn_at;
        for p in &mut self.periods {
            if t < p.start || t >= p.end {
                continue;
            }
            p.spent += cost;
            let lvl = level_of(p.spent, p.limit, warn_at);
            if lvl > p.level {
                p.level = lvl;
                sink.push(transition(
                    p.period.as_str(),
                    t,
                    p.spent,
                    p.limit,
                    lvl,
                    p.end.saturating_sub(p.start),
                    warn_at,
                ));
            }
        }
        if let (Some(limit), Some(user)) = (self.cfg.per_user, c.user.as_deref()) {
            self.add_rolling(true, user, cost, limit, t, sink);
        }
        if let (Some(limit), Some(conv)) = (self.cfg.per_conversation, c.conversation_id.as_deref())
        {
            self.add_rolling(false, conv, cost, limit, t, sink);
        }
    }

    fn add_rolling(
        &mut self,
        users: bool,
        key: &str,
        cost: f64,
        limit: f64,
        t: Nanos,
        sink: &mut Sink,
    ) {
        let step = self.rolling_step();
        let window = self.window_ns();
        let warn_at = self.cfg.warn_at;
        let max = self.cfg.max_tracked.max(1);
        let map = if users {
            &mut self.users
        } else {
            &mut self.conversations
        };
        if !map.contains_key(key) && map.len() >= max {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, r)| r.last)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        let r = map.entry(key.into()).or_insert_with(|| Rolling {
            buckets: VecDeque::new(),
            level: None,
            last: t,
        });
        let bucket = t.div_euclid(step);
        r.last = r.last.max(t);
        match r.buckets.iter_mut().find(|(b, _)| *b == bucket) {
            Some((_, v)) => *v += cost,
            None => {
                r.buckets.push_back((bucket, cost));
                r.buckets
                    .make_contiguous()
                    .sort_unstable_by_key(|(b, _)| *b);
            }
        }
        let newest = r.buckets.back().map_or(bucket, |(b, _)| *b);
        while r
            .buckets
            .front()
            .is_some_and(|(b, _)| *b <= newest - ROLLING_STEPS)
        {
            r.buckets.pop_front();
        }
        let spent = r.total(bucket.max(newest));
        let lvl = level_of(spent, limit, warn_at);
        if lvl > r.level {
            r.level = lvl;
            let kind = if users { "user" } else { "conversation" };
            sink.push(transition(
                &format!("{kind}:{key}"),
                t,
                spent,
                limit,
                lvl,
                window,
                warn_at,
            ));
        }
    }

    /// Every configured calendar budget and every user or conversation at warning or worse.
    pub fn lines(&self) -> Vec<BudgetLine> {
        let mut out: Vec<BudgetLine> = self
            .periods
            .iter()
            .filter(|p| p.start != i64::MIN)
            .map(|p| BudgetLine {
                name: p.period.as_str().to_string(),
                spent_usd: p.spent,
                limit_usd: p.limit,
                level: self.level(p.spent, p.limit),
            })
            .collect();
        let bucket = self.now.unwrap_or(0).div_euclid(self.rolling_step());
        for (kind, limit, map) in [
            ("user", self.cfg.per_user, &self.users),
            (
                "conversation",
                self.cfg.per_conversation,
                &self.conversations,
            ),
        ] {
            let Some(limit) = limit else { continue };
            let mut hot: Vec<BudgetLine> = map
                .iter()
                .filter(|(_, r)| r.level.is_some())
                .map(|(k, r)| {
                    let spent = r.total(bucket);
                    BudgetLine {
                        name: format!("{kind}:{k}"),
                        spent_usd: spent,
                        limit_usd: limit,
                        level: self.level(spent, limit),
                    }
                })
                .collect();
            hot.sort_by(|a, b| b.spent_usd.total_cmp(&a.spent_usd));
            out.extend(hot);
        }
        out
    }

    /// Burn-rate forecast of each calendar budget at the current pace.
    pub fn forecasts(&self) -> Vec<Forecast> {
        let Some(now) = self.now else {
            return Vec::new();
        };
        let burned: f64 = self.burn.iter().map(|(_, v)| v).sum();
        let oldest = self
            .burn
            .front()
            .map_or(now, |(m, _)| m.saturating_mul(MINUTE));
        let span = now
            .saturating_sub(oldest)
            .clamp(MINUTE, self.cfg.burn_window_ns.max(MINUTE));
        let per_ns = burned / span as f64;
        self.periods
            .iter()
            .filter(|p| p.start != i64::MIN)
            .map(|p| {
                let left = p.limit - p.spent;
                let exhausted_at = if left <= 0.0 {
                    Some(now)
                } else if per_ns > 0.0 {
                    let at = now as f64 + left / per_ns;
                    (at < p.end as f64).then_some(at as Nanos)
                } else {
                    None
                };
                Forecast {
                    period: p.period,
                    spent_usd: p.spent,
                    limit_usd: p.limit,
                    usd_per_hour: per_ns * 3600.0 * SECOND as f64,
                    exhausted_at,
                }
            })
            .collect()
    }
}

fn level_of(spent: f64, limit: f64, warn_at: f64) -> Option<Level> {
    if spent >= limit {
        Some(Level::Crit)
    } else if spent >= limit * warn_at {
        Some(Level::Warn)
    } else {
        None
    }
}

fn transition(
    name: &str,
    at: Nanos,
    spent: f64,
    limit: f64,
    level: Option<Level>,
    window_ns: i64,
    warn_at: f64,
) -> Transition {
    let (from, to) = match level {
        Some(_) => (AlertStatus::Ok, AlertStatus::Firing),
        None => (AlertStatus::Firing, AlertStatus::Resolved),
    };
    let threshold = match level {
        Some(Level::Crit) => limit,
        _ => limit * warn_at,
    };
    Transition {
        rule: format!("budget.{name}"),
        group: name.split_once(':').map(|(k, v)| format!("{k}={v}")),
        metric: "cost".to_string(),
        filter: String::new(),
        from,
        to,
        level,
        at,
        value: Some(spent),
        threshold: Some(threshold),
        window_ns,
        renotify: false,
        why: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spend(user: &str, usd: f64) -> Call {
        Call {
            user: Some(user.into()),
            cost_usd: Some(usd),
            ..Call::default()
        }
    }

    #[test]
    fn daily_budget_warns_at_80_percent_then_goes_critical_and_rolls_over() {
        let mut b = Budgets::new(BudgetConfig {
            daily: Some(10.0),
            ..BudgetConfig::default()
        });
        let mut sink = Sink::default();
        let day0 = 20_000 * DAY;
        for i in 0..12 {
            b.observe_call(&spend("a", 1.0), day0 + i * 3600 * SECOND, &mut sink);
        }
        let h: Vec<_> = sink.history.iter().map(|t| (t.level, t.at)).collect();
        assert_eq!(h[0], (Some(Level::Warn), day0 + 7 * 3600 * SECOND));
        assert_eq!(h[1], (Some(Level::Crit), day0 + 9 * 3600 * SECOND));
        b.observe_call(&spend("a", 1.0), day0 + DAY + SECOND, &mut sink);
        assert_eq!(sink.history.back().unwrap().to, AlertStatus::Resolved);
        assert_eq!(b.lines()[0].spent_usd, 1.0);
    }

    #[test]
    fn forecast_says_when_the_day_runs_out() {
        let mut b = Budgets::new(BudgetConfig {
            daily: Some(100.0),
            ..BudgetConfig::default()
        });
        let mut sink = Sink::default();
        let day0 = 20_000 * DAY;
        // $10 an hour from midnight to 04:00: $40 spent, $60 left, gone at 10:00.
        for m in 0..=240 {
            b.observe_call(&spend("a", 10.0 / 60.0), day0 + m * MINUTE, &mut sink);
        }
        let f = &b.forecasts()[0];
        assert!((f.usd_per_hour - 10.0).abs() < 0.5, "{f:?}");
        let text = f.describe();
        assert!(
            text.starts_with("at this rate the daily budget is gone at 09:5")
                || text.contains("10:0"),
            "{text}"
        );
    }

    #[test]
    fn per_user_budget_is_rolling_and_bounded() {
        let mut b = Budgets::new(BudgetConfig {
            per_user: Some(5.0),
            rolling_window_ns: 3600 * SECOND,
            max_tracked: 2,
            ..BudgetConfig::default()
        });
        let mut sink = Sink::default();
        for i in 0..6 {
            b.observe_call(&spend("alice", 1.0), i * MINUTE, &mut sink);
        }
        assert!(sink
            .history
            .iter()
            .any(|t| t.rule == "budget.user:alice" && t.level == Some(Level::Crit)));
        b.observe_call(&spend("bob", 0.1), 3 * 3600 * SECOND, &mut sink);
        assert_eq!(sink.history.back().unwrap().to, AlertStatus::Resolved);
        b.observe_call(&spend("carol", 0.1), 3 * 3600 * SECOND, &mut sink);
        b.observe_call(&spend("dave", 0.1), 3 * 3600 * SECOND, &mut sink);
        assert!(b.users.len() <= 2);
    }
}
