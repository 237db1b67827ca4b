//! `group_by`: what splits one rule into an instance per value, like a Datadog multi-alert
//! or a Prometheus `by`.

use crate::model::record::Call;

/// The dimension a grouped rule keeps one instance per value of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    Model,
    Provider,
    User,
    App,
    Conversation,
    /// Tags written `NAME=value` (or `NAME:value`): one instance per value.
    Tag(String),
}

/// The names `group_by` accepts, for error messages and docs.
pub const GROUP_NAMES: &str = "model, provider, user, app, conversation or tag:NAME";

impl GroupBy {
    /// Parses `model`, `provider`, `user`, `app`, `conversation` or `tag:NAME`.
    pub fn parse(s: &str) -> Option<GroupBy> {
        match s.trim() {
            "model" => Some(GroupBy::Model),
            "provider" => Some(GroupBy::Provider),
            "user" => Some(GroupBy::User),
            "app" => Some(GroupBy::App),
            "conversation" => Some(GroupBy::Conversation),
            other => other
                .strip_prefix("tag:")
                .filter(|n| !n.is_empty() && !n.contains(['=', ':', '"']))
                .map(|n| GroupBy::Tag(n.to_string())),
        }
    }

    /// The name as written in a rule, and in an instance's name (`model=gpt-4o`).
    pub fn as_str(&self) -> String {
        match self {
            GroupBy::Model => "model".into(),
            GroupBy::Provider => "provider".into(),
            GroupBy::User => "user".into(),
            GroupBy::App => "app".into(),
            GroupBy::Conversation => "conversation".into(),
            GroupBy::Tag(n) => format!("tag:{n}"),
        }
    }

    /// The call's value of this dimension; calls without one belong to no instance.
    pub fn value_of<'c>(&self, c: &'c Call) -> Option<&'c str> {
        let v = match self {
            GroupBy::Model => c.model.as_deref(),
            GroupBy::Provider => c.provider.as_deref(),
            GroupBy::User => c.user.as_deref(),
            GroupBy::App => c.app.as_deref(),
            GroupBy::Conversation => c.conversation_id.as_deref(),
            GroupBy::Tag(n) => c.tags.iter().find_map(|t| {
                t.strip_prefix(n.as_str())
                    .and_then(|rest| rest.strip_prefix(['=', ':']))
            }),
        };
        v.filter(|v| !v.is_empty())
    }

    /// The query (`model:"gpt-4o"`) that selects one instance's calls, for its drill-down.
    pub fn predicate(&self, value: &str) -> String {
        match self {
            GroupBy::Tag(name) => format!("tag:{}", quoted(&format!("{name}={value}"))),
            _ => format!("{}:{}", self.as_str(), quoted(value)),
        }
    }
}

/// A query value in quotes, with `"` and `\` escaped.
fn quoted(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::query::Query;

    #[test]
    fn instances_select_exactly_their_calls() {
        let c = Call {
            model: Some("gpt-4o".into()),
            user: Some("bob \"b\" smith".into()),
            tags: vec!["tier=gold".into()],
            ..Call::default()
        };
        for (g, want) in [
            ("model", "gpt-4o"),
            ("user", "bob \"b\" smith"),
            ("tag:tier", "gold"),
        ] {
            let g = GroupBy::parse(g).unwrap();
            assert_eq!(g.value_of(&c), Some(want));
            let q = Query::parse(&g.predicate(want)).unwrap();
            assert!(q.matches(&c), "{}", g.predicate(want));
            let other = Query::parse(&g.predicate("other")).unwrap();
            assert!(!other.matches(&c));
        }
        assert_eq!(GroupBy::parse("provider").unwrap().value_of(&c), None);
        for bad in ["", "region", "tag:", "tag:a=b"] {
            assert_eq!(GroupBy::parse(bad), None, "{bad}");
        }
    }
}
