//! Lenient decoding straight from the answer's bytes: `deserialize_with`
//! helpers for loosely typed fields, list and object readers that never
//! refuse a shape, and [`wire_record!`](crate::wire_record), which declares a
//! vendor's wire struct and its serde visitor.
//!
//! The rules are those of the functions in [`super`] (a number as a string,
//! `""` or `null` as absent, ...), applied while serde reads, so a field is
//! never first built as a [`Value`] only to be converted: a mapped field
//! costs no copy of its name and, when it converts, no `Value`.
//!
//! Why a macro and not `#[derive(Deserialize)]` with `#[serde(flatten)]`
//! for `extra`: derive refuses a field sent twice (the vendors' answers may
//! repeat one, and the last one counts; tested below), and flatten buffers
//! every field first: reading a session page into the same struct cost
//! 0.87–1.03× the plain `Value` parse with flatten, 0.77–0.81× with this
//! visitor (docs/benchmarks.md, "Decoding on serde").

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use kefu_core::time::{Moment, parse_moment};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, de::value::MapAccessDeserializer, de::value::SeqAccessDeserializer};
use serde_json::{Map, Number, Value};

#[doc(hidden)]
pub use serde as __serde;

/// A mapped field as read.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Lenient<T> {
    /// Missing, `null`, or blank text.
    #[default]
    Absent,
    /// Converted.
    Got(T),
    /// Sent, but not convertible: the value as sent, which belongs in the
    /// record's `extra` under its wire name (or is dropped, as the vendor's
    /// decoder decides).
    Kept(Value),
}

impl<T> Lenient<T> {
    /// The converted value; one that did not convert is dropped.
    pub fn ok(self) -> Option<T> {
        match self {
            Self::Got(v) => Some(v),
            Self::Absent | Self::Kept(_) => None,
        }
    }

    /// The converted value; one that did not convert goes into `extra`
    /// under `key`.
    pub fn or_keep(self, key: &str, extra: &mut Map<String, Value>) -> Option<T> {
        match self {
            Self::Got(v) => Some(v),
            Self::Kept(raw) => {
                extra.insert(key.to_owned(), raw);
                None
            }
            Self::Absent => None,
        }
    }
}

/// What a record keeps of the fields its wire struct does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rest {
    /// Each in `extra`, except `null`s (a field sent twice: the last one).
    KeepNonNull,
    /// Each in `extra`, `null`s included (a field sent twice: the last one).
    KeepAll,
    /// None: read and dropped (an envelope's other fields).
    Skip,
}

/// A wire struct that [`wire_record!`](crate::wire_record) declared: read
/// from a JSON object's fields.
pub trait WireRecord: Sized {
    /// Reads the fields of one object.
    fn from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

/// A field name, borrowed from the answer when it holds no escape.
#[doc(hidden)]
#[derive(Debug)]
pub struct Key<'de>(pub Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Reads the value of a field the wire struct does not name, as `rest`
/// says; `never` names fields that are dropped whatever the policy (a
/// credential the answer should not carry).
#[doc(hidden)]
pub fn rest<'de, A: MapAccess<'de>>(
    map: &mut A,
    rest: Rest,
    never: &[&str],
    key: Key<'de>,
    extra: &mut Map<String, Value>,
) -> Result<(), A::Error> {
    if rest == Rest::Skip || never.contains(&key.0.as_ref()) {
        map.next_value::<IgnoredAny>()?;
        return Ok(());
    }
    let value: Value = map.next_value()?;
    if value.is_null() && rest == Rest::KeepNonNull {
        extra.remove(key.0.as_ref());
    } else {
        extra.insert(key.0.into_owned(), value);
    }
    Ok(())
}

/// Declares a wire struct: each named field read with its `deserialize_with`
/// helper, a field sent twice counting once (the last one), every other
/// field kept in `extra` as [`Rest`] says. Implements [`WireRecord`] and
/// `Deserialize` (a JSON object; anything else is an error).
///
/// ```
/// use kefu_http::lenient::de::{self, Lenient, Rest};
/// kefu_http::wire_record! {
///     /// A tag.
///     pub struct TagWire {
///         "id" => id: Lenient<String> = de::string,
///         "count" => count: Lenient<u32> = de::int,
///     }
///     rest: Rest::KeepNonNull, never: ["password"];
/// }
/// let tag: TagWire = serde_json::from_str(r#"{"id":7,"count":"x","password":"p","c":1}"#).unwrap();
/// assert_eq!(tag.id, Lenient::Got("7".to_owned()));
/// assert_eq!(tag.count, Lenient::Kept(serde_json::json!("x")));
/// assert_eq!(tag.extra, serde_json::json!({"c": 1}).as_object().cloned().unwrap());
/// ```
#[macro_export]
macro_rules! wire_record {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$fmeta:meta])* $wire:literal => $field:ident : $ty:ty = $with:path ),* $(,)?
        }
        rest: $rest:expr $(, never: [$($never:literal),* $(,)?])? ;
    ) => {
        $(#[$meta])*
        #[derive(Debug, Default)]
        $vis struct $name {
            $(
                $(#[$fmeta])*
                #[doc = concat!("`", $wire, "`.")]
                pub $field: $ty,
            )*
            /// The fields not named above, as the struct's rest policy keeps them.
            pub extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
        }

        impl $crate::lenient::de::WireRecord for $name {
            fn from_map<'de, A: $crate::lenient::de::__serde::de::MapAccess<'de>>(
                mut map: A,
            ) -> ::std::result::Result<Self, A::Error> {
                let mut record = Self::default();
                while let ::std::option::Option::Some(key) =
                    map.next_key::<$crate::lenient::de::Key<'de>>()?
                {
                    match key.0.as_ref() {
                        $(
                            $wire => {
                                struct With($ty);
                                impl<'de> $crate::lenient::de::__serde::Deserialize<'de> for With {
                                    fn deserialize<D>(d: D) -> ::std::result::Result<Self, D::Error>
                                    where
                                        D: $crate::lenient::de::__serde::Deserializer<'de>,
                                    {
                                        $with(d).map(With)
                                    }
                                }
                                // A field sent twice: the last one counts.
                                record.$field = map.next_value::<With>()?.0;
                            }
                        )*
                        _ => $crate::lenient::de::rest(
                            &mut map,
                            $rest,
                            &[$($($never),*)?],
                            key,
                            &mut record.extra,
                        )?,
                    }
                }
                ::std::result::Result::Ok(record)
            }
        }

        impl<'de> $crate::lenient::de::__serde::Deserialize<'de> for $name {
            fn deserialize<D>(d: D) -> ::std::result::Result<Self, D::Error>
            where
                D: $crate::lenient::de::__serde::Deserializer<'de>,
            {
                $crate::lenient::de::record(d)
            }
        }
    };
}

/// Reads one JSON object as `T`; anything else is an error.
#[doc(hidden)]
pub fn record<'de, T: WireRecord, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    struct V<T>(PhantomData<T>);
    impl<'de, T: WireRecord> Visitor<'de> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::from_map(map)
        }
    }
    d.deserialize_map(V(PhantomData))
}

/// Reads any value: `Some` record for an object, `None` for anything else
/// (which is read and dropped).
struct ObjectOrNot<T>(PhantomData<T>);

impl<'de, T: WireRecord> Visitor<'de> for ObjectOrNot<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
        T::from_map(map).map(Some)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<T>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
}

impl<'de, T: WireRecord> DeserializeSeed<'de> for ObjectOrNot<T> {
    type Value = Option<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        d.deserialize_any(self)
    }
}

/// An object field: the record when it is an object, `None` for anything
/// else (absent, `null`, text, a list), as [`super::object`].
pub fn object<'de, T: WireRecord, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
    d.deserialize_any(ObjectOrNot(PhantomData))
}

/// The records of a list field, as [`super::array`] reads a list: `null` or
/// absent is empty, a lone value is a list of one.
#[derive(Debug)]
pub struct Records<T> {
    /// The elements that are objects, in the order sent.
    pub items: Vec<T>,
    /// The position of the first element that is not an object: a record
    /// that cannot be read, which a decoder reports rather than skips.
    pub stray: Option<usize>,
}

impl<T> Default for Records<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            stray: None,
        }
    }
}

impl<T> Records<T> {
    fn lone(item: Option<T>) -> Self {
        match item {
            Some(item) => Self {
                items: vec![item],
                stray: None,
            },
            None => Self {
                items: Vec::new(),
                stray: Some(0),
            },
        }
    }
}

/// A list field of records: see [`Records`].
pub fn records<'de, T: WireRecord, D: Deserializer<'de>>(d: D) -> Result<Records<T>, D::Error> {
    struct V<T>(PhantomData<T>);
    impl<'de, T: WireRecord> Visitor<'de> for V<T> {
        type Value = Records<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Records<T>, A::Error> {
            let mut out = Records {
                items: Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024)),
                stray: None,
            };
            let mut at = 0;
            while let Some(item) = seq.next_element_seed(ObjectOrNot::<T>(PhantomData))? {
                match item {
                    Some(record) => out.items.push(record),
                    None => {
                        out.stray.get_or_insert(at);
                    }
                }
                at += 1;
            }
            Ok(out)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Records<T>, A::Error> {
            T::from_map(map).map(|r| Records::lone(Some(r)))
        }
        fn visit_bool<E>(self, _: bool) -> Result<Records<T>, E> {
            Ok(Records::lone(None))
        }
        fn visit_i64<E>(self, _: i64) -> Result<Records<T>, E> {
            Ok(Records::lone(None))
        }
        fn visit_u64<E>(self, _: u64) -> Result<Records<T>, E> {
            Ok(Records::lone(None))
        }
        fn visit_f64<E>(self, _: f64) -> Result<Records<T>, E> {
            Ok(Records::lone(None))
        }
        fn visit_str<E>(self, _: &str) -> Result<Records<T>, E> {
            Ok(Records::lone(None))
        }
        fn visit_unit<E>(self) -> Result<Records<T>, E> {
            Ok(Records::default())
        }
        fn visit_none<E>(self) -> Result<Records<T>, E> {
            Ok(Records::default())
        }
    }
    d.deserialize_any(V(PhantomData))
}

/// Any value but `null`, as sent (converted later, where more than the
/// value is needed: a zone, a sibling field).
pub fn raw<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(|v| (!v.is_null()).then_some(v))
}

/// A scalar as serde hands it over.
enum Scalar<'a> {
    Str(&'a str),
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
}

impl Scalar<'_> {
    /// The value as [`Value`] would hold it.
    fn into_value(self) -> Value {
        match self {
            Self::Str(s) => Value::String(s.to_owned()),
            Self::I64(n) => Value::from(n),
            Self::U64(n) => Value::from(n),
            Self::F64(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
            Self::Bool(b) => Value::Bool(b),
        }
    }
}

/// One lenient conversion: of a scalar, and of a list or object (which
/// most refuse).
trait Convert: Sized {
    type Out;
    /// `None`: does not convert (blank text never reaches here).
    fn scalar(&self, v: &Scalar<'_>) -> Option<Self::Out>;
    /// A list or object, already read as a [`Value`].
    fn compound(&self, v: Value) -> Lenient<Self::Out> {
        Lenient::Kept(v)
    }
}

struct LenientVisitor<C>(C);

impl<C: Convert> LenientVisitor<C> {
    fn of(&self, v: Scalar<'_>) -> Lenient<C::Out> {
        match self.0.scalar(&v) {
            Some(out) => Lenient::Got(out),
            None => Lenient::Kept(v.into_value()),
        }
    }
}

impl<'de, C: Convert> Visitor<'de> for LenientVisitor<C> {
    type Value = Lenient<C::Out>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        if v.trim().is_empty() {
            return Ok(Lenient::Absent);
        }
        Ok(self.of(Scalar::Str(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(self.of(Scalar::I64(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(self.of(Scalar::U64(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(self.of(Scalar::F64(v)))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(self.of(Scalar::Bool(v)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Lenient::Absent)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Lenient::Absent)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Value::deserialize(SeqAccessDeserializer::new(seq)).map(|v| self.0.compound(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Value::deserialize(MapAccessDeserializer::new(map)).map(|v| self.0.compound(v))
    }
}

fn lenient<'de, C: Convert, D: Deserializer<'de>>(
    d: D,
    convert: C,
) -> Result<Lenient<C::Out>, D::Error> {
    d.deserialize_any(LenientVisitor(convert))
}

/// The text [`super::string`] makes of a scalar.
fn text(v: &Scalar<'_>) -> String {
    match v {
        Scalar::Str(s) => (*s).to_owned(),
        Scalar::I64(n) => n.to_string(),
        Scalar::U64(n) => n.to_string(),
        Scalar::F64(f) => Number::from_f64(*f).map_or_else(String::new, |n| n.to_string()),
        Scalar::Bool(b) => b.to_string(),
    }
}

struct Text;

impl Convert for Text {
    type Out = String;
    fn scalar(&self, v: &Scalar<'_>) -> Option<String> {
        Some(text(v))
    }
}

/// Text as [`super::string`] reads it: numbers and booleans rendered; a list
/// or object is kept.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Lenient<String>, D::Error> {
    lenient(d, Text)
}

/// The signed integer [`super::i64()`] reads from a scalar.
fn integer(v: &Scalar<'_>) -> Option<i64> {
    let integral = |f: f64| (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64);
    match *v {
        Scalar::I64(n) => Some(n),
        Scalar::U64(n) => i64::try_from(n).ok().or_else(|| integral(n as f64)),
        Scalar::F64(f) => integral(f),
        Scalar::Str(s) => s.trim().parse().ok(),
        Scalar::Bool(_) => None,
    }
}

struct Int<T>(PhantomData<T>);

impl<T: TryFrom<i64>> Convert for Int<T> {
    type Out = T;
    fn scalar(&self, v: &Scalar<'_>) -> Option<T> {
        integer(v).and_then(|n| T::try_from(n).ok())
    }
}

/// An integer as [`super::i64()`] reads it (`10`, `"10"`, `10.0`), within
/// `T`'s range (so [`super::u64()`] and [`super::u32()`] for those types).
pub fn int<'de, T: TryFrom<i64>, D: Deserializer<'de>>(d: D) -> Result<Lenient<T>, D::Error> {
    lenient(d, Int::<T>(PhantomData))
}

struct Flag;

impl Convert for Flag {
    type Out = bool;
    fn scalar(&self, v: &Scalar<'_>) -> Option<bool> {
        match *v {
            Scalar::Bool(b) => Some(b),
            Scalar::I64(n) => Some(n != 0),
            Scalar::U64(n) => i64::try_from(n).ok().map(|n| n != 0),
            Scalar::F64(_) => None,
            Scalar::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Some(true),
                "false" | "0" | "no" => Some(false),
                _ => None,
            },
        }
    }
}

/// A boolean as [`super::bool()`] reads it.
pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<Lenient<bool>, D::Error> {
    lenient(d, Flag)
}

struct List;

impl Convert for List {
    type Out = Vec<String>;
    fn scalar(&self, v: &Scalar<'_>) -> Option<Vec<String>> {
        let list: Vec<String> = match v {
            Scalar::Str(s) => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            other => vec![text(other)],
        };
        (!list.is_empty()).then_some(list)
    }
    fn compound(&self, v: Value) -> Lenient<Vec<String>> {
        let list: Vec<String> = match &v {
            Value::Array(items) => items.iter().filter_map(super::text).collect(),
            _ => Vec::new(),
        };
        if list.is_empty() {
            Lenient::Kept(v)
        } else {
            Lenient::Got(list)
        }
    }
}

/// Strings as [`super::strings`] reads them (a list, or text split at
/// commas); none at all is kept as sent.
pub fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Lenient<Vec<String>>, D::Error> {
    lenient(d, List)
}

struct Time;

impl Convert for Time {
    type Out = Moment;
    fn scalar(&self, v: &Scalar<'_>) -> Option<Moment> {
        match v {
            Scalar::Str(s) => parse_moment(s),
            other => parse_moment(&text(other)),
        }
    }
}

/// A time as [`kefu_core::time::parse_any`] reads it (numbers as their
/// text), zone not yet applied: read from the answer's text in place.
pub fn time<'de, D: Deserializer<'de>>(d: D) -> Result<Lenient<Moment>, D::Error> {
    lenient(d, Time)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    crate::wire_record! {
        struct Probe {
            "id" => id: Lenient<String> = string,
            "n" => n: Lenient<u32> = int,
            "on" => on: Lenient<bool> = bool,
            "tags" => tags: Lenient<Vec<String>> = strings,
            "at" => at: Lenient<Moment> = time,
            "raw" => raw: Option<Value> = raw,
        }
        rest: Rest::KeepNonNull, never: ["password"];
    }

    fn probe(text: &str) -> Probe {
        serde_json::from_str(text).unwrap()
    }

    /// The premise of `wire_record!`: serde's derive refuses a field sent
    /// twice, with or without `flatten`.
    #[test]
    fn derive_refuses_a_field_sent_twice_and_wire_record_takes_the_last() {
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Derived {
            id: Option<String>,
            #[serde(flatten)]
            extra: Map<String, Value>,
        }
        let twice = r#"{"id":"a","id":"b","x":1,"x":2}"#;
        assert!(serde_json::from_str::<Derived>(twice).is_err());
        let p = probe(twice);
        assert_eq!(p.id, Lenient::Got("b".to_owned()));
        assert_eq!(Value::Object(p.extra), json!({"x": 2}));
    }

    #[test]
    fn each_helper_keeps_what_does_not_convert_and_drops_blanks() {
        let p = probe(r#"{"id":[1],"n":"x","on":"maybe","tags":[],"at":"never","raw":null}"#);
        assert_eq!(p.id, Lenient::Kept(json!([1])));
        assert_eq!(p.n, Lenient::Kept(json!("x")));
        assert_eq!(p.on, Lenient::Kept(json!("maybe")));
        assert_eq!(p.tags, Lenient::Kept(json!([])));
        assert_eq!(p.at, Lenient::Kept(json!("never")));
        assert_eq!(p.raw, None);
        let p = probe(r#"{"id":" ","n":"","on":null,"tags":"","at":" "}"#);
        assert!(matches!(
            (p.id, p.n, p.on, p.tags, p.at),
            (
                Lenient::Absent,
                Lenient::Absent,
                Lenient::Absent,
                Lenient::Absent,
                Lenient::Absent
            )
        ));
        let p = probe(r#"{"id":1.5,"n":"7","on":1,"tags":"a, b,","at":1524121300000}"#);
        assert_eq!(p.id, Lenient::Got("1.5".to_owned()));
        assert_eq!(p.n, Lenient::Got(7));
        assert_eq!(p.on, Lenient::Got(true));
        assert_eq!(p.tags, Lenient::Got(vec!["a".to_owned(), "b".to_owned()]));
        assert!(matches!(p.at, Lenient::Got(Moment::At(_))));
        // Out of range for the type: kept as sent.
        assert_eq!(probe(r#"{"n":-1}"#).n, Lenient::Kept(json!(-1)));
        assert_eq!(
            probe(r#"{"n":18446744073709551615}"#).n,
            Lenient::Kept(json!(18446744073709551615u64))
        );
    }

    #[test]
    fn rest_policies_and_never() {
        let p = probe(r#"{"password":"p","a":null,"b":null,"b":1,"c":1,"c":null}"#);
        assert_eq!(Value::Object(p.extra), json!({"b": 1}));
        let mut extra = Map::new();
        assert_eq!(
            Lenient::<u8>::Kept(json!("x")).or_keep("k", &mut extra),
            None
        );
        assert_eq!(Lenient::Got(1).or_keep("k2", &mut extra), Some(1));
        assert_eq!(Value::Object(extra), json!({"k": "x"}));
        assert_eq!(Lenient::<u8>::Kept(json!("x")).ok(), None);
    }

    #[test]
    fn lists_and_objects_of_any_shape() {
        crate::wire_record! {
            struct Outer {
                "list" => list: Records<Probe> = records,
                "one" => one: Option<Probe> = object,
            }
            rest: Rest::Skip;
        }
        let o: Outer = serde_json::from_str(
            r#"{"list":[{"id":1},2,{"id":3},"x"],"one":[1],"z":{"deep":[1]}}"#,
        )
        .unwrap();
        assert_eq!((o.list.items.len(), o.list.stray), (2, Some(1)));
        assert!(o.one.is_none() && o.extra.is_empty());
        let o: Outer = serde_json::from_str(r#"{"list":{"id":1},"one":{"id":2}}"#).unwrap();
        assert_eq!((o.list.items.len(), o.list.stray), (1, None));
        assert!(o.one.is_some());
        let o: Outer = serde_json::from_str(r#"{"list":null}"#).unwrap();
        assert_eq!((o.list.items.len(), o.list.stray), (0, None));
        let o: Outer = serde_json::from_str(r#"{"list":true}"#).unwrap();
        assert_eq!((o.list.items.len(), o.list.stray), (0, Some(0)));
        // A record is an object: anything else is an error.
        assert!(serde_json::from_str::<Probe>("[1]").is_err());
    }
}
