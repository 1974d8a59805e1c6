//! A record's JSON as PostgreSQL's `jsonb` takes it: the same value, given
//! in the form that costs the server least to parse.
//!
//! `jsonb` keeps each object's keys sorted (shorter keys first, keys of one
//! length by their bytes: `lengthCompareJsonbStringValue`), so it sorts the
//! members of every object it parses. Its sort first checks whether they
//! are sorted already and returns at once if so; otherwise it swaps
//! 80-byte pairs. In a profile of a 100,000-session sync into PostgreSQL
//! that sort was about 15% of the server's CPU, and the server's one
//! backend is what a sync into PostgreSQL waits for (docs/sync.md,
//! Performance, issue 12v). Keys the way `jsonb` keeps them make the sort a
//! single pass, and what is stored is the same `jsonb`, byte for byte.

use std::borrow::Cow;

/// Objects nested deeper than this are left as they are (the server sorts
/// them itself); serde_json reads no deeper than 128 anyway.
const MAX_DEPTH: usize = 256;

/// A record's JSON as `jsonb` takes it: the escape of NUL (`\u0000`),
/// which `jsonb` refuses, becomes that of U+FFFD. Anything else, a
/// backslash followed by the letters `u0000` included, is kept.
pub(crate) fn for_jsonb(json: &str) -> Cow<'_, str> {
    const NUL: &str = "\\u0000";
    if !json.contains(NUL) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len());
    let mut rest = json;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let escape = &rest[i..];
        if let Some(after) = escape.strip_prefix(NUL) {
            out.push_str("\\ufffd");
            rest = after;
        } else {
            // An escape is a backslash and one character (`\\` included),
            // or `\uXXXX`, whose digits hold no backslash.
            let len = escape[1..].chars().next().map_or(1, |c| 1 + c.len_utf8());
            out.push_str(&escape[..len]);
            rest = &escape[len..];
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Rewrites records with each object's members in the order `jsonb` keeps
/// them. One is kept for a batch: its buffers, one per level of nesting,
/// are reused from record to record.
#[derive(Debug, Default)]
pub(crate) struct KeyOrder {
    levels: Vec<Level>,
    /// Whether the last record read had a backslash in a string: only then
    /// can it hold the escape of NUL.
    escaped: bool,
}

/// The object being read at one level of nesting.
#[derive(Debug, Default)]
struct Level {
    /// Its members' values as written out (their own objects in order).
    values: String,
    members: Vec<Member>,
    /// Whether a key has an escape in it: such a key is not the bytes it
    /// is written with, and its object keeps its order (the server sorts
    /// it).
    escaped_key: bool,
}

/// A member: its key as it stands in the input (quotes included), and its
/// value in [`Level::values`].
#[derive(Debug, Clone, Copy)]
struct Member {
    key: (usize, usize),
    value: (usize, usize),
    /// The key's length (up to 255) in the top byte, its first 7 bytes
    /// below: `jsonb`'s order of most keys, as one number.
    rank: u64,
}

impl Member {
    fn new(src: &[u8], key: (usize, usize), value: (usize, usize)) -> Self {
        let text = &src[key.0 + 1..key.1 - 1];
        let mut rank = (text.len().min(255) as u64) << 56;
        for (i, b) in text.iter().take(7).enumerate() {
            rank |= u64::from(*b) << (48 - 8 * i);
        }
        Self { key, value, rank }
    }
}

impl KeyOrder {
    /// `record` ready for `jsonb`: every object's members in `jsonb`'s
    /// order, and [`for_jsonb`]. Text that is not compact JSON, as
    /// serde_json writes it, keeps its order: the server sorts it itself.
    pub(crate) fn prepare(&mut self, record: String) -> String {
        let (text, escaped) = match self.ordered(&record) {
            Some(ordered) => (ordered, self.escaped),
            None => (record, true),
        };
        if !escaped {
            return text;
        }
        match for_jsonb(&text) {
            Cow::Borrowed(_) => text,
            Cow::Owned(replaced) => replaced,
        }
    }

    /// `json` with every object's members in `jsonb`'s order; `None` when
    /// it is not compact JSON.
    pub(crate) fn ordered(&mut self, json: &str) -> Option<String> {
        let mut input = Input {
            json,
            pos: 0,
            escaped: false,
        };
        let mut out = String::with_capacity(json.len());
        let read = self.value(&mut input, 0, &mut out);
        self.escaped = input.escaped;
        read?;
        (input.pos == json.len()).then_some(out)
    }

    fn value(&mut self, input: &mut Input<'_>, depth: usize, out: &mut String) -> Option<()> {
        match input.peek()? {
            b'{' => self.object(input, depth, out),
            b'[' => {
                input.pos += 1;
                out.push('[');
                if input.peek()? == b']' {
                    input.pos += 1;
                    out.push(']');
                    return Some(());
                }
                loop {
                    self.value(input, depth + 1, out)?;
                    match input.next()? {
                        b',' => out.push(','),
                        b']' => {
                            out.push(']');
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'"' => {
                let (a, b, _) = input.string()?;
                out.push_str(input.json.get(a..b)?);
                Some(())
            }
            _ => {
                let (a, b) = input.scalar()?;
                out.push_str(input.json.get(a..b)?);
                Some(())
            }
        }
    }

    fn object(&mut self, input: &mut Input<'_>, depth: usize, out: &mut String) -> Option<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        input.pos += 1;
        if input.peek()? == b'}' {
            input.pos += 1;
            out.push_str("{}");
            return Some(());
        }
        if self.levels.len() <= depth {
            self.levels.resize_with(depth + 1, Level::default);
        }
        // Taken out while its members are read: they use the levels below.
        let mut level = std::mem::take(&mut self.levels[depth]);
        level.values.clear();
        level.members.clear();
        level.escaped_key = false;
        let read = self.members(input, depth, &mut level);
        if read.is_some() {
            write_sorted(input.json, &mut level, out)?;
        }
        self.levels[depth] = level;
        read
    }

    fn members(&mut self, input: &mut Input<'_>, depth: usize, level: &mut Level) -> Option<()> {
        loop {
            if input.peek()? != b'"' {
                return None;
            }
            let (a, b, escaped) = input.string()?;
            level.escaped_key |= escaped;
            if input.next()? != b':' {
                return None;
            }
            let start = level.values.len();
            self.value(input, depth + 1, &mut level.values)?;
            let value = (start, level.values.len());
            level
                .members
                .push(Member::new(input.json.as_bytes(), (a, b), value));
            match input.next()? {
                b',' => {}
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }
}

/// Writes `level`'s object with its members in `jsonb`'s order: by the
/// key's length, then its bytes. Members with the same key keep their
/// order (the sort is stable), so the last one still wins, as in `jsonb`.
fn write_sorted(json: &str, level: &mut Level, out: &mut String) -> Option<()> {
    if !level.escaped_key {
        let members = &mut level.members;
        // Most objects are told apart by their ranks alone; where two
        // ranks are equal (keys alike in length and first 7 bytes, or
        // longer than 255 bytes) the whole keys decide.
        members.sort_by_key(|m| m.rank);
        let tie = members
            .windows(2)
            .any(|w| w[0].rank == w[1].rank || w[0].rank >> 56 == 255);
        if tie {
            let src = json.as_bytes();
            let key = |m: &Member| &src[m.key.0 + 1..m.key.1 - 1];
            members.sort_by(|a, b| {
                let (a, b) = (key(a), key(b));
                a.len().cmp(&b.len()).then_with(|| a.cmp(b))
            });
        }
    }
    out.push('{');
    for (i, m) in level.members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(json.get(m.key.0..m.key.1)?);
        out.push(':');
        out.push_str(level.values.get(m.value.0..m.value.1)?);
    }
    out.push('}');
    Some(())
}

/// The first `"` or `\\` in `src` from `i` on. Eight bytes a step (the
/// strings of a record are most of its bytes), without a vectorized
/// search's setup, which costs more than the short strings it would scan.
fn quote_or_backslash(src: &[u8], mut i: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Bytes equal to `b` become zero; a zero byte is found exactly by
    // `(v - ONES) & !v & HIGH` at its lowest occurrence.
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    while let Some(chunk) = src.get(i..i + 8) {
        let word = u64::from_le_bytes(chunk.try_into().ok()?);
        let found = zero(word ^ (ONES * u64::from(b'"'))) | zero(word ^ (ONES * u64::from(b'\\')));
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    src.get(i..)?
        .iter()
        .position(|c| matches!(c, b'"' | b'\\'))
        .map(|k| i + k)
}

/// Compact JSON text being read.
struct Input<'a> {
    json: &'a str,
    pos: usize,
    /// Whether a string so far held a backslash.
    escaped: bool,
}

impl Input<'_> {
    fn peek(&self) -> Option<u8> {
        self.json.as_bytes().get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    /// The string starting here, quotes included, and whether it holds an
    /// escape.
    fn string(&mut self) -> Option<(usize, usize, bool)> {
        let src = self.json.as_bytes();
        let start = self.pos;
        let mut i = start + 1;
        let mut escaped = false;
        loop {
            i = quote_or_backslash(src, i)?;
            match src[i] {
                b'"' => break,
                // An escape is a backslash and one more byte (`\uXXXX`'s
                // digits hold neither quote nor backslash).
                b'\\' => {
                    escaped = true;
                    i += 2;
                }
                _ => i += 1,
            }
        }
        self.escaped |= escaped;
        self.pos = i + 1;
        Some((start, self.pos, escaped))
    }

    /// A number, `true`, `false` or `null`: up to the next delimiter.
    fn scalar(&mut self) -> Option<(usize, usize)> {
        let src = self.json.as_bytes();
        let start = self.pos;
        let mut end = start;
        while let Some(c) = src.get(end) {
            match c {
                b',' | b']' | b'}' => break,
                // Compact JSON only: whitespace or anything else unexpected
                // leaves the record as it is.
                c if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.') => end += 1,
                _ => return None,
            }
        }
        if end == start {
            return None;
        }
        self.pos = end;
        Some((start, end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ordered(json: &str) -> Option<String> {
        KeyOrder::default().ordered(json)
    }

    #[test]
    fn keys_go_shorter_first_then_by_their_bytes_at_every_level() {
        let json = r#"{"bb":1,"a":{"ccc":[{"zz":1,"y":2}],"b":null},"客":"x","ab":[]}"#;
        assert_eq!(
            ordered(json).as_deref(),
            Some(r#"{"a":{"b":null,"ccc":[{"y":2,"zz":1}]},"ab":[],"bb":1,"客":"x"}"#)
        );
        // Bytes, not characters: "客" is three bytes, so after "zz".
        assert_eq!(
            ordered(r#"{"客":1,"zz":2,"é":3}"#).as_deref(),
            Some(r#"{"zz":2,"é":3,"客":1}"#)
        );
    }

    #[test]
    fn what_strings_hold_is_never_taken_for_structure() {
        let json = r#"{"b":"}{\",:[","a":"\\","c":["]","\"{"]}"#;
        assert_eq!(
            ordered(json).as_deref(),
            Some(r#"{"a":"\\","b":"}{\",:[","c":["]","\"{"]}"#)
        );
    }

    #[test]
    fn long_keys_and_keys_alike_in_their_first_bytes_are_ordered_whole() {
        let (k300, k256) = ("k".repeat(300), format!("{}a", "k".repeat(255)));
        let json = format!(r#"{{"{k300}":1,"{k256}":2,"abcdefghz":3,"abcdefgha":4}}"#);
        let want = format!(r#"{{"abcdefgha":4,"abcdefghz":3,"{k256}":2,"{k300}":1}}"#);
        assert_eq!(ordered(&json), Some(want));
    }

    #[test]
    fn the_scan_finds_the_first_quote_or_backslash_wherever_it_is() {
        for len in 0..40 {
            for at in 0..len {
                for c in [b'"', b'\\'] {
                    // Bytes just above and below the two, and high bytes.
                    let mut src: Vec<u8> =
                        (0..len).map(|k| [b'#', b']', 0xe5, 0x80][k % 4]).collect();
                    src[at] = c;
                    if at + 1 < len {
                        src[at + 1] = b'"';
                    }
                    assert_eq!(quote_or_backslash(&src, 0), Some(at), "{len} {at}");
                }
            }
            let plain = vec![b'a'; len];
            assert_eq!(quote_or_backslash(&plain, 0), None);
        }
    }

    #[test]
    fn repeated_keys_keep_their_order_so_the_last_still_wins() {
        assert_eq!(
            ordered(r#"{"b":1,"a":0,"b":2}"#).as_deref(),
            Some(r#"{"a":0,"b":1,"b":2}"#)
        );
    }

    #[test]
    fn an_object_with_an_escaped_key_keeps_its_order_and_its_children_are_sorted() {
        assert_eq!(
            ordered(r#"{"z\"":{"bb":1,"a":2},"a":1}"#).as_deref(),
            Some(r#"{"z\"":{"a":2,"bb":1},"a":1}"#)
        );
    }

    #[test]
    fn text_that_is_not_compact_json_is_left_alone() {
        for bad in [
            r#"{"a": 1}"#,
            r#"{"a":1"#,
            r#"{"a":1}x"#,
            r#"{"a"}"#,
            r#"{"a":"#,
            r#"["a""#,
            r#"{1:2}"#,
            "",
        ] {
            assert_eq!(ordered(bad), None, "{bad}");
        }
        let mut order = KeyOrder::default();
        assert_eq!(
            order.prepare(r#"{"b": 1,"a":2}"#.into()),
            r#"{"b": 1,"a":2}"#
        );
        let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
        assert_eq!(ordered(&deep).as_deref(), Some(deep.as_str()));
        let deep = format!("{}1{}", r#"{"a":"#.repeat(300), "}".repeat(300));
        assert_eq!(ordered(&deep), None);
    }

    #[test]
    fn prepare_replaces_the_escape_of_nul_and_orders_the_keys() {
        let mut order = KeyOrder::default();
        assert_eq!(
            order.prepare(r#"{"bb":"x\u0000","a":[{},{"d":true,"c":-1.5e3}]}"#.into()),
            r#"{"a":[{},{"c":-1.5e3,"d":true}],"bb":"x\ufffd"}"#
        );
        // The same buffers serve the next record.
        assert_eq!(order.prepare(r#"{"b":1,"a":2}"#.into()), r#"{"a":2,"b":1}"#);
    }

    #[test]
    fn only_the_escape_of_nul_is_replaced_for_jsonb() {
        let cases = [
            (r#"{"a":"plain"}"#, r#"{"a":"plain"}"#),
            (r#"{"a":"x\u0000y"}"#, r#"{"a":"x\ufffdy"}"#),
            // An escaped backslash, then the letters: kept.
            (r#"{"a":"\\u0000"}"#, r#"{"a":"\\u0000"}"#),
            // An escaped backslash, then the escape of NUL.
            (r#"{"a":"\\\u0000"}"#, r#"{"a":"\\\ufffd"}"#),
            (
                r#"{"客\"服":"\u0000\u0000","b":"\u00001"}"#,
                r#"{"客\"服":"\ufffd\ufffd","b":"\ufffd1"}"#,
            ),
            (r#"{"a":"\u0001"}"#, r#"{"a":"\u0001"}"#),
        ];
        for (json, want) in cases {
            assert_eq!(for_jsonb(json), want, "{json}");
        }
        assert!(matches!(for_jsonb(r#"{"a":1}"#), Cow::Borrowed(_)));
    }

    /// The oracle: a value written with every object's keys in `jsonb`'s
    /// order, by serde_json for everything else.
    fn in_jsonb_order(v: &serde_json::Value) -> String {
        match v {
            serde_json::Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
                let members: Vec<String> = keys
                    .iter()
                    .map(|k| {
                        let key = serde_json::to_string(k).expect("key");
                        format!("{key}:{}", in_jsonb_order(&map[k.as_str()]))
                    })
                    .collect();
                format!("{{{}}}", members.join(","))
            }
            serde_json::Value::Array(items) => {
                let items: Vec<String> = items.iter().map(in_jsonb_order).collect();
                format!("[{}]", items.join(","))
            }
            other => serde_json::to_string(other).expect("scalar"),
        }
    }

    fn values() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(serde_json::Value::from),
            "[a-z\"\\\\{}\\[\\]:,\u{0}\u{1}客 ]{0,8}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(5, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map("[a-zé客]{0,4}", inner, 0..8)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// Whatever the text, what `jsonb` is given reads back as the same
        /// text with U+FFFD for each NUL.
        #[test]
        fn jsonb_text_is_the_record_with_nul_replaced(s in "[a-z\\\\\"\u{0}\u{1}u0客]{0,24}") {
            let json = serde_json::to_string(&s).expect("json");
            let back: String = serde_json::from_str(&for_jsonb(&json)).expect("still JSON");
            proptest::prop_assert_eq!(back, s.replace('\0', "\u{fffd}"));
        }

        /// Any value serde_json writes comes out as the same value, every
        /// object's keys in `jsonb`'s order.
        #[test]
        fn any_record_comes_out_the_same_value_in_jsonb_order(v in values()) {
            let json = serde_json::to_string(&v).expect("json");
            let out = KeyOrder::default().ordered(&json);
            let want = in_jsonb_order(&v);
            proptest::prop_assert_eq!(out.as_deref(), Some(want.as_str()));
            // Read back as the original text reads (serde_json's own float
            // reading need not give `v`'s last digit back).
            let back: serde_json::Value = serde_json::from_str(&out.expect("ordered")).expect("JSON");
            let original: serde_json::Value = serde_json::from_str(&json).expect("JSON");
            proptest::prop_assert_eq!(back, original);
        }
    }
}
