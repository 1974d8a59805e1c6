//! clap's parse errors in the CLI's own shape: `kefu: <message>` on one
//! line, then one `hint:` line, exit code 2. `--help` and `--version` print
//! as clap prints them, exit 0.

use std::process::ExitCode;

use clap::error::{Error, ErrorKind};

/// Reports a parse error (or prints help/version) and gives the exit code.
pub fn exit(e: Error) -> ExitCode {
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        // `kefu agents` alone: the help is the most useful answer, still a usage error.
        let _ = e.print();
        return ExitCode::from(2);
    }
    for line in lines(&e.render().to_string()) {
        eprintln!("{line}");
    }
    ExitCode::from(2)
}

/// [`exit`] for `-o json`/`jsonl`: help and version as usual, an error as
/// one JSON object on stderr.
pub fn exit_json(e: Error) -> ExitCode {
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        return exit(e);
    }
    let rendered = lines(&e.render().to_string());
    let message = rendered.first().map_or("invalid usage", String::as_str);
    eprintln!("{}", crate::json_error::usage(message).line());
    ExitCode::from(2)
}

/// The message and hint lines from clap's rendering, which spreads one error
/// over several lines (a list of missing flags, a tip, the usage).
fn lines(rendered: &str) -> Vec<String> {
    let mut message = String::new();
    let mut tip = None;
    let mut possible = None;
    let mut usage = None;
    let mut in_message = false;
    for raw in rendered.lines() {
        let line = raw.trim();
        if let Some(rest) = line.strip_prefix("error:") {
            message = rest.trim().to_owned();
            in_message = true;
        } else if line.is_empty() {
            in_message = false;
        } else if let Some(rest) = line.strip_prefix("tip:") {
            tip = Some(rest.trim().to_owned());
            in_message = false;
        } else if let Some(rest) = line.strip_prefix("[possible values:") {
            possible = Some(format!(
                "possible values: {}",
                rest.trim_end_matches(']').trim()
            ));
            in_message = false;
        } else if let Some(rest) = line.strip_prefix("Usage:") {
            usage = Some(format!("usage: {}", rest.trim()));
            in_message = false;
        } else if in_message {
            // Continuation, e.g. each missing required flag on its own line.
            message.push(' ');
            message.push_str(line);
        }
    }
    if message.is_empty() {
        message = rendered
            .lines()
            .next()
            .unwrap_or("invalid usage")
            .trim()
            .to_owned();
    }
    let mut out = vec![format!("kefu: {message}")];
    if let Some(hint) = tip.or(possible).or(usage) {
        out.push(format!("hint: {hint}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::Cli;

    fn render(args: &[&str]) -> Vec<String> {
        let e = Cli::try_parse_from(args).expect_err("a usage error");
        lines(&e.render().to_string())
    }

    #[test]
    fn an_unknown_output_format_lists_the_possible_ones() {
        let lines = render(&["kefu", "-o", "xml", "roles", "list"]);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].starts_with("kefu: invalid value 'xml'"),
            "{lines:?}"
        );
        assert_eq!(lines[1], "hint: possible values: table, json, jsonl, csv");
    }

    #[test]
    fn missing_flags_are_listed_on_the_one_line() {
        let lines = render(&["kefu", "tenants", "add", "--name", "x"]);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].contains("--customer-code") && lines[0].contains("--max-agents"),
            "{lines:?}"
        );
        assert!(
            lines[1].starts_with("hint: usage: kefu tenants add"),
            "{lines:?}"
        );
    }

    #[test]
    fn a_typo_gets_the_tip() {
        let lines = render(&["kefu", "agents", "list", "--serch", "x"]);
        assert!(lines[0].contains("--serch"), "{lines:?}");
        assert!(lines[1].contains("--search"), "{lines:?}");
    }
}
