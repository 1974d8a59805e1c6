//! The roster file: a header row, then one agent a row.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;

use kefu_core::validate;

use crate::RosterError;

/// The columns a roster may have (`email` is required), in the contract's order.
pub const COLUMNS: &[&str] = &[
    "email",
    "nickname",
    "name",
    "role",
    "max_sessions",
    "phone",
    "agent_number",
    "enabled",
];

/// One wrong line of a roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line of the file (the header is line 1).
    pub line: u64,
    /// The column at fault, when one is.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "line {}: `{c}` {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// One agent as the roster wants it. `None`: the file leaves that field as
/// the vendor has it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RosterRow {
    /// The line it came from.
    pub line: u64,
    /// Login email (the key).
    pub email: String,
    /// Display name.
    pub nickname: Option<String>,
    /// Real name.
    pub name: Option<String>,
    /// Role id or well-known name.
    pub role: Option<String>,
    /// Concurrent session limit.
    pub max_sessions: Option<u32>,
    /// Mobile phone.
    pub phone: Option<String>,
    /// Work number.
    pub agent_number: Option<String>,
    /// Whether the agent may log in.
    pub enabled: Option<bool>,
}

/// A parsed, checked roster: every email valid and named once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roster {
    /// The rows, in file order.
    pub rows: Vec<RosterRow>,
}

impl Roster {
    /// Reads a roster. Every problem of the file is reported at once
    /// ([`RosterError::BadRows`]), so an operator fixes the file in one go.
    pub fn parse(input: impl Read) -> Result<Self, RosterError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::All)
            .flexible(false)
            .from_reader(input);
        let mut problems = Vec::new();
        let headers = match reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                return Err(RosterError::BadRows(vec![Problem {
                    line: 1,
                    column: None,
                    message: format!("cannot read the header: {e}"),
                }]));
            }
        };
        let mut index: HashMap<&'static str, usize> = HashMap::new();
        for (i, name) in headers.iter().enumerate() {
            let name = name.trim_start_matches('\u{feff}').to_ascii_lowercase();
            match COLUMNS.iter().find(|c| **c == name) {
                Some(c) if index.contains_key(c) => problems.push(Problem {
                    line: 1,
                    column: Some(name.clone()),
                    message: "appears twice in the header".to_owned(),
                }),
                Some(c) => {
                    index.insert(c, i);
                }
                None => problems.push(Problem {
                    line: 1,
                    column: Some(name.clone()),
                    message: format!("is not a roster column (known: {})", COLUMNS.join(", ")),
                }),
            }
        }
        if !index.contains_key("email") {
            problems.push(Problem {
                line: 1,
                column: Some("email".to_owned()),
                message: "is required in the header".to_owned(),
            });
        }
        if !problems.is_empty() {
            return Err(RosterError::BadRows(problems));
        }

        let mut rows = Vec::new();
        let mut seen: HashMap<String, u64> = HashMap::new();
        for record in reader.records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    problems.push(Problem {
                        line,
                        column: None,
                        message: csv_message(&e),
                    });
                    continue;
                }
            };
            let line = record.position().map_or(0, |p| p.line());
            if record.iter().all(str::is_empty) {
                continue;
            }
            let cell = |c: &str| {
                index
                    .get(c)
                    .and_then(|i| record.get(*i))
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
            };
            let mut bad = |column: &str, message: String| {
                problems.push(Problem {
                    line,
                    column: Some(column.to_owned()),
                    message,
                })
            };
            let email = cell("email").unwrap_or_default();
            if let Err(e) = validate::email("email", &email) {
                bad("email", reason(&e, &email));
            } else if let Some(first) = seen.insert(email.to_ascii_lowercase(), line) {
                bad("email", format!("{email} is already on line {first}"));
            }
            let max_sessions = match cell("max_sessions") {
                None => None,
                Some(v) => match v.parse::<u32>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        bad("max_sessions", format!("must be a whole number, not {v:?}"));
                        None
                    }
                },
            };
            let enabled = match cell("enabled").map(|v| v.to_ascii_lowercase()) {
                None => None,
                Some(v) if v == "yes" => Some(true),
                Some(v) if v == "no" => Some(false),
                Some(v) => {
                    bad("enabled", format!("must be yes or no, not {v:?}"));
                    None
                }
            };
            rows.push(RosterRow {
                line,
                email,
                nickname: cell("nickname"),
                name: cell("name"),
                role: cell("role"),
                max_sessions,
                phone: cell("phone"),
                agent_number: cell("agent_number"),
                enabled,
            });
        }
        if problems.is_empty() {
            Ok(Self { rows })
        } else {
            problems.sort_by_key(|p| p.line);
            Err(RosterError::BadRows(problems))
        }
    }
}

fn reason(e: &kefu_core::Error, value: &str) -> String {
    match e {
        kefu_core::Error::InvalidInput { reason, .. } if value.is_empty() => {
            format!("is required ({reason})")
        }
        kefu_core::Error::InvalidInput { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("has {len} cells, the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "is not UTF-8".to_owned(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match Roster::parse(text.as_bytes()) {
            Err(RosterError::BadRows(p)) => p.iter().map(ToString::to_string).collect(),
            other => panic!("expected bad rows, got {other:?}"),
        }
    }

    #[test]
    fn a_good_file_reads_with_empty_cells_as_unset() {
        let r = Roster::parse(
            "email,nickname,max_sessions,enabled\n\
             a@shop.example,Alice,10,yes\n\
             b@shop.example,,,no\n\
             \n"
            .as_bytes(),
        )
        .expect("roster");
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.rows[0].nickname.as_deref(), Some("Alice"));
        assert_eq!(r.rows[0].max_sessions, Some(10));
        assert_eq!(r.rows[0].enabled, Some(true));
        assert_eq!(r.rows[1].line, 3);
        assert_eq!(r.rows[1].nickname, None);
        assert_eq!(r.rows[1].enabled, Some(false));
    }

    #[test]
    fn every_bad_line_is_named_at_once() {
        let p = problems(
            "email,max_sessions,enabled\n\
             a@shop.example,10,yes\n\
             not-an-email,10,yes\n\
             b@shop.example,ten,maybe\n\
             A@shop.example,1,no\n\
             c@shop.example,1\n",
        );
        assert_eq!(p.len(), 5, "{p:?}");
        assert!(p[0].starts_with("line 3: `email`"), "{p:?}");
        assert!(p[1].starts_with("line 4: `max_sessions`"), "{p:?}");
        assert!(p[2].starts_with("line 4: `enabled`"), "{p:?}");
        assert!(p[3].contains("already on line 2"), "{p:?}");
        assert!(
            p[4].starts_with("line 6:") && p[4].contains("cells"),
            "{p:?}"
        );
    }

    #[test]
    fn unknown_or_missing_columns_are_refused() {
        let p = problems("nickname,password\nAlice,x\n");
        assert!(
            p.iter()
                .any(|l| l.contains("`password` is not a roster column")),
            "{p:?}"
        );
        assert!(p.iter().any(|l| l.contains("`email` is required")), "{p:?}");
        let p = problems("email,email\na@b.example,a@b.example\n");
        assert!(p[0].contains("twice"), "{p:?}");
    }
}
