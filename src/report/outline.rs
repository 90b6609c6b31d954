//! `hoist parse` output: an outline of each file's instructions, as text or JSON.

use serde::Serialize;

use crate::syntax::{Arg, Dockerfile, Instruction};

#[derive(Serialize)]
pub struct FileOutline {
    pub file: String,
    pub escape: String,
    pub directives: Vec<DirectiveOutline>,
    pub instructions: Vec<InstructionOutline>,
}

#[derive(Serialize)]
pub struct DirectiveOutline {
    pub name: String,
    pub value: String,
    pub line: usize,
}

#[derive(Serialize)]
pub struct InstructionOutline {
    pub line: usize,
    pub end_line: usize,
    /// Byte range `[start, end)` in the file, through the final newline.
    pub span: [usize; 2],
    pub keyword: String,
    pub flags: Vec<String>,
    pub args: Vec<String>,
    pub json_form: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub heredocs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger: Option<Box<InstructionOutline>>,
}

fn instruction(ins: &Instruction) -> InstructionOutline {
    let mut trigger = None;
    let mut args = Vec::new();
    for arg in &ins.args {
        match arg {
            Arg::Word(w) => args.push(w.text().into_owned()),
            Arg::Nested(inner) => trigger = Some(Box::new(instruction(inner))),
        }
    }
    InstructionOutline {
        line: ins.start_line,
        end_line: ins.end_line,
        span: [ins.span.start, ins.span.end],
        keyword: ins.keyword.text().to_uppercase(),
        flags: ins.flags.iter().map(|f| f.text().into_owned()).collect(),
        args,
        json_form: ins.json,
        heredocs: ins.heredocs.iter().map(|h| h.name.clone()).collect(),
        trigger,
    }
}

pub fn json(path: &str, file: &Dockerfile) -> FileOutline {
    FileOutline {
        file: path.to_string(),
        escape: (file.escape as char).to_string(),
        directives: file
            .directives
            .iter()
            .map(|d| DirectiveOutline {
                name: d.name.clone(),
                value: d.value.clone(),
                line: d.line,
            })
            .collect(),
        instructions: file.instructions().map(instruction).collect(),
    }
}

fn summary(o: &InstructionOutline) -> String {
    let mut parts = vec![o.keyword.clone()];
    parts.extend(o.flags.iter().cloned());
    let args: Vec<String> = match o.keyword.as_str() {
        // ENV/LABEL arguments are (key, value, separator) triples.
        "ENV" | "LABEL" => o
            .args
            .chunks(3)
            .map(|kv| match kv {
                [k, v, sep] => format!("{k}{}{v}", if sep.is_empty() { " " } else { "=" }),
                other => other.join(" "),
            })
            .collect(),
        "HEALTHCHECK" if o.json_form && !o.args.is_empty() => vec![
            o.args[0].clone(),
            serde_json::to_string(&o.args[1..]).unwrap_or_default(),
        ],
        _ if o.json_form => vec![serde_json::to_string(&o.args).unwrap_or_default()],
        _ => o.args.clone(),
    };
    if let Some(t) = &o.trigger {
        parts.push(summary(t));
    }
    parts.extend(args);
    for h in &o.heredocs {
        parts.push(format!("[heredoc {h}]"));
    }
    // Continuation indents make long runs of blanks: show one.
    let text = parts
        .join(" ")
        .replace('\n', "\\n")
        .split([' ', '\t'])
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if text.chars().count() > 100 {
        let cut: String = text.chars().take(99).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// One line per instruction: `path:line  INSTRUCTION ...`.
pub fn text(path: &str, file: &Dockerfile) -> String {
    let doc = json(path, file);
    let mut out = String::new();
    for i in &doc.instructions {
        let lines = if i.end_line > i.line {
            format!("{}-{}", i.line, i.end_line)
        } else {
            i.line.to_string()
        };
        out.push_str(&format!("{path}:{lines:<8} {}\n", summary(i)));
    }
    out
}
