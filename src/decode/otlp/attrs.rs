//! OTLP attribute lists read by key, from either encoding: OTLP/JSON
//! (`[{key, value: {stringValue|intValue|...}}]`) or the protobuf `KeyValue`s a receiver
//! decoded, so the span mapping reads both the same way; and `AnyValue` trees turned into
//! plain JSON.

use super::super::fields::{as_f64, as_u64};
use base64::Engine as _;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use rustc_hash::FxHashMap;
use serde_json::{Map, Value};

/// One attribute value in its original encoding.
#[derive(Clone, Copy)]
enum Val<'a> {
    Json(&'a Value),
    Proto(Option<&'a Any>),
}

/// The attributes of one span, resource, event or log record, indexed by key.
pub(super) struct Attrs<'a> {
    map: FxHashMap<&'a str, Val<'a>>,
    /// Keys in their original order (flattened OpenInference lists are read by prefix).
    keys: Vec<&'a str>,
}

impl<'a> Attrs<'a> {
    /// Reads the `attributes` array of an OTLP/JSON object (a missing one is empty).
    pub(super) fn of(owner: Option<&'a Value>) -> Self {
        let list = owner
            .and_then(|o| o.get("attributes"))
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        Self::build(list.iter().filter_map(|kv| {
            Some((
                kv.get("key").and_then(Value::as_str)?,
                Val::Json(kv.get("value")?),
            ))
        }))
    }

    /// Reads protobuf attributes.
    pub(super) fn of_proto(list: &'a [KeyValue]) -> Self {
        Self::build(list.iter().map(|kv| {
            (
                kv.key.as_str(),
                Val::Proto(kv.value.as_ref().and_then(|v| v.value.as_ref())),
            )
        }))
    }

    /// A later duplicate key replaces the value but keeps the first position.
    fn build(items: impl Iterator<Item = (&'a str, Val<'a>)>) -> Self {
        let (lower, _) = items.size_hint();
        let mut map = FxHashMap::with_capacity_and_hasher(lower, Default::default());
        let mut keys = Vec::with_capacity(lower);
        for (k, v) in items {
            if map.insert(k, v).is_none() {
                keys.push(k);
            }
        }
        Attrs { map, keys }
    }

    /// True when the key is present (even with a null value).
    pub(super) fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// Keys starting with `prefix`, in input order.
    pub(super) fn keys_with(&self, prefix: &'a str) -> impl Iterator<Item = &'a str> + '_ {
        self.keys
            .iter()
            .copied()
            .filter(move |k| k.starts_with(prefix))
    }

    /// A `stringValue`, non-empty.
    pub(super) fn str(&self, key: &str) -> Option<&'a str> {
        match *self.map.get(key)? {
            Val::Json(v) => v.get("stringValue")?.as_str(),
            Val::Proto(Some(Any::StringValue(s))) => Some(s.as_str()),
            Val::Proto(_) => None,
        }
        .filter(|s| !s.is_empty())
    }

    /// Any scalar as text.
    pub(super) fn string(&self, key: &str) -> Option<String> {
        scalar_text(*self.map.get(key)?)
    }

    /// An integer (`intValue` strings included).
    pub(super) fn u64(&self, key: &str) -> Option<u64> {
        match *self.map.get(key)? {
            Val::Json(v) => v
                .get("intValue")
                .or_else(|| v.get("doubleValue"))
                .or_else(|| v.get("stringValue"))
                .and_then(as_u64),
            Val::Proto(Some(Any::IntValue(i))) => u64::try_from(*i).ok(),
            Val::Proto(Some(Any::DoubleValue(d))) => as_u64(&Value::from(*d)),
            Val::Proto(Some(Any::StringValue(s))) => s.trim().parse().ok(),
            Val::Proto(_) => None,
        }
    }

    /// A float.
    pub(super) fn f64(&self, key: &str) -> Option<f64> {
        match *self.map.get(key)? {
            Val::Json(v) => v
                .get("doubleValue")
                .or_else(|| v.get("intValue"))
                .or_else(|| v.get("stringValue"))
                .and_then(as_f64),
            Val::Proto(Some(Any::DoubleValue(d))) => Some(*d).filter(|d| d.is_finite()),
            Val::Proto(Some(Any::IntValue(i))) => Some(*i as f64),
            Val::Proto(Some(Any::StringValue(s))) => {
                s.trim().parse::<f64>().ok().filter(|d| d.is_finite())
            }
            Val::Proto(_) => None,
        }
    }

    /// A boolean.
    pub(super) fn bool(&self, key: &str) -> Option<bool> {
        match *self.map.get(key)? {
            Val::Json(v) => v.get("boolValue")?.as_bool(),
            Val::Proto(Some(Any::BoolValue(b))) => Some(*b),
            Val::Proto(_) => None,
        }
    }

    /// A structured value as plain JSON; a string holding JSON is parsed, so the JSON-string
    /// form on spans and the structured form on log events read the same.
    pub(super) fn json(&self, key: &str) -> Option<Value> {
        let plain = match *self.map.get(key)? {
            Val::Json(v) => {
                if let Some(s) = v.get("stringValue").and_then(Value::as_str) {
                    return serde_json::from_str(s).ok();
                }
                any_to_json(v)
            }
            Val::Proto(Some(Any::StringValue(s))) => return serde_json::from_str(s).ok(),
            Val::Proto(v) => proto_to_json(v),
        };
        (!plain.is_null()).then_some(plain)
    }

    /// The first element of an array value, or the value itself, as text.
    pub(super) fn first_string(&self, key: &str) -> Option<String> {
        let v = *self.map.get(key)?;
        match elements(v) {
            Some(mut values) => values.next().and_then(scalar_text),
            None => scalar_text(v),
        }
    }

    /// All string elements of an array value.
    pub(super) fn strings(&self, key: &str) -> Vec<String> {
        self.map
            .get(key)
            .and_then(|v| elements(*v))
            .map(|vs| vs.filter_map(scalar_text).collect())
            .unwrap_or_default()
    }
}

/// The elements of an array value, or `None` for anything else.
fn elements<'a>(v: Val<'a>) -> Option<Box<dyn Iterator<Item = Val<'a>> + 'a>> {
    match v {
        Val::Json(v) => {
            let values = v.get("arrayValue")?.get("values")?.as_array()?;
            Some(Box::new(values.iter().map(Val::Json)))
        }
        Val::Proto(Some(Any::ArrayValue(a))) => Some(Box::new(
            a.values.iter().map(|v| Val::Proto(v.value.as_ref())),
        )),
        Val::Proto(_) => None,
    }
}

/// A scalar value as text.
fn scalar_text(v: Val<'_>) -> Option<String> {
    let v = match v {
        Val::Json(v) => v,
        Val::Proto(Some(Any::StringValue(s))) => return (!s.is_empty()).then(|| s.clone()),
        Val::Proto(Some(Any::IntValue(i))) => return Some(i.to_string()),
        Val::Proto(Some(Any::DoubleValue(d))) => {
            return d.is_finite().then(|| d.to_string());
        }
        Val::Proto(Some(Any::BoolValue(b))) => return Some(b.to_string()),
        Val::Proto(_) => return None,
    };
    if let Some(s) = v.get("stringValue").and_then(Value::as_str) {
        return (!s.is_empty()).then(|| s.to_owned());
    }
    if let Some(i) = v.get("intValue") {
        return as_u64(i)
            .map(|n| n.to_string())
            .or_else(|| i.as_str().map(str::to_owned));
    }
    if let Some(d) = v.get("doubleValue").and_then(as_f64) {
        return Some(d.to_string());
    }
    v.get("boolValue")
        .and_then(Value::as_bool)
        .map(|b| b.to_string())
}

/// An OTLP/JSON `AnyValue` as plain JSON: kvlists become objects, arrays arrays, `{}` null.
pub(super) fn any_to_json(v: &Value) -> Value {
    let Some(obj) = v.as_object() else {
        return Value::Null;
    };
    if let Some(s) = obj.get("stringValue") {
        return s.clone();
    }
    if let Some(b) = obj.get("boolValue") {
        return b.clone();
    }
    if let Some(i) = obj.get("intValue") {
        return as_u64(i).map_or_else(|| i.clone(), Value::from);
    }
    if let Some(d) = obj.get("doubleValue") {
        return d.clone();
    }
    if let Some(a) = obj.get("arrayValue") {
        let values = a.get("values").and_then(Value::as_array);
        return Value::Array(
            values.map_or_else(Vec::new, |vs| vs.iter().map(any_to_json).collect()),
        );
    }
    if let Some(kv) = obj.get("kvlistValue") {
        let mut m = Map::new();
        for item in kv
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(k) = item.get("key").and_then(Value::as_str) {
                m.insert(
                    k.to_owned(),
                    item.get("value").map_or(Value::Null, any_to_json),
                );
            }
        }
        return Value::Object(m);
    }
    obj.get("bytesValue").cloned().unwrap_or(Value::Null)
}

/// A protobuf `AnyValue` as the plain JSON [`any_to_json`] makes of its OTLP/JSON form
/// (negative integers stay strings there, as the JSON encoding writes every int64 so).
fn proto_to_json(v: Option<&Any>) -> Value {
    match v {
        // Indexes into a profile's string table, which spans and logs never carry.
        None | Some(Any::StringValueStrindex(_)) => Value::Null,
        Some(Any::StringValue(s)) => Value::String(s.clone()),
        Some(Any::BoolValue(b)) => Value::Bool(*b),
        Some(Any::IntValue(i)) => {
            u64::try_from(*i).map_or_else(|_| Value::String(i.to_string()), Value::from)
        }
        Some(Any::DoubleValue(d)) => Value::from(*d),
        Some(Any::ArrayValue(a)) => Value::Array(
            a.values
                .iter()
                .map(|v| proto_to_json(v.value.as_ref()))
                .collect(),
        ),
        Some(Any::KvlistValue(kv)) => Value::Object(
            kv.values
                .iter()
                .map(|item| {
                    let value = item.value.as_ref().and_then(|v| v.value.as_ref());
                    (item.key.clone(), proto_to_json(value))
                })
                .collect(),
        ),
        Some(Any::BytesValue(b)) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kvlists_become_objects() {
        let v = json!({"kvlistValue":{"values":[{"key":"role","value":{"stringValue":"user"}},
            {"key":"n","value":{"intValue":"3"}},{"key":"x","value":{}}]}});
        assert_eq!(any_to_json(&v), json!({"role":"user","n":3,"x":null}));
    }

    #[test]
    fn attributes_read_by_key() {
        let span = json!({"attributes":[{"key":"a","value":{"intValue":"12"}},
            {"key":"b","value":{"stringValue":"[1,2]"}}]});
        let a = Attrs::of(Some(&span));
        assert_eq!(a.u64("a"), Some(12));
        assert_eq!(a.json("b"), Some(json!([1, 2])));
        assert_eq!(a.str("missing"), None);
    }
}
