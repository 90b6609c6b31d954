//! Shows a `--progress=rawjson` stream to people as it arrives, in the shape of
//! `--progress=plain` (`#3 [2/4] RUN make`, `#3 CACHED`, `#3 DONE 1.2s`, RUN
//! output lines). The captured log keeps the raw JSON; this is display only.
//!
//! buildx 0.13 writes each `SolveStatus` indented over several lines (newer
//! releases write one per line): lines are collected until they form a whole
//! JSON value. Anything that is not JSON (buildx's closing `ERROR: ...`) is
//! shown as it is.

use std::collections::HashMap;
use std::io::Write;

use crate::timing::time::parse_rfc3339;

#[derive(Debug, Default)]
struct Vertex {
    id: usize,
    name: String,
    shown: bool,
    done: bool,
    started: Option<String>,
    /// A log line in progress (RUN output arrives in arbitrary chunks).
    partial: String,
}

/// The rawjson-to-plain renderer; feed it the stream line by line.
#[derive(Debug, Default)]
pub struct RawJsonEcho {
    pending: String,
    vertices: HashMap<String, Vertex>,
    next: usize,
}

impl RawJsonEcho {
    /// One line of docker's stderr (with or without its newline).
    pub fn line(&mut self, line: &str, out: &mut dyn Write) {
        let trimmed = line.trim_end();
        if self.pending.is_empty() && !trimmed.starts_with('{') {
            if !trimmed.is_empty() {
                let _ = writeln!(out, "{trimmed}");
            }
            return;
        }
        self.pending.push_str(line);
        if !line.ends_with('\n') {
            self.pending.push('\n');
        }
        // A value ends at a closing brace in column 0 (indented output) or on
        // the line it began (compact output).
        if trimmed.starts_with('}') || (trimmed.starts_with('{') && trimmed.ends_with('}')) {
            match serde_json::from_str::<serde_json::Value>(&self.pending) {
                Ok(value) => {
                    self.pending.clear();
                    self.status(&value, out);
                }
                Err(e) if !e.is_eof() => {
                    let _ = out.write_all(self.pending.as_bytes());
                    self.pending.clear();
                }
                Err(_) => {}
            }
        }
    }

    /// End of the stream: flush what is left.
    pub fn finish(&mut self, out: &mut dyn Write) {
        if !self.pending.trim().is_empty() {
            let _ = out.write_all(self.pending.as_bytes());
        }
        self.pending.clear();
        let mut left: Vec<&mut Vertex> = self
            .vertices
            .values_mut()
            .filter(|v| !v.partial.is_empty())
            .collect();
        left.sort_by_key(|v| v.id);
        for v in left {
            let _ = writeln!(out, "#{} {}", v.id, v.partial);
            v.partial.clear();
        }
    }

    fn vertex(&mut self, digest: &str) -> &mut Vertex {
        if !self.vertices.contains_key(digest) {
            self.next += 1;
            let id = self.next;
            self.vertices.insert(
                digest.to_string(),
                Vertex {
                    id,
                    ..Vertex::default()
                },
            );
        }
        self.vertices.get_mut(digest).expect("just inserted")
    }

    fn status(&mut self, value: &serde_json::Value, out: &mut dyn Write) {
        let str_of =
            |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        for v in value["vertexes"].as_array().into_iter().flatten() {
            let Some(digest) = str_of(v, "digest") else {
                continue;
            };
            let name = str_of(v, "name").unwrap_or_default();
            let started = str_of(v, "started");
            let completed = str_of(v, "completed");
            let cached = v["cached"].as_bool().unwrap_or(false);
            let error = str_of(v, "error");
            let vx = self.vertex(&digest);
            if !name.is_empty() {
                vx.name = name;
            }
            if started.is_some() {
                vx.started = started;
            }
            let active = vx.started.is_some() || completed.is_some() || cached;
            if active && !vx.shown {
                vx.shown = true;
                let _ = writeln!(out, "#{} {}", vx.id, vx.name);
            }
            if completed.is_some() && !vx.done {
                vx.done = true;
                if !vx.partial.is_empty() {
                    let _ = writeln!(out, "#{} {}", vx.id, vx.partial);
                    vx.partial.clear();
                }
                let secs = match (&vx.started, &completed) {
                    (Some(s), Some(c)) => match (parse_rfc3339(s), parse_rfc3339(c)) {
                        (Some(s), Some(c)) => Some((c - s).max(0.0)),
                        _ => None,
                    },
                    _ => None,
                };
                let line = if let Some(e) = error {
                    format!("#{} ERROR: {e}", vx.id)
                } else if cached {
                    format!("#{} CACHED", vx.id)
                } else if let Some(s) = secs {
                    format!("#{} DONE {s:.1}s", vx.id)
                } else {
                    format!("#{} DONE", vx.id)
                };
                let _ = writeln!(out, "{line}");
            }
        }
        for l in value["logs"].as_array().into_iter().flatten() {
            let (Some(digest), Some(data)) = (str_of(l, "vertex"), str_of(l, "data")) else {
                continue;
            };
            let Some(bytes) = base64_decode(&data) else {
                continue;
            };
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let vx = self.vertex(&digest);
            vx.partial.push_str(&text);
            while let Some(nl) = vx.partial.find('\n') {
                let line: String = vx.partial.drain(..=nl).collect();
                let _ = writeln!(out, "#{} {}", vx.id, line.trim_end_matches(['\n', '\r']));
            }
        }
    }
}

/// Standard base64 (Go's `encoding/json` encoding of `[]byte`).
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            b'\n' | b'\r' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64() {
        assert_eq!(base64_decode("aGkK").unwrap(), b"hi\n");
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("").unwrap(), b"");
        assert!(base64_decode("a*b").is_none());
    }

    #[test]
    fn indented_stream_renders_as_plain_lines() {
        let stream = r#"{
  "vertexes": [
    {
      "digest": "sha256:a",
      "name": "[2/2] RUN echo hi",
      "started": "2026-01-01T00:00:01Z"
    }
  ]
}
{
  "logs": [
    {
      "vertex": "sha256:a",
      "stream": 1,
      "data": "aGkK",
      "timestamp": "2026-01-01T00:00:01Z"
    }
  ]
}
{"vertexes":[{"digest":"sha256:a","name":"[2/2] RUN echo hi","started":"2026-01-01T00:00:01Z","completed":"2026-01-01T00:00:02Z"}]}
{"vertexes":[{"digest":"sha256:b","name":"[1/2] FROM x","cached":true,"started":"2026-01-01T00:00:01Z","completed":"2026-01-01T00:00:01Z"}]}
ERROR: failed to solve
"#;
        let mut echo = RawJsonEcho::default();
        let mut out = Vec::new();
        for l in stream.split_inclusive('\n') {
            echo.line(l, &mut out);
        }
        echo.finish(&mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("#1 [2/2] RUN echo hi\n#1 hi\n#1 DONE"),
            "{text}"
        );
        assert!(text.contains("#2 [1/2] FROM x\n#2 CACHED\n"), "{text}");
        assert!(text.ends_with("ERROR: failed to solve\n"), "{text}");
    }
}
