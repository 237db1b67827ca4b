//! OTLP attribute lists (`[{key, value: {stringValue|intValue|...}}]`) read by key, and
//! `AnyValue` trees turned into plain JSON.

use super::super::fields::{as_f64, as_u64};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The attributes of one span, resource, event or log record, indexed by key.
pub(super) struct Attrs<'a> {
    map: HashMap<&'a str, &'a Value>,
    /// Keys in their original order (flattened OpenInference lists are read by prefix).
    keys: Vec<&'a str>,
}

impl<'a> Attrs<'a> {
    /// Reads the `attributes` array of an OTLP object (a missing one is empty).
    pub(super) fn of(owner: Option<&'a Value>) -> Self {
        let list = owner
            .and_then(|o| o.get("attributes"))
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        let mut map = HashMap::with_capacity(list.len());
        let mut keys = Vec::with_capacity(list.len());
        for kv in list {
            if let (Some(k), Some(v)) = (kv.get("key").and_then(Value::as_str), kv.get("value")) {
                if map.insert(k, v).is_none() {
                    keys.push(k);
                }
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
        self.map
            .get(key)?
            .get("stringValue")?
            .as_str()
            .filter(|s| !s.is_empty())
    }

    /// Any scalar as text.
    pub(super) fn string(&self, key: &str) -> Option<String> {
        scalar_text(self.map.get(key)?)
    }

    /// An integer (`intValue` strings included).
    pub(super) fn u64(&self, key: &str) -> Option<u64> {
        let v = self.map.get(key)?;
        v.get("intValue")
            .or_else(|| v.get("doubleValue"))
            .or_else(|| v.get("stringValue"))
            .and_then(as_u64)
    }

    /// A float.
    pub(super) fn f64(&self, key: &str) -> Option<f64> {
        let v = self.map.get(key)?;
        v.get("doubleValue")
            .or_else(|| v.get("intValue"))
            .or_else(|| v.get("stringValue"))
            .and_then(as_f64)
    }

    /// A boolean.
    pub(super) fn bool(&self, key: &str) -> Option<bool> {
        match self.map.get(key)?.get("boolValue")? {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// A structured value as plain JSON; a string holding JSON is parsed, so the JSON-string
    /// form on spans and the structured form on log events read the same.
    pub(super) fn json(&self, key: &str) -> Option<Value> {
        let v = self.map.get(key)?;
        if let Some(s) = v.get("stringValue").and_then(Value::as_str) {
            return serde_json::from_str(s).ok();
        }
        let plain = any_to_json(v);
        (!plain.is_null()).then_some(plain)
    }

    /// The first element of an array value, or the value itself, as text.
    pub(super) fn first_string(&self, key: &str) -> Option<String> {
        let v = self.map.get(key)?;
        match v
            .get("arrayValue")
            .and_then(|a| a.get("values"))
            .and_then(Value::as_array)
        {
            Some(values) => values.first().and_then(scalar_text),
            None => scalar_text(v),
        }
    }

    /// All string elements of an array value.
    pub(super) fn strings(&self, key: &str) -> Vec<String> {
        self.map
            .get(key)
            .and_then(|v| v.get("arrayValue"))
            .and_then(|a| a.get("values"))
            .and_then(Value::as_array)
            .map(|vs| vs.iter().filter_map(scalar_text).collect())
            .unwrap_or_default()
    }
}

/// A scalar `AnyValue` as text.
fn scalar_text(v: &Value) -> Option<String> {
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

/// An OTLP `AnyValue` as plain JSON: kvlists become objects, arrays arrays, `{}` null.
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
