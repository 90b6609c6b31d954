//! Build logs: BuildKit's `--progress=rawjson` stream, `--progress=plain` text
//! (buildx and the 20.10 client) and the legacy builder's `Step N/M` output.
//!
//! The format is detected from the first non-blank line. What each reader
//! accepts, and the quirks of the real logs they were written against, are in
//! `docs/timings.md`; the real logs are in `tests/fixtures/logs/`.

use std::collections::HashMap;

use super::time;

/// Which kind of log a text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// `--progress=rawjson`: a stream of `client.SolveStatus` JSON values.
    RawJson,
    /// `--progress=plain`: `#N [stage k/n] INSTRUCTION`, `#N DONE 1.2s`, `#N CACHED`.
    Plain,
    /// The legacy builder: `Step N/M : INSTRUCTION`, ` ---> Using cache`; no times.
    Legacy,
}

impl LogFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::RawJson => "rawjson",
            LogFormat::Plain => "plain",
            LogFormat::Legacy => "legacy",
        }
    }
}

impl std::fmt::Display for LogFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One vertex of the log (merged over all its reports).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VertexTiming {
    /// The vertex name as the log prints it (`[build 3/5] RUN go mod download`;
    /// for the legacy builder `Step 3/7 : RUN go mod download`).
    pub name: String,
    /// The vertex's final state was a cache hit (`CACHED`, `"cached": true`,
    /// ` ---> Using cache`).
    pub cached: bool,
    /// Wall time the vertex was running, when the log gives it: the union of
    /// its start–completion intervals (rawjson), the sum of its `DONE` times
    /// (plain). Never for the legacy builder.
    pub seconds: Option<f64>,
    /// When the vertex first started (RFC 3339, as the log has it; rawjson only).
    pub started: Option<String>,
    /// The error the vertex failed with; [`CANCELED`] when BuildKit cancelled it
    /// because another vertex failed.
    pub error: Option<String>,
}

/// The `error` of a vertex BuildKit cancelled (plain `#N CANCELED`, rawjson
/// `context canceled`): it neither ran to completion nor failed by itself.
pub const CANCELED: &str = "canceled";

impl VertexTiming {
    /// Cancelled: not a result, not a failure of its own.
    pub fn canceled(&self) -> bool {
        self.error.as_deref() == Some(CANCELED)
    }
}

/// The vertices of one build log, in the order the log first shows them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BuildLog {
    pub format: LogFormat,
    pub vertices: Vec<VertexTiming>,
}

/// Why a log could not be read: the 1-based line and what is wrong there.
/// Displays as `LINE: MESSAGE`, so `format!("{file}:{err}")` reads `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}: {message}")]
pub struct LogError {
    pub line: usize,
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> LogError {
    LogError {
        line,
        message: message.into(),
    }
}

/// Reads a build log, detecting its format. A truncated log (a vertex that
/// never finished, a cut JSON value) or a file that is not a build log is an
/// error naming the line.
pub fn parse_log(text: &str) -> Result<BuildLog, LogError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some((first_no, first)) = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .find(|(_, l)| !l.trim().is_empty())
    else {
        return Err(err(1, "the log is empty"));
    };
    if first.trim_start().starts_with('{') {
        return parse_rawjson(text);
    }
    let lines = clean_lines(text);
    let head = lines[first_no - 1].as_str();
    if plain_id(head).is_some() {
        return parse_plain(&lines);
    }
    if is_legacy_start(head) {
        return parse_legacy(&lines);
    }
    let shown: String = first.trim().chars().take(60).collect();
    Err(err(
        first_no,
        format!(
            "not a build log: expected BuildKit `--progress=rawjson` output (`{{\"vertexes\": ...}}`), \
             `--progress=plain` output (`#1 [internal] load build definition ...`) or the legacy \
             builder's (`Step 1/5 : FROM ...`), found `{shown}`"
        ),
    ))
}

// ---------------------------------------------------------------------------
// Text clean-up shared by the plain and legacy readers.

/// Lines without `\r`, ANSI colour sequences, or the RFC 3339 timestamp CI
/// systems put in front of every line (`2024-05-01T10:00:00.1234567Z #5 ...`).
fn clean_lines(text: &str) -> Vec<String> {
    let raw: Vec<String> = text
        .lines()
        .map(|l| strip_ansi(l.trim_end_matches('\r')))
        .collect();
    let stamped = raw
        .iter()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| timestamp_prefix(l).is_some());
    if !stamped {
        return raw;
    }
    raw.into_iter()
        .map(|l| match timestamp_prefix(&l) {
            Some(n) => l[n..].to_string(),
            None => l,
        })
        .collect()
}

/// Length of a leading `<RFC 3339 timestamp> ` (with the space).
fn timestamp_prefix(line: &str) -> Option<usize> {
    let end = line.find(' ')?;
    let stamp = &line[..end];
    (stamp.len() >= 20 && time::parse_rfc3339_nanos(stamp).is_some()).then_some(end + 1)
}

fn strip_ansi(line: &str) -> String {
    if !line.contains('\u{1b}') {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            // CSI: parameters and intermediates, then one final byte in @..~.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// rawjson

/// A vertex while reading the rawjson stream.
#[derive(Debug, Default)]
struct JsonVertex {
    digest: String,
    name: String,
    inputs: Vec<String>,
    /// Distinct (started, completed) pairs, in nanoseconds.
    intervals: Vec<(i128, i128)>,
    first_started: Option<(i128, String)>,
    /// The latest report says it runs: started, not completed (line of that report).
    open: Option<usize>,
    completed: bool,
    cached: bool,
    error: Option<String>,
}

fn line_of(starts: &[usize], offset: usize) -> usize {
    match starts.binary_search(&offset) {
        Ok(i) => i + 1,
        Err(i) => i,
    }
}

const STATUS_KEYS: [&str; 4] = ["vertexes", "statuses", "logs", "warnings"];

fn parse_rawjson(text: &str) -> Result<BuildLog, LogError> {
    let mut starts = vec![0];
    starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    let last_line = text.lines().count().max(1);

    let mut vertices: Vec<JsonVertex> = Vec::new();
    let mut by_digest: HashMap<String, usize> = HashMap::new();
    let mut values = 0usize;
    let mut offset = 0usize;
    loop {
        let rest = &text[offset..];
        let skipped = rest.len() - rest.trim_start().len();
        let at = offset + skipped;
        if at >= text.len() {
            break;
        }
        let value_line = line_of(&starts, at);
        if !text[at..].starts_with('{') {
            if values > 0 && !text[at..].starts_with('[') {
                // buildx prints the build's error (`ERROR: failed to solve: ...`)
                // and warnings after the stream, as text.
                break;
            }
            return Err(err(
                value_line,
                "expected a JSON object (a BuildKit SolveStatus) here",
            ));
        }
        let mut stream =
            serde_json::Deserializer::from_str(&text[at..]).into_iter::<serde_json::Value>();
        let value = match stream.next() {
            Some(Ok(v)) => v,
            Some(Err(e)) if e.is_eof() => {
                return Err(err(
                    value_line,
                    "the log ends inside this JSON value: the log is truncated",
                ));
            }
            Some(Err(e)) => {
                let line = value_line + e.line().saturating_sub(1);
                return Err(err(line, format!("invalid JSON: {e}")));
            }
            None => break,
        };
        offset = at + stream.byte_offset();
        values += 1;
        read_status(&value, value_line, &mut vertices, &mut by_digest)?;
    }
    if values == 0 {
        return Err(err(1, "the log holds no JSON value"));
    }
    // A vertex still running at the end means the log was cut — unless the
    // build visibly finished (exported, or failed), or a vertex built on it
    // completed: a vertex shared with a concurrent build on the same daemon
    // can have its completion reported in the other build's stream.
    let finished = vertices.iter().any(|v| {
        (v.completed && is_export(&v.name)) || v.error.as_deref().is_some_and(|e| e != CANCELED)
    });
    if !finished
        && let Some(v) = vertices.iter().find(|v| {
            v.open.is_some()
                && !vertices
                    .iter()
                    .any(|d| d.completed && d.inputs.contains(&v.digest))
        })
    {
        return Err(err(
            last_line,
            format!(
                "the log ends here, but vertex `{}` (started on line {}) never completed: the log is truncated",
                v.name,
                v.open.unwrap_or(0)
            ),
        ));
    }
    let vertices = vertices
        .into_iter()
        .filter(|v| {
            !v.intervals.is_empty() || v.first_started.is_some() || v.cached || v.error.is_some()
        })
        .map(|v| VertexTiming {
            seconds: union_seconds(&v.intervals),
            started: v.first_started.map(|(_, s)| s),
            name: v.name,
            cached: v.cached,
            error: v.error,
        })
        .collect();
    Ok(BuildLog {
        format: LogFormat::RawJson,
        vertices,
    })
}

fn read_status(
    value: &serde_json::Value,
    line: usize,
    vertices: &mut Vec<JsonVertex>,
    by_digest: &mut HashMap<String, usize>,
) -> Result<(), LogError> {
    let Some(obj) = value.as_object() else {
        return Err(err(line, "expected a JSON object (a BuildKit SolveStatus)"));
    };
    if !STATUS_KEYS.iter().any(|k| obj.contains_key(*k)) {
        let keys: Vec<&str> = obj.keys().map(String::as_str).take(6).collect();
        return Err(err(
            line,
            format!(
                "this JSON value is not a BuildKit SolveStatus (one with `vertexes`, `statuses`, `logs` or `warnings`); its keys are: {}",
                if keys.is_empty() {
                    "none".to_string()
                } else {
                    keys.join(", ")
                }
            ),
        ));
    }
    for key in STATUS_KEYS {
        match obj.get(key) {
            None | Some(serde_json::Value::Null) | Some(serde_json::Value::Array(_)) => {}
            Some(_) => return Err(err(line, format!("`{key}` is not a list"))),
        }
    }
    let Some(list) = obj.get("vertexes").and_then(|v| v.as_array()) else {
        return Ok(());
    };
    for v in list {
        let Some(digest) = v.get("digest").and_then(|d| d.as_str()) else {
            return Err(err(line, "a vertex without a `digest`"));
        };
        let text = |k: &str| v.get(k).and_then(|x| x.as_str()).filter(|s| !s.is_empty());
        let index = *by_digest.entry(digest.to_string()).or_insert_with(|| {
            vertices.push(JsonVertex {
                digest: digest.to_string(),
                ..JsonVertex::default()
            });
            vertices.len() - 1
        });
        let vx = &mut vertices[index];
        if let Some(name) = text("name") {
            vx.name = name.to_string();
        }
        for input in v
            .get("inputs")
            .and_then(|i| i.as_array())
            .into_iter()
            .flatten()
        {
            if let Some(d) = input.as_str()
                && !vx.inputs.iter().any(|i| i == d)
            {
                vx.inputs.push(d.to_string());
            }
        }
        let started = text("started");
        let completed = text("completed");
        let parse = |s: &str, what: &str| {
            time::parse_rfc3339_nanos(s)
                .ok_or_else(|| err(line, format!("`{what}` is not an RFC 3339 time: {s:?}")))
        };
        // Every report carries the vertex's whole state: the latest decides.
        if let Some(s) = started {
            let ns = parse(s, "started")?;
            if vx.first_started.as_ref().is_none_or(|(f, _)| ns < *f) {
                vx.first_started = Some((ns, s.to_string()));
            }
            if let Some(c) = completed {
                let cns = parse(c, "completed")?;
                if !vx.intervals.contains(&(ns, cns)) {
                    vx.intervals.push((ns, cns));
                }
            }
        }
        if started.is_some() || completed.is_some() {
            vx.completed = completed.is_some();
            vx.open = completed.is_none().then_some(line);
            vx.cached = v.get("cached").and_then(|c| c.as_bool()).unwrap_or(false);
        } else if v.get("cached").and_then(|c| c.as_bool()) == Some(true) {
            vx.cached = true;
        }
        if let Some(e) = text("error") {
            vx.open = None;
            vx.completed = true;
            vx.error = Some(if e.ends_with("context canceled") {
                CANCELED.to_string()
            } else {
                e.to_string()
            });
        }
    }
    Ok(())
}

/// The vertex that writes the build's result: once it is done, every step is.
fn is_export(name: &str) -> bool {
    name.starts_with("exporting ") || name == "copying files" || name.starts_with("copying files ")
}

/// Seconds covered by the union of the intervals, to the millisecond.
fn union_seconds(intervals: &[(i128, i128)]) -> Option<f64> {
    if intervals.is_empty() {
        return None;
    }
    let mut sorted = intervals.to_vec();
    sorted.sort();
    let mut total: i128 = 0;
    let (mut start, mut end) = sorted[0];
    for &(s, e) in &sorted[1..] {
        if s > end {
            total += (end - start).max(0);
            (start, end) = (s, e);
        } else {
            end = end.max(e);
        }
    }
    total += (end - start).max(0);
    Some(round_ms(total as f64 / 1e9))
}

fn round_ms(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}

// ---------------------------------------------------------------------------
// plain

/// `#N rest` → (N, rest).
fn plain_id(line: &str) -> Option<(u64, &str)> {
    let rest = line.strip_prefix('#')?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let id = rest[..digits].parse().ok()?;
    let after = &rest[digits..];
    if after.is_empty() {
        return Some((id, ""));
    }
    after.strip_prefix(' ').map(|r| (id, r))
}

#[derive(Debug)]
struct PlainVertex {
    name: String,
    line: usize,
    terminal: bool,
    cached: bool,
    seconds: Option<f64>,
    error: Option<String>,
}

/// `1.2s`, `0.0s`, `1m2.5s` → seconds.
fn duration_seconds(s: &str) -> Option<f64> {
    let s = s.trim();
    let body = s.strip_suffix('s')?;
    if let Some((m, sec)) = body.split_once('m') {
        let m: f64 = m.parse().ok()?;
        let sec: f64 = if sec.is_empty() {
            0.0
        } else {
            sec.parse().ok()?
        };
        return Some(m * 60.0 + sec);
    }
    body.parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)
}

fn parse_plain(lines: &[String]) -> Result<BuildLog, LogError> {
    let mut vertices: Vec<PlainVertex> = Vec::new();
    let mut current: HashMap<u64, usize> = HashMap::new();
    let mut after_blank = true;
    let mut last_line = 1;
    for (i, line) in lines.iter().enumerate() {
        let no = i + 1;
        if line.trim().is_empty() {
            after_blank = true;
            continue;
        }
        last_line = no;
        let blank_before = std::mem::replace(&mut after_blank, false);
        let Some((id, rest)) = plain_id(line) else {
            // Error blocks (`------`, ` > [2/3] RUN ...:`), `ERROR: failed to
            // solve`, warnings: text around the vertices.
            continue;
        };
        let rest = rest.trim_end();
        if id == 0 && rest.starts_with("building with ") {
            continue;
        }
        let known = current.get(&id).copied();
        let Some(index) = known.filter(|&v| {
            // A finished id printing a new name after a blank line is a vertex
            // of a second build in the same log.
            !(vertices[v].terminal
                && blank_before
                && rest != vertices[v].name
                && !is_plain_event(rest))
        }) else {
            vertices.push(PlainVertex {
                name: rest.to_string(),
                line: no,
                terminal: false,
                cached: false,
                seconds: None,
                error: None,
            });
            current.insert(id, vertices.len() - 1);
            continue;
        };
        let v = &mut vertices[index];
        if rest == v.name {
            // Printed again when the vertex is reported again (`DONE` then `CACHED`).
            v.terminal = false;
        } else if rest == "CACHED" {
            v.terminal = true;
            v.cached = true;
        } else if let Some(d) = rest.strip_prefix("DONE") {
            v.terminal = true;
            v.cached = false;
            if let Some(s) = duration_seconds(d) {
                v.seconds = Some(round_ms(v.seconds.unwrap_or(0.0) + s));
            }
        } else if let Some(e) = rest.strip_prefix("ERROR") {
            v.terminal = true;
            v.cached = false;
            let e = e.trim_start_matches(':').trim();
            v.error = Some(if e.is_empty() {
                "error".into()
            } else {
                e.into()
            });
        } else if rest == "CANCELED" {
            v.terminal = true;
            v.cached = false;
            v.error = Some(CANCELED.into());
        }
        // Anything else is a status (`transferring context: 2B done`), a digest
        // (`sha256:...`, the 20.10 client), output (`0.248 hello`) or `...`.
    }
    let finished = vertices.iter().any(|v| {
        (v.terminal && is_export(&v.name)) || v.error.as_deref().is_some_and(|e| e != CANCELED)
    });
    if let Some(v) = vertices.iter().find(|v| !v.terminal).filter(|_| !finished) {
        return Err(err(
            last_line,
            format!(
                "the log ends here, but vertex `{}` (line {}) never finished (no DONE, CACHED, ERROR or CANCELED): the log is truncated",
                v.name, v.line
            ),
        ));
    }
    Ok(BuildLog {
        format: LogFormat::Plain,
        vertices: vertices
            .into_iter()
            .map(|v| VertexTiming {
                name: v.name,
                cached: v.cached,
                seconds: v.seconds,
                started: None,
                error: v.error,
            })
            .collect(),
    })
}

fn is_plain_event(rest: &str) -> bool {
    rest == "CACHED" || rest == "CANCELED" || rest.starts_with("DONE") || rest.starts_with("ERROR")
}

/// The `builder` a buildx plain log names in its first line
/// (`#0 building with "default" instance using docker driver`).
pub fn builder_name(text: &str) -> Option<String> {
    text.lines().take(20).find_map(|l| {
        let rest = l.trim().strip_prefix("#0 building with \"")?;
        let (name, after) = rest.split_once('"')?;
        after.starts_with(" instance").then(|| name.to_string())
    })
}

// ---------------------------------------------------------------------------
// legacy builder

fn legacy_step(line: &str) -> Option<(usize, usize, &str)> {
    let rest = line.strip_prefix("Step ")?;
    let (counts, instruction) = rest.split_once(" : ")?;
    let (n, m) = counts.split_once('/')?;
    Some((n.parse().ok()?, m.parse().ok()?, instruction))
}

fn is_legacy_start(line: &str) -> bool {
    legacy_step(line).is_some()
        || line.starts_with("Sending build context to Docker daemon")
        || line.starts_with("DEPRECATED: The legacy builder is deprecated")
}

/// Lines the legacy builder prints when a step fails.
fn legacy_error(line: &str) -> bool {
    let l = line.trim();
    l.contains("returned a non-zero code:")
        || l.starts_with("COPY failed:")
        || l.starts_with("ADD failed:")
        || l.starts_with("Error response from daemon:")
        || l.starts_with("ERROR:")
        || l.starts_with("failed to ")
}

fn is_image_id(s: &str) -> bool {
    (12..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[derive(Debug)]
struct LegacyStep {
    name: String,
    number: usize,
    total: usize,
    line: usize,
    from: bool,
    completed: bool,
    cached: bool,
    pulled: bool,
    error: Option<String>,
}

fn parse_legacy(lines: &[String]) -> Result<BuildLog, LogError> {
    let mut steps: Vec<LegacyStep> = Vec::new();
    let mut finished = false;
    let mut last_line = 1;
    for (i, line) in lines.iter().enumerate() {
        let no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        last_line = no;
        if let Some((number, total, instruction)) = legacy_step(line) {
            let keyword = instruction.split_whitespace().next().unwrap_or("");
            steps.push(LegacyStep {
                name: line.trim_end().to_string(),
                number,
                total,
                line: no,
                from: keyword.eq_ignore_ascii_case("FROM"),
                completed: false,
                cached: false,
                pulled: false,
                error: None,
            });
            continue;
        }
        if line.starts_with("Successfully built ") {
            finished = true;
            continue;
        }
        let Some(step) = steps.last_mut() else {
            continue;
        };
        if let Some(arrow) = line.strip_prefix(" ---> ") {
            let arrow = arrow.trim();
            if arrow == "Using cache" {
                step.cached = true;
            } else if is_image_id(arrow) {
                step.completed = true;
            }
        } else if line.contains(": Pulling from ") {
            step.pulled = true;
        } else if legacy_error(line) && !step.completed {
            // A RUN may print such a line and still succeed: it counts only
            // if the step never finishes (below).
            step.error = Some(line.trim().to_string());
        }
    }
    let Some(last) = steps.last() else {
        return Err(err(
            last_line,
            "the log ends before the legacy builder's first `Step N/M : ...` line: the log is truncated",
        ));
    };
    if !finished && last.error.is_none() {
        if last.number < last.total && last.completed {
            return Err(err(
                last_line,
                format!(
                    "the log ends after step {} of {} without `Successfully built`: the log is truncated",
                    last.number, last.total
                ),
            ));
        }
        if !last.completed {
            return Err(err(
                last_line,
                format!(
                    "the log ends here, but `{}` (line {}) never finished: the log is truncated",
                    last.name, last.line
                ),
            ));
        }
    }
    Ok(BuildLog {
        format: LogFormat::Legacy,
        vertices: steps
            .into_iter()
            .map(|s| VertexTiming {
                name: s.name,
                // A base image the builder did not have to pull is a cache hit.
                cached: if s.from { !s.pulled } else { s.cached },
                seconds: None,
                started: None,
                error: s.error.filter(|_| !s.completed),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_foreign_text() {
        let e = parse_log("\n\n# hoist\n\nhoist makes builds fast\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.starts_with("not a build log"), "{e}");
        assert_eq!(parse_log("").unwrap_err().line, 1);
    }

    #[test]
    fn rejects_json_of_another_shape() {
        let e = parse_log("{\"id\":\"buildx_step_1\",\"status\":\"START\"}\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("keys are: id, status"), "{e}");
        let e = parse_log("{\"vertexes\":[]}\n[1, 2]\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
    }

    #[test]
    fn rawjson_merges_reports_and_unions_intervals() {
        let log = r#"{"vertexes":[{"digest":"sha256:a","name":"[1/2] FROM docker.io/library/x:1"}]}
{"vertexes":[{"digest":"sha256:a","name":"[1/2] FROM docker.io/library/x:1","started":"2026-01-01T00:00:00Z","completed":"2026-01-01T00:00:01Z"}]}
{"vertexes":[{"digest":"sha256:a","name":"[1/2] FROM docker.io/library/x:1","started":"2026-01-01T00:00:00.5Z","completed":"2026-01-01T00:00:02Z"}]}
{"vertexes":[{"digest":"sha256:a","name":"[1/2] FROM docker.io/library/x:1","started":"2026-01-01T00:00:05Z","completed":"2026-01-01T00:00:05.25Z","cached":true}]}
{"vertexes":[{"digest":"sha256:b","name":"[2/2] RUN never"}]}
"#;
        let parsed = parse_log(log).unwrap();
        assert_eq!(parsed.format, LogFormat::RawJson);
        assert_eq!(
            parsed.vertices,
            vec![VertexTiming {
                name: "[1/2] FROM docker.io/library/x:1".into(),
                cached: true,
                seconds: Some(2.25),
                started: Some("2026-01-01T00:00:00Z".into()),
                error: None,
            }]
        );
    }

    #[test]
    fn a_vertex_finished_in_another_builds_stream_is_not_truncation() {
        // The FROM never completes here, but the RUN built on it did.
        let shared = r#"{"vertexes":[{"digest":"sha256:a","name":"[2/2] FROM x","started":"2026-01-01T00:00:00Z"}]}
{"vertexes":[{"digest":"sha256:b","inputs":["sha256:a"],"name":"[2/2] RUN y","started":"2026-01-01T00:00:01Z","completed":"2026-01-01T00:00:02Z"}]}
"#;
        let parsed = parse_log(shared).unwrap();
        assert_eq!(parsed.vertices[0].seconds, None);
        // Without the RUN, the log was cut.
        let cut = shared.lines().next().unwrap();
        assert_eq!(parse_log(cut).unwrap_err().line, 1);
        // Plain: the export finished, so the build did.
        let plain = "#1 [1/2] FROM x\n\n#2 [2/2] RUN y\n#2 DONE 1.0s\n\n#3 exporting to image\n#3 DONE 0.1s\n";
        assert!(parse_log(plain).is_ok());
        let e = parse_log("#1 [1/2] FROM x\n\n#2 [2/2] RUN y\n#2 DONE 1.0s\n").unwrap_err();
        assert_eq!(e.line, 4);
        assert!(
            e.message.contains("`[1/2] FROM x` (line 1) never finished"),
            "{e}"
        );
    }

    #[test]
    fn plain_strips_ci_timestamps_and_colours() {
        let log = "2024-05-01T10:00:00.1234567Z #1 [internal] load build definition from Dockerfile\n\
                   2024-05-01T10:00:00.2234567Z #1 DONE 0.0s\n\
                   2024-05-01T10:00:00.3234567Z \n\
                   2024-05-01T10:00:00.4234567Z #2 [1/2] FROM docker.io/library/x:1\n\
                   2024-05-01T10:00:00.5234567Z \u{1b}[32m#2 CACHED\u{1b}[0m\n";
        let parsed = parse_log(log).unwrap();
        assert_eq!(parsed.format, LogFormat::Plain);
        assert_eq!(parsed.vertices.len(), 2);
        assert!(parsed.vertices[1].cached);
    }

    #[test]
    fn plain_second_build_in_one_log() {
        let log = "#1 [1/2] FROM x\n#1 DONE 0.0s\n\n#2 [2/2] RUN a\n#2 DONE 1.0s\n\n\
                   #1 [internal] load build definition from Dockerfile\n#1 DONE 0.0s\n\n\
                   #2 [2/2] RUN b\n#2 CACHED\n";
        let parsed = parse_log(log).unwrap();
        let names: Vec<&str> = parsed.vertices.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "[1/2] FROM x",
                "[2/2] RUN a",
                "[internal] load build definition from Dockerfile",
                "[2/2] RUN b"
            ]
        );
    }

    #[test]
    fn legacy_output_that_looks_like_an_error() {
        let log = "Step 1/2 : FROM x\n ---> 0c0d001b4cef\nStep 2/2 : RUN ./check\n ---> Running in 4c66\n\
                   failed to frobnicate, retrying\nRemoving intermediate container 4c66\n ---> ad99a0996e01\n\
                   Successfully built ad99a0996e01\n";
        let parsed = parse_log(log).unwrap();
        assert_eq!(parsed.vertices[1].error, None);
        assert!(!parsed.vertices[1].cached);
    }

    #[test]
    fn durations() {
        assert_eq!(duration_seconds(" 1.2s"), Some(1.2));
        assert_eq!(duration_seconds("1m2.5s"), Some(62.5));
        assert_eq!(duration_seconds(""), None);
    }

    #[test]
    fn builder_from_buildx_plain() {
        assert_eq!(
            builder_name("#0 building with \"default\" instance using docker driver\n\n#1 ...")
                .as_deref(),
            Some("default")
        );
        assert_eq!(builder_name("#1 [internal] load\n"), None);
    }
}
