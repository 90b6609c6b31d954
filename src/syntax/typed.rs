//! The typed view over the syntax tree, as BuildKit's `instructions.Parse` sees
//! it: each instruction's flags checked against the ones it takes, its arguments
//! counted, `--mount` options parsed. This is the level that rejects what the
//! tree still accepts (an unknown instruction, `COPY --user=me`, a bad mount).
//!
//! Values are kept raw (quotes and `$VARS` as written): expanding them needs the
//! build's ARG/ENV state, which the model owns.

use super::error::SyntaxError;
use super::mount::{self, Mount};
use super::tree::{Arg, Dockerfile, Heredoc, Instruction, Span, Word};

/// A checked instruction.
#[derive(Debug, Clone)]
pub struct Typed<'a> {
    /// The tree node this came from (for spans and lines).
    pub node: &'a Instruction,
    pub command: Command<'a>,
}

/// A command's text: exec form (JSON array) or shell form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLine {
    Exec(Vec<String>),
    Shell(String),
}

#[derive(Debug, Clone)]
pub enum Command<'a> {
    From(From),
    Run(Run<'a>),
    Cmd(CommandLine),
    Entrypoint(CommandLine),
    Shell(Vec<String>),
    Copy(Copy<'a>),
    Add(Copy<'a>),
    Env(Vec<KeyValue>),
    Label(Vec<KeyValue>),
    Arg(Vec<ArgDecl>),
    Expose(Vec<String>),
    User(String),
    Workdir(String),
    Volume(Vec<String>),
    StopSignal(String),
    Healthcheck(Healthcheck),
    Onbuild(Box<Typed<'a>>),
    Maintainer(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct From {
    pub image: String,
    pub platform: Option<String>,
    /// The stage name after `AS`, as written.
    pub alias: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Run<'a> {
    pub command: CommandLine,
    pub mounts: Vec<Mount>,
    pub network: Option<String>,
    pub security: Option<String>,
    pub devices: Vec<String>,
    pub heredocs: &'a [Heredoc],
}

/// COPY and ADD (ADD-only options are `None`/`false` for COPY).
#[derive(Debug, Clone)]
pub struct Copy<'a> {
    pub sources: Vec<String>,
    pub dest: String,
    pub from: Option<String>,
    pub chown: Option<String>,
    pub chmod: Option<String>,
    pub link: bool,
    pub parents: bool,
    pub exclude: Vec<String>,
    pub checksum: Option<String>,
    pub keep_git_dir: bool,
    pub unpack: Option<bool>,
    pub heredocs: &'a [Heredoc],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    /// Raw value: quotes and `$VARS` as written (expanded by the model).
    pub value: String,
    /// False for the legacy `ENV key value` form.
    pub equals: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgDecl {
    pub name: String,
    pub default: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Healthcheck {
    None,
    Cmd {
        test: CommandLine,
        interval: Option<String>,
        timeout: Option<String>,
        start_period: Option<String>,
        start_interval: Option<String>,
        retries: Option<u32>,
    },
}

/// The typed view of every instruction of a file, or the first error.
pub fn typed(file: &Dockerfile) -> Result<Vec<Typed<'_>>, SyntaxError> {
    file.instructions().map(|i| check(file, i)).collect()
}

/// Checks one instruction.
pub fn check<'a>(file: &Dockerfile, ins: &'a Instruction) -> Result<Typed<'a>, SyntaxError> {
    let err = |span: Span, message: String| {
        let pos = file.position(span.start);
        SyntaxError {
            message,
            line: pos.line,
            column: pos.column,
            span,
            help: None,
        }
    };
    let keyword_span = ins.word_span(&ins.keyword);
    let whole = Span::new(
        keyword_span.start,
        ins.word_span(&Word::new(
            Vec::new(),
            ins.logical.len().saturating_sub(1),
            1,
        ))
        .end,
    );
    check_inner(ins, false).map_err(|e| {
        let span = match e.at {
            At::Flag(i) => ins.word_span(&ins.flags[i]),
            At::Word(w) => ins.word_span(&w),
            At::Keyword => keyword_span,
            At::Whole => whole,
        };
        let mut out = err(span, e.message);
        out.help = e.help;
        out
    })
}

/// Where an error points.
enum At {
    Keyword,
    Whole,
    Flag(usize),
    Word(Word),
}

struct Problem {
    message: String,
    at: At,
    help: Option<String>,
}

fn problem(at: At, message: impl Into<String>) -> Problem {
    Problem {
        message: message.into(),
        at,
        help: None,
    }
}

const INSTRUCTIONS: &[&str] = &[
    "add",
    "arg",
    "cmd",
    "copy",
    "entrypoint",
    "env",
    "expose",
    "from",
    "healthcheck",
    "label",
    "maintainer",
    "onbuild",
    "run",
    "shell",
    "stopsignal",
    "user",
    "volume",
    "workdir",
];

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Bool,
    Str,
    Strings,
}

/// Flags an instruction takes (BuildKit's BFlags declarations).
fn flag_spec(name: &str) -> &'static [(&'static str, Kind)] {
    use Kind::*;
    match name {
        "from" => &[("platform", Str)],
        "run" => &[
            ("mount", Strings),
            ("network", Str),
            ("security", Str),
            ("device", Strings),
        ],
        "copy" => &[
            ("from", Str),
            ("chown", Str),
            ("chmod", Str),
            ("link", Bool),
            ("parents", Bool),
            ("exclude", Strings),
        ],
        "add" => &[
            ("chown", Str),
            ("chmod", Str),
            ("link", Bool),
            ("keep-git-dir", Bool),
            ("checksum", Str),
            ("exclude", Strings),
            ("unpack", Bool),
        ],
        "healthcheck" => &[
            ("interval", Str),
            ("timeout", Str),
            ("start-period", Str),
            ("start-interval", Str),
            ("retries", Str),
        ],
        _ => &[],
    }
}

/// Parsed flag values.
#[derive(Default)]
struct Flags {
    values: Vec<(&'static str, Vec<String>, usize)>,
}

impl Flags {
    fn string(&self, name: &str) -> Option<String> {
        self.values
            .iter()
            .find(|(n, _, _)| *n == name)
            .and_then(|(_, v, _)| v.last().cloned())
    }
    fn strings(&self, name: &str) -> Vec<String> {
        self.values
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, v, _)| v.clone())
            .unwrap_or_default()
    }
    fn bool(&self, name: &str) -> Option<bool> {
        self.string(name).map(|v| v == "true")
    }
    fn index(&self, name: &str, nth: usize) -> usize {
        self.values
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, _, i)| i + nth)
            .unwrap_or(0)
    }
}

/// BuildKit's `BFlags.Parse`.
fn parse_flags(ins: &Instruction, name: &str) -> Result<Flags, Problem> {
    let spec = flag_spec(name);
    let mut flags = Flags::default();
    let mut first_index: Vec<(&'static str, usize)> = Vec::new();
    for (i, word) in ins.flags.iter().enumerate() {
        let text = word.text();
        let Some(body) = text.strip_prefix("--") else {
            return Err(problem(
                At::Flag(i),
                format!("arg should start with -- : {text}"),
            ));
        };
        if body.is_empty() {
            break;
        }
        let (key, value) = match body.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (body, None),
        };
        let Some(&(fname, kind)) = spec.iter().find(|(n, _)| *n == key) else {
            let mut p = problem(At::Flag(i), format!("unknown flag: {key}"));
            p.help = Some(if spec.is_empty() {
                format!("{} takes no flags", name.to_uppercase())
            } else {
                let names: Vec<String> = spec.iter().map(|(n, _)| format!("--{n}")).collect();
                format!("{} takes {}", name.to_uppercase(), names.join(", "))
            });
            return Err(p);
        };
        let seen = flags.values.iter_mut().find(|(n, _, _)| *n == fname);
        if seen.is_some() && kind != Kind::Strings {
            return Err(problem(
                At::Flag(i),
                format!("duplicate flag specified: {key}"),
            ));
        }
        let value = match kind {
            Kind::Bool => {
                if value == Some("") {
                    return Err(problem(
                        At::Flag(i),
                        format!("missing a value on flag: {key}"),
                    ));
                }
                match value.unwrap_or("").to_lowercase().as_str() {
                    "true" | "" => "true".to_string(),
                    "false" => "false".to_string(),
                    other => {
                        return Err(problem(
                            At::Flag(i),
                            format!("expecting boolean value for flag {key}, not: {other}"),
                        ));
                    }
                }
            }
            Kind::Str | Kind::Strings => match value {
                Some(v) => v.to_string(),
                None => {
                    return Err(problem(
                        At::Flag(i),
                        format!("missing a value on flag: {key}"),
                    ));
                }
            },
        };
        match flags.values.iter_mut().find(|(n, _, _)| *n == fname) {
            Some((_, values, _)) => values.push(value),
            None => {
                first_index.push((fname, i));
                flags.values.push((fname, vec![value], i));
            }
        }
    }
    Ok(flags)
}

fn words(ins: &Instruction) -> Vec<Word> {
    ins.arg_values().cloned().collect()
}

fn text(w: &Word) -> String {
    w.text().into_owned()
}

fn command_line(ins: &Instruction) -> CommandLine {
    if ins.json {
        CommandLine::Exec(ins.arg_values().map(text).collect())
    } else {
        CommandLine::Shell(ins.arg_values().map(text).collect::<Vec<_>>().join(" "))
    }
}

fn exactly_one(ins: &Instruction, upper: &str) -> Result<String, Problem> {
    let w = words(ins);
    if w.len() != 1 {
        return Err(problem(
            At::Whole,
            format!("{upper} requires exactly one argument"),
        ));
    }
    Ok(text(&w[0]))
}

fn at_least_one(ins: &Instruction, upper: &str) -> Result<Vec<Word>, Problem> {
    let w = words(ins);
    if w.is_empty() {
        return Err(problem(
            At::Whole,
            format!("{upper} requires at least one argument"),
        ));
    }
    Ok(w)
}

fn key_values(ins: &Instruction, upper: &str) -> Result<Vec<KeyValue>, Problem> {
    let w = at_least_one(ins, upper)?;
    let mut out = Vec::new();
    for triple in w.chunks(3) {
        let [key, value, sep] = triple else {
            return Err(problem(
                At::Whole,
                format!("{upper} requires key and value"),
            ));
        };
        if key.value.is_empty() {
            return Err(problem(
                At::Word(key.clone()),
                format!("{upper} names can not be blank"),
            ));
        }
        out.push(KeyValue {
            key: text(key),
            value: text(value),
            equals: !sep.value.is_empty(),
        });
    }
    Ok(out)
}

fn is_valid_stage_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    let mut chars = lower.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-' | '_' | '.'))
}

fn check_inner<'a>(ins: &'a Instruction, in_onbuild: bool) -> Result<Typed<'a>, Problem> {
    let name = ins.name();
    if !INSTRUCTIONS.contains(&name.as_str()) {
        let mut p = problem(
            At::Keyword,
            format!("unknown instruction: {}", ins.keyword.text()),
        );
        if let Some(s) = suggest(&name, INSTRUCTIONS) {
            p.help = Some(format!("did you mean {}?", s.to_uppercase()));
        }
        return Err(p);
    }
    let upper = name.to_uppercase();
    let flags = parse_flags(ins, &name)?;
    let command = match name.as_str() {
        "from" => {
            let w = words(ins);
            if w.len() != 1 && w.len() != 3 {
                return Err(problem(
                    At::Whole,
                    "FROM requires either one or three arguments",
                ));
            }
            let alias = if w.len() == 3 {
                if !w[1].text().eq_ignore_ascii_case("as") {
                    return Err(problem(
                        At::Word(w[1].clone()),
                        "FROM requires either one or three arguments",
                    )
                    .with_help("write `FROM <image> AS <name>`"));
                }
                let alias = text(&w[2]);
                if !is_valid_stage_name(&alias) {
                    return Err(problem(
                        At::Word(w[2].clone()),
                        format!(
                            "invalid name for build stage: {}, name can't start with a number or contain symbols",
                            super::text::go_quote(alias.as_bytes())
                        ),
                    ));
                }
                Some(alias)
            } else {
                None
            };
            Command::From(From {
                image: text(&w[0]),
                platform: flags.string("platform"),
                alias,
            })
        }
        "run" => {
            let mut mounts = Vec::new();
            for (nth, value) in flags.strings("mount").iter().enumerate() {
                let m = mount::parse(value)
                    .map_err(|message| problem(At::Flag(flags.index("mount", nth)), message))?;
                mounts.push(m);
            }
            let network = flags.string("network");
            if let Some(n) = &network
                && !matches!(n.as_str(), "default" | "none" | "host")
            {
                return Err(problem(
                    At::Flag(flags.index("network", 0)),
                    format!(
                        "unsupported network mode {}",
                        super::text::go_quote(n.as_bytes())
                    ),
                )
                .with_help("use --network=default, none or host"));
            }
            let security = flags.string("security");
            if let Some(s) = &security
                && !matches!(s.as_str(), "sandbox" | "insecure")
            {
                return Err(problem(
                    At::Flag(flags.index("security", 0)),
                    format!(
                        "unsupported security mode {}",
                        super::text::go_quote(s.as_bytes())
                    ),
                )
                .with_help("use --security=sandbox or insecure"));
            }
            Command::Run(Run {
                command: command_line(ins),
                mounts,
                network,
                security,
                devices: flags.strings("device"),
                heredocs: &ins.heredocs,
            })
        }
        "cmd" => Command::Cmd(command_line(ins)),
        "entrypoint" => Command::Entrypoint(command_line(ins)),
        "shell" => {
            let w = at_least_one(ins, "SHELL")?;
            if !ins.json {
                return Err(
                    problem(At::Whole, "SHELL requires the arguments to be in JSON form")
                        .with_help("write it as a JSON array: SHELL [\"/bin/bash\", \"-c\"]"),
                );
            }
            Command::Shell(w.iter().map(text).collect())
        }
        "copy" | "add" => {
            let w = words(ins);
            if w.len() < 2 {
                return Err(problem(
                    At::Whole,
                    format!(
                        "{upper} requires at least two arguments, but only one was provided. Destination could not be determined."
                    ),
                ));
            }
            let copy = Copy {
                sources: w[..w.len() - 1].iter().map(text).collect(),
                dest: text(&w[w.len() - 1]),
                from: flags.string("from"),
                chown: flags.string("chown"),
                chmod: flags.string("chmod"),
                link: flags.bool("link").unwrap_or(false),
                parents: flags.bool("parents").unwrap_or(false),
                exclude: flags.strings("exclude"),
                checksum: flags.string("checksum"),
                keep_git_dir: flags.bool("keep-git-dir").unwrap_or(false),
                unpack: flags.bool("unpack"),
                heredocs: &ins.heredocs,
            };
            if name == "copy" {
                Command::Copy(copy)
            } else {
                Command::Add(copy)
            }
        }
        "env" => Command::Env(key_values(ins, "ENV")?),
        "label" => Command::Label(key_values(ins, "LABEL")?),
        "arg" => {
            let w = at_least_one(ins, "ARG")?;
            let mut decls = Vec::new();
            for word in &w {
                let t = text(word);
                let (name, default) = match t.split_once('=') {
                    Some((n, d)) => (n.to_string(), Some(d.to_string())),
                    None => (t, None),
                };
                if name.is_empty() {
                    return Err(problem(
                        At::Word(word.clone()),
                        "ARG names can not be blank",
                    ));
                }
                decls.push(ArgDecl { name, default });
            }
            Command::Arg(decls)
        }
        "expose" => Command::Expose(at_least_one(ins, "EXPOSE")?.iter().map(text).collect()),
        "user" => Command::User(exactly_one(ins, "USER")?),
        "workdir" => Command::Workdir(exactly_one(ins, "WORKDIR")?),
        "stopsignal" => Command::StopSignal(exactly_one(ins, "STOPSIGNAL")?),
        "maintainer" => Command::Maintainer(exactly_one(ins, "MAINTAINER")?),
        "volume" => {
            let w = at_least_one(ins, "VOLUME")?;
            if let Some(empty) = w
                .iter()
                .find(|w| w.value.iter().all(u8::is_ascii_whitespace))
            {
                return Err(problem(
                    At::Word(empty.clone()),
                    "VOLUME specified can not be an empty string",
                ));
            }
            Command::Volume(w.iter().map(text).collect())
        }
        "healthcheck" => healthcheck(ins, &flags)?,
        "onbuild" => {
            if in_onbuild {
                return Err(problem(At::Keyword, "ONBUILD ONBUILD isn't allowed"));
            }
            let Some(Arg::Nested(inner)) = ins.args.first() else {
                return Err(problem(At::Whole, "ONBUILD requires at least one argument"));
            };
            let trigger = inner.name();
            if trigger == "onbuild" {
                return Err(problem(
                    At::Word(inner.keyword.clone()),
                    "ONBUILD ONBUILD isn't allowed",
                ));
            }
            if trigger == "from" || trigger == "maintainer" {
                return Err(problem(
                    At::Word(inner.keyword.clone()),
                    format!(
                        "{} isn't allowed as an ONBUILD trigger",
                        trigger.to_uppercase()
                    ),
                ));
            }
            // The trigger's problems point into the trigger: its flag indices
            // and keyword are not the outer instruction's.
            let checked = check_inner(inner, true).map_err(|mut p| {
                p.at = match p.at {
                    At::Flag(i) => At::Word(inner.flags[i].clone()),
                    At::Keyword => At::Word(inner.keyword.clone()),
                    at => at,
                };
                p
            })?;
            Command::Onbuild(Box::new(checked))
        }
        _ => unreachable!("INSTRUCTIONS lists every name matched above"),
    };
    Ok(Typed { node: ins, command })
}

impl Problem {
    fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

fn healthcheck(ins: &Instruction, flags: &Flags) -> Result<Command<'static>, Problem> {
    let w = words(ins);
    let Some(kind) = w.first() else {
        return Err(problem(At::Whole, "HEALTHCHECK requires an argument"));
    };
    match kind.text().to_uppercase().as_str() {
        "NONE" => {
            if w.len() > 1 {
                return Err(problem(
                    At::Word(w[1].clone()),
                    "HEALTHCHECK NONE takes no arguments",
                ));
            }
            Ok(Command::Healthcheck(Healthcheck::None))
        }
        "CMD" => {
            if w.len() < 2 {
                return Err(problem(At::Whole, "Missing command after HEALTHCHECK CMD"));
            }
            let rest: Vec<String> = w[1..].iter().map(text).collect();
            let test = if ins.json {
                CommandLine::Exec(rest)
            } else {
                CommandLine::Shell(rest.join(" "))
            };
            let mut durations = Vec::new();
            for key in ["interval", "timeout", "start-period", "start-interval"] {
                let value = flags.string(key);
                if let Some(v) = &value {
                    match parse_go_duration(v) {
                        Some(d) if d == 0.0 || d >= 0.001 => {}
                        Some(_) => {
                            return Err(problem(
                                At::Flag(flags.index(key, 0)),
                                format!("{key} cannot be less than 1ms"),
                            ));
                        }
                        None => {
                            return Err(problem(
                                At::Flag(flags.index(key, 0)),
                                format!(
                                    "time: invalid duration {}",
                                    super::text::go_quote(v.as_bytes())
                                ),
                            )
                            .with_help("durations look like 30s, 1m30s or 500ms"));
                        }
                    }
                }
                durations.push(value);
            }
            let retries = match flags.string("retries") {
                None => None,
                Some(v) => match v.parse::<u32>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        return Err(problem(
                            At::Flag(flags.index("retries", 0)),
                            format!("--retries must be a non-negative integer, not {v}"),
                        ));
                    }
                },
            };
            let [interval, timeout, start_period, start_interval] =
                <[Option<String>; 4]>::try_from(durations).unwrap_or_default();
            Ok(Command::Healthcheck(Healthcheck::Cmd {
                test,
                interval,
                timeout,
                start_period,
                start_interval,
                retries,
            }))
        }
        other => Err(problem(
            At::Word(kind.clone()),
            format!(
                "Unknown type {} in HEALTHCHECK (try CMD)",
                super::text::go_quote(other.as_bytes())
            ),
        )),
    }
}

/// Go's `time.ParseDuration`, in seconds; `None` when it is not a duration.
pub fn parse_go_duration(s: &str) -> Option<f64> {
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return None;
        }
        let value: f64 = num.parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    Some(if neg { -total } else { total })
}

/// The closest known name within a small edit distance, for "did you mean".
pub fn suggest<'n>(word: &str, names: &[&'n str]) -> Option<&'n str> {
    names
        .iter()
        .map(|n| (edit_distance(word, n), *n))
        .filter(|(d, n)| *d <= 2 && *d < n.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
