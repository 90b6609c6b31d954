//! `hoist.toml`: which rules run, their severities, the names of volatile args,
//! and the severity at which `hoist check` fails. A small TOML subset: top-level
//! keys with string or string-array values and one `[severity]` table.
//!
//! ```toml
//! select = ["volatile-arg-too-early", "swallowed-failure"]   # default: all
//! ignore = ["unpinned-base-image"]
//! fail-on = "warning"
//! volatile-args = ["RELEASE_TAG"]
//!
//! [severity]
//! swallowed-failure = "error"
//! ```

use std::collections::BTreeMap;

use super::{Rule, Severity};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Rules to run (names or codes); empty: all.
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// Per-rule severity overrides.
    pub severities: BTreeMap<String, Severity>,
    /// More names of build args that change on every build.
    pub volatile_args: Vec<String>,
    /// Findings at or above this severity make `hoist check` exit 1.
    pub fail_on: Severity,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            select: Vec::new(),
            ignore: Vec::new(),
            severities: BTreeMap::new(),
            volatile_args: Vec::new(),
            fail_on: Severity::Warning,
        }
    }
}

/// A `hoist.toml` that cannot be read: the line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ConfigError {
    pub line: usize,
    pub message: String,
}

fn matches(rule: &Rule, name: &str) -> bool {
    name == "all" || rule.name == name || rule.code.eq_ignore_ascii_case(name)
}

impl Config {
    pub fn enabled(&self, rule: &Rule) -> bool {
        (self.select.is_empty() || self.select.iter().any(|n| matches(rule, n)))
            && !self.ignore.iter().any(|n| matches(rule, n))
    }

    pub fn severity(&self, rule: &Rule) -> Severity {
        self.severities
            .iter()
            .find(|(n, _)| matches(rule, n))
            .map_or(rule.severity, |(_, s)| *s)
    }

    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let mut cfg = Config::default();
        let mut table = String::new();
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let lineno = i + 1;
            let mut line = strip_comment(lines[i]).trim().to_string();
            i += 1;
            if line.is_empty() {
                continue;
            }
            if line.starts_with('[') {
                table = line
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .trim()
                    .to_string();
                if table != "severity" {
                    return Err(err(
                        lineno,
                        format!("unknown table [{table}]; hoist.toml has only [severity]"),
                    ));
                }
                continue;
            }
            // A multi-line array: read until the closing bracket.
            while line.contains('[') && !line.contains(']') && i < lines.len() {
                line.push(' ');
                line.push_str(strip_comment(lines[i]).trim());
                i += 1;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(err(
                    lineno,
                    format!("expected `key = value`, found {line:?}"),
                ));
            };
            let key = key.trim().trim_matches('"');
            let value = value.trim();
            if table == "severity" {
                let s = string(value, lineno)?;
                let sev = Severity::parse(&s).ok_or_else(|| {
                    err(
                        lineno,
                        format!("severity {s:?}: use \"error\", \"warning\" or \"info\""),
                    )
                })?;
                if super::find(key).is_none() {
                    return Err(err(lineno, format!("unknown rule {key:?}")));
                }
                cfg.severities.insert(key.to_string(), sev);
                continue;
            }
            match key {
                "select" | "ignore" => {
                    let names = array(value, lineno)?;
                    for n in &names {
                        if n != "all" && super::find(n).is_none() {
                            return Err(err(lineno, format!("unknown rule {n:?}")));
                        }
                    }
                    if key == "select" {
                        cfg.select = names;
                    } else {
                        cfg.ignore = names;
                    }
                }
                "volatile-args" => cfg.volatile_args = array(value, lineno)?,
                "fail-on" => {
                    let s = string(value, lineno)?;
                    cfg.fail_on = Severity::parse(&s).ok_or_else(|| {
                        err(
                            lineno,
                            format!("fail-on {s:?}: use \"error\", \"warning\" or \"info\""),
                        )
                    })?;
                }
                other => {
                    return Err(err(
                        lineno,
                        format!(
                            "unknown key {other:?}; keys are select, ignore, fail-on, volatile-args and [severity]"
                        ),
                    ));
                }
            }
        }
        Ok(cfg)
    }
}

fn err(line: usize, message: String) -> ConfigError {
    ConfigError { line, message }
}

fn strip_comment(line: &str) -> &str {
    let mut in_str = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_str = !in_str,
            '#' if !in_str => return &line[..i],
            _ => {}
        }
    }
    line
}

fn string(value: &str, line: usize) -> Result<String, ConfigError> {
    let v = value.trim();
    if v.len() >= 2
        && (v.starts_with('"') && v.ends_with('"') || v.starts_with('\'') && v.ends_with('\''))
    {
        Ok(v[1..v.len() - 1].to_string())
    } else {
        Err(err(line, format!("expected a quoted string, found {v}")))
    }
}

fn array(value: &str, line: usize) -> Result<Vec<String>, ConfigError> {
    let v = value.trim();
    let Some(inner) = v.strip_prefix('[').and_then(|r| r.strip_suffix(']')) else {
        return Err(err(
            line,
            format!("expected an array of strings, found {v}"),
        ));
    };
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| string(s, line))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_subset() {
        let c = Config::parse(
            "select = [\"all\"]\nignore = [\"unpinned-base-image\"] # no\nvolatile-args = [\n  \"TAG\",\n]\nfail-on = \"error\"\n[severity]\nswallowed-failure = \"error\"\n",
        )
        .unwrap();
        assert_eq!(c.ignore, vec!["unpinned-base-image"]);
        assert_eq!(c.volatile_args, vec!["TAG"]);
        assert_eq!(c.fail_on, Severity::Error);
        assert_eq!(
            c.severities.get("swallowed-failure"),
            Some(&Severity::Error)
        );
        assert!(Config::parse("bogus = 1").is_err());
    }
}
