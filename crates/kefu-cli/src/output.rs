//! Writing records to stdout (or a file) as a table, JSON, JSONL or CSV.
//!
//! JSON, JSONL and CSV are written as records arrive, so a list of any
//! length streams in flat memory; a table needs column widths and buffers
//! its rows. Nothing is written before the first record or the end of the
//! list (JSON's `[`, CSV's header): a list that fails before its first
//! record leaves stdout empty, not half a document. Every format carries every field: CSV writes nested values as
//! JSON text, and the table shows a chosen set of columns for a terminal.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::Value;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::cli::Format;

/// A record the CLI prints.
pub trait Record: Serialize {
    /// Every field of the serialized record, in order (`extra` last).
    const FIELDS: &'static [&'static str];
    /// The table's columns: a header and a JSON pointer into the record.
    const COLUMNS: &'static [(&'static str, &'static str)];
}

/// Widest a table cell gets before it is cut with `…`.
const MAX_CELL: usize = 48;

/// Writes a stream of records of one type.
pub struct RecordWriter<W: Write> {
    inner: Inner<W>,
    written: u64,
}

impl<W: Write> std::fmt::Debug for RecordWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordWriter")
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

enum Inner<W: Write> {
    Table {
        out: W,
        columns: &'static [(&'static str, &'static str)],
        rows: Vec<Vec<String>>,
    },
    Json {
        out: W,
        first: bool,
    },
    Jsonl {
        out: W,
    },
    Csv {
        // Boxed: the csv writer's buffer state dwarfs the other variants.
        out: Box<csv::Writer<W>>,
        fields: &'static [&'static str],
        header: bool,
    },
}

impl<W: Write> RecordWriter<W> {
    /// Starts a list of `R` in `format`.
    pub fn new<R: Record>(format: Format, out: W) -> io::Result<Self> {
        let inner = match format {
            Format::Table => Inner::Table {
                out,
                columns: R::COLUMNS,
                rows: Vec::new(),
            },
            Format::Json => Inner::Json { out, first: true },
            Format::Jsonl => Inner::Jsonl { out },
            Format::Csv => Inner::Csv {
                out: Box::new(csv::Writer::from_writer(out)),
                fields: R::FIELDS,
                header: false,
            },
        };
        Ok(Self { inner, written: 0 })
    }

    /// Writes one record.
    pub fn write<R: Record>(&mut self, record: &R) -> io::Result<()> {
        match &mut self.inner {
            Inner::Table { columns, rows, .. } => {
                let value = serde_json::to_value(record).map_err(io::Error::from)?;
                rows.push(
                    columns
                        .iter()
                        .map(|(_, ptr)| cell(value.pointer(ptr)))
                        .collect(),
                );
            }
            // Serialized straight from the record: fields in their declared order.
            Inner::Json { out, first } => {
                out.write_all(if *first { b"[\n" } else { b",\n" })?;
                serde_json::to_writer(&mut *out, record).map_err(io::Error::from)?;
                *first = false;
            }
            Inner::Jsonl { out } => {
                serde_json::to_writer(&mut *out, record).map_err(io::Error::from)?;
                out.write_all(b"\n")?;
            }
            Inner::Csv {
                out,
                fields,
                header,
            } => {
                let value = serde_json::to_value(record).map_err(io::Error::from)?;
                if !*header {
                    out.write_record(*fields).map_err(csv_io)?;
                    *header = true;
                }
                let row: Vec<String> = fields.iter().map(|f| csv_cell(value.get(*f))).collect();
                out.write_record(&row).map_err(csv_io)?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Records written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Closes the list (the JSON array, the table) and flushes; returns the writer.
    pub fn finish(self) -> io::Result<W> {
        match self.inner {
            Inner::Table {
                mut out,
                columns,
                rows,
            } => {
                let headers: Vec<String> = columns.iter().map(|(h, _)| (*h).to_owned()).collect();
                write_table(&mut out, &headers, &rows)?;
                out.flush()?;
                Ok(out)
            }
            Inner::Json { mut out, first } => {
                out.write_all(if first { b"[]\n" } else { b"\n]\n" })?;
                out.flush()?;
                Ok(out)
            }
            Inner::Jsonl { mut out } => {
                out.flush()?;
                Ok(out)
            }
            Inner::Csv {
                mut out,
                fields,
                header,
            } => {
                if !header {
                    out.write_record(fields).map_err(csv_io)?;
                }
                let mut out = (*out).into_inner().map_err(|e| e.into_error())?;
                out.flush()?;
                Ok(out)
            }
        }
    }
}

/// Writes one record on its own: an object (not an array) for JSON.
pub fn write_one<R: Record, W: Write>(format: Format, record: &R, mut out: W) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, record).map_err(io::Error::from)?;
            out.write_all(b"\n")?;
            out.flush()
        }
        other => {
            let mut w = RecordWriter::new::<R>(other, out)?;
            w.write(record)?;
            w.finish().map(drop)
        }
    }
}

fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// A CSV cell: text as is, nested values as JSON text, null empty.
fn csv_cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) if o.is_empty() => String::new(),
        Some(v) => v.to_string(),
    }
}

/// A table cell: lists of words joined by commas, nested values as JSON.
fn cell(value: Option<&Value>) -> String {
    match value {
        Some(Value::Array(items)) if items.iter().all(|v| !v.is_object() && !v.is_array()) => items
            .iter()
            .map(|v| csv_cell(Some(v)))
            .collect::<Vec<_>>()
            .join(","),
        Some(Value::Bool(true)) => "yes".to_owned(),
        Some(Value::Bool(false)) => "no".to_owned(),
        other => csv_cell(other),
    }
}

/// Aligned columns, two spaces apart, widths by display width (a Chinese
/// character takes two columns); cells past [`MAX_CELL`] are cut, except in
/// the last column.
fn write_table<W: Write>(out: &mut W, headers: &[String], rows: &[Vec<String>]) -> io::Result<()> {
    // The last column is never cut: nothing after it can be pushed out of line.
    let last = headers.len().saturating_sub(1);
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(i, c)| fit(c, if i == last { usize::MAX } else { MAX_CELL }))
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.width());
        }
    }
    let mut line = |cells: &[String]| -> io::Result<()> {
        let mut text = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            text.push_str(c);
            if i + 1 < cells.len() {
                text.push_str(&" ".repeat(w.saturating_sub(c.width()) + 2));
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(headers)?;
    for row in &rows {
        line(row)?;
    }
    Ok(())
}

/// `text` on one line, at most `max` display columns (ending in `…` when cut).
fn fit(text: &str, max: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.width() <= max {
        return flat;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in flat.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > max.saturating_sub(1) {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;

    #[derive(Serialize)]
    struct Row {
        id: String,
        name: Option<String>,
        tags: Vec<String>,
        nested: Option<Nested>,
        ok: bool,
    }

    #[derive(Serialize)]
    struct Nested {
        a: u32,
    }

    impl Record for Row {
        const FIELDS: &'static [&'static str] = &["id", "name", "tags", "nested", "ok"];
        const COLUMNS: &'static [(&'static str, &'static str)] = &[
            ("ID", "/id"),
            ("NAME", "/name"),
            ("TAGS", "/tags"),
            ("A", "/nested/a"),
            ("OK", "/ok"),
        ];
    }

    fn rows() -> Vec<Row> {
        vec![
            Row {
                id: "1".into(),
                name: Some("王小明".into()),
                tags: vec!["vip".into(), "new".into()],
                nested: Some(Nested { a: 7 }),
                ok: true,
            },
            Row {
                id: "22".into(),
                name: None,
                tags: vec![],
                nested: None,
                ok: false,
            },
        ]
    }

    fn render(format: Format) -> String {
        let mut w = RecordWriter::new::<Row>(format, Vec::new()).expect("start");
        for r in rows() {
            w.write(&r).expect("write");
        }
        String::from_utf8(w.finish().expect("finish")).expect("utf8")
    }

    #[test]
    fn nothing_is_written_before_the_first_record() {
        for format in [Format::Json, Format::Jsonl, Format::Csv, Format::Table] {
            let mut out = Vec::new();
            let w = RecordWriter::new::<Row>(format, &mut out).expect("start");
            // The list fails here: the writer is dropped unfinished.
            drop(w);
            assert!(
                out.is_empty(),
                "{format:?}: {:?}",
                String::from_utf8_lossy(&out)
            );
        }
        // Finished without records: still a whole document.
        let empty = |format| {
            let w = RecordWriter::new::<Row>(format, Vec::new()).expect("start");
            String::from_utf8(w.finish().expect("finish")).expect("utf8")
        };
        assert_eq!(empty(Format::Json), "[]\n");
        assert_eq!(empty(Format::Csv), "id,name,tags,nested,ok\n");
        assert_eq!(empty(Format::Jsonl), "");
    }

    #[test]
    fn tables_align_by_display_width() {
        let text = render(Format::Table);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "ID  NAME    TAGS     A  OK");
        assert_eq!(lines[1], "1   王小明  vip,new  7  yes");
        assert_eq!(lines[2], format!("22{}no", " ".repeat(22)));
    }

    #[test]
    fn json_is_one_array_and_jsonl_one_object_a_line() {
        let v: Value = serde_json::from_str(&render(Format::Json)).expect("json");
        assert_eq!(v.as_array().map(Vec::len), Some(2));
        assert_eq!(v[0]["id"], "1");
        let jsonl = render(Format::Jsonl);
        assert!(
            jsonl.starts_with(r#"{"id":"1","name":"#),
            "fields in declared order: {jsonl}"
        );
        let lines: Vec<Value> = jsonl
            .lines()
            .map(|l| serde_json::from_str(l).expect("line"))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["ok"], false);
    }

    #[test]
    fn an_empty_json_list_is_an_empty_array() {
        let w = RecordWriter::new::<Row>(Format::Json, Vec::new()).expect("start");
        let v: Value = serde_json::from_slice(&w.finish().expect("finish")).expect("json");
        assert_eq!(v, serde_json::json!([]));
    }

    #[test]
    fn csv_has_every_field_with_nested_values_as_json_text() {
        let text = render(Format::Csv);
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .expect("headers")
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(headers, ["id", "name", "tags", "nested", "ok"]);
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
        assert_eq!(&rows[0][2], r#"["vip","new"]"#);
        assert_eq!(&rows[0][3], r#"{"a":7}"#);
        assert_eq!(&rows[1][1], "");
    }

    #[test]
    fn long_cells_are_cut_at_display_width() {
        let cut = fit(&"中".repeat(40), 10);
        assert!(cut.width() <= 10 && cut.ends_with('…'), "{cut}");
        assert_eq!(fit("a\nb", 10), "a b");
    }

    #[test]
    fn only_the_last_column_is_never_cut() {
        let mut out = Vec::new();
        let headers = ["A".to_owned(), "B".to_owned()];
        write_table(&mut out, &headers, &[vec!["x".repeat(60), "y".repeat(60)]]).expect("table");
        let text = String::from_utf8(out).expect("utf8");
        let row = text.lines().nth(1).expect("row");
        assert!(
            row.contains(&"y".repeat(60)) && !row.contains(&"x".repeat(60)),
            "{row}"
        );
    }

    #[test]
    fn a_single_json_record_is_an_object() {
        let mut out = Vec::new();
        write_one(Format::Json, &rows()[0], &mut out).expect("write");
        let v: Value = serde_json::from_slice(&out).expect("json");
        assert!(v.is_object());
    }
}
