//! BuildKit's `Node.Dump()` text, so hoist's parser can be checked against
//! BuildKit's own parser tests (rule R2.2).

use super::text::{go_quote, go_quote_list};
use super::tree::{Arg, Dockerfile, Instruction};

/// The dump of a whole file: one `(...)` line per instruction, no final newline.
pub fn dump(file: &Dockerfile) -> String {
    let lines: Vec<String> = file
        .instructions()
        .map(|i| format!("({})", dump_instruction(i)))
        .collect();
    lines.join("\n")
}

/// One instruction's s-expression body, without the outer parentheses.
pub fn dump_instruction(ins: &Instruction) -> String {
    let mut out = String::from_utf8_lossy(&ins.keyword.value).to_lowercase();
    if !ins.flags.is_empty() {
        let flags: Vec<&[u8]> = ins.flags.iter().map(|f| f.value.as_slice()).collect();
        out.push(' ');
        out.push_str(&go_quote_list(&flags));
    }
    for arg in &ins.args {
        out.push(' ');
        match arg {
            Arg::Word(w) => out.push_str(&go_quote(&w.value)),
            Arg::Nested(inner) => {
                out.push('(');
                out.push_str(&dump_instruction(inner));
                out.push(')');
            }
        }
    }
    out.trim().to_string()
}
