//! A submitted row's fields, read leniently in one pass: each is absent (or null), a string, a
//! number, or something else. The rules in `super` decide what each field may be, so one bad
//! field (a wrong type, a number too big for f64) never hides the others.

use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashMap;

/// One field as sent.
#[derive(Debug, Default, Clone, PartialEq)]
pub enum Val<'a> {
    /// Not sent, or null.
    #[default]
    Absent,
    Str(Cow<'a, str>),
    Num(f64),
    /// A boolean, an array, an object, or a value that cannot be read (1e400).
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for Val<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Val<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Val<'a>, E> {
                Ok(Val::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Val<'a>, E> {
                Ok(Val::Str(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Val<'a>, E> {
                Ok(Val::Str(Cow::Owned(s)))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Val<'a>, E> {
                Ok(Val::Num(n as f64))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Val<'a>, E> {
                Ok(Val::Num(n as f64))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Val<'a>, E> {
                Ok(Val::Num(n))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Val<'a>, E> {
                Ok(Val::Other)
            }
            fn visit_unit<E>(self) -> Result<Val<'a>, E> {
                Ok(Val::Absent)
            }
            fn visit_none<E>(self) -> Result<Val<'a>, E> {
                Ok(Val::Absent)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Val<'a>, D::Error> {
                Val::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val<'a>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Val::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Val<'a>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Val::Other)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// Every field the rules read; unknown fields are ignored.
#[derive(Deserialize, Default, Debug, PartialEq)]
#[serde(default)]
pub struct Fields<'a> {
    /// 资产编号: the asset an update row changes (absent or blank: a new asset).
    #[serde(borrow)]
    pub id: Val<'a>,
    #[serde(borrow)]
    pub name: Val<'a>,
    #[serde(borrow)]
    pub parent: Val<'a>,
    #[serde(borrow, rename = "assetClass")]
    pub asset_class: Val<'a>,
    #[serde(borrow)]
    pub user: Val<'a>,
    #[serde(borrow)]
    pub price: Val<'a>,
    #[serde(borrow)]
    pub description: Val<'a>,
    #[serde(borrow)]
    pub position: Val<'a>,
    #[serde(borrow)]
    pub expire: Val<'a>,
    #[serde(borrow)]
    pub count: Val<'a>,
    #[serde(borrow, rename = "assetTree")]
    pub asset_tree: Val<'a>,
    #[serde(borrow)]
    pub department: Val<'a>,
    #[serde(borrow)]
    pub deadline: Val<'a>,
    #[serde(borrow)]
    pub create_time: Val<'a>,
}

impl<'a> Fields<'a> {
    /// Reads a row's JSON text. A row that is not an object has no fields (serde would fill a
    /// struct from an array by position).
    pub fn read(row: &'a str) -> Fields<'a> {
        if !row.trim_start().starts_with('{') {
            return Fields::default();
        }
        if let Ok(fields) = serde_json::from_str::<Fields>(row) {
            return fields;
        }
        // A row one pass cannot read as a whole (a number like 1e400): each field as its raw
        // text, so each gets its own verdict.
        let Ok(raw) = serde_json::from_str::<HashMap<Cow<str>, &RawValue>>(row) else {
            return Fields::default();
        };
        let val = |key: &str| match raw.get(key) {
            None => Val::Absent,
            Some(r) => serde_json::from_str(r.get()).unwrap_or(Val::Other),
        };
        Fields {
            id: val("id"),
            name: val("name"),
            parent: val("parent"),
            asset_class: val("assetClass"),
            user: val("user"),
            price: val("price"),
            description: val("description"),
            position: val("position"),
            expire: val("expire"),
            count: val("count"),
            asset_tree: val("assetTree"),
            department: val("department"),
            deadline: val("deadline"),
            create_time: val("create_time"),
        }
    }
}

impl<'a> Fields<'a> {
    /// The fields of an upload's row from where its reader wrote each value verbatim
    /// (`files::Spans`): what `read` gives for the same JSON, without reading it.
    pub fn from_spans(json: &'a str, spans: &crate::files::Spans) -> Fields<'a> {
        let mut fields = Fields::default();
        for (column, span) in crate::columns::IMPORT_COLUMNS.iter().zip(spans) {
            let Some(text) = span.and_then(|(start, end)| json.get(start as usize..end as usize))
            else {
                continue;
            };
            let field = match column.field {
                "id" => &mut fields.id,
                "name" => &mut fields.name,
                "parent" => &mut fields.parent,
                "assetClass" => &mut fields.asset_class,
                "user" => &mut fields.user,
                "price" => &mut fields.price,
                "description" => &mut fields.description,
                "position" => &mut fields.position,
                "expire" => &mut fields.expire,
                "count" => &mut fields.count,
                "assetTree" => &mut fields.asset_tree,
                "department" => &mut fields.department,
                "deadline" => &mut fields.deadline,
                "create_time" => &mut fields.create_time,
                _ => continue,
            };
            *field = Val::Str(Cow::Borrowed(text));
        }
        fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_field_is_read_for_what_it_is() {
        let f = Fields::read(
            r#"{"name": "椅子\"", "price": "10.5", "count": 3, "parent": null,
                "expire": true, "assetTree": [1], "department": {"a": 1}, "unknown": 1}"#,
        );
        assert_eq!(f.name, Val::Str("椅子\"".into()));
        assert_eq!(f.price, Val::Str("10.5".into()));
        assert_eq!(f.count, Val::Num(3.0));
        assert_eq!(f.parent, Val::Absent);
        assert_eq!(f.user, Val::Absent);
        assert_eq!(f.expire, Val::Other);
        assert_eq!(f.asset_tree, Val::Other);
        assert_eq!(f.department, Val::Other);
    }

    #[test]
    fn an_unreadable_number_spoils_only_its_field() {
        let f = Fields::read(r#"{"name": "a", "price": 1e400, "count": 2}"#);
        assert_eq!(f.name, Val::Str("a".into()));
        assert_eq!(f.price, Val::Other);
        assert_eq!(f.count, Val::Num(2.0));
    }

    #[test]
    fn rows_that_are_not_objects_have_no_fields() {
        for row in [r#"["a", "", 0]"#, "3", r#""name""#, "null"] {
            let f = Fields::read(row);
            assert_eq!(f.name, Val::Absent, "{row}");
            assert_eq!(f.parent, Val::Absent, "{row}");
        }
    }
}
