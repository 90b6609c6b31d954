//! From log vertices back to the model's steps: by the `[stage k/n]` label
//! BuildKit gives every vertex (`prefixCommand` in `dockerfile2llb/convert.go`),
//! with the instruction text as the fallback.
//!
//! How BuildKit numbers vertices (checked against the real logs in
//! `tests/fixtures/logs/`):
//! - `n` counts the stage's FROM of an external image, every ADD, COPY, RUN and
//!   WORKDIR (+ ONBUILD triggers in newer BuildKit; v0.8 leaves them out, so
//!   `[child 2/1]` happens);
//! - `k` is taken by each vertex as it is made: `WORKDIR /` and a FROM of a
//!   stage or `scratch` make none, so `k` is the model's `ordinal + 1`;
//! - a single-stage build has no stage name (`[ 2/13] RUN ...`), unnamed stages
//!   are `stage-N`, `k` is padded to the width of `n`, and a multi-platform
//!   build puts the platform first (`[linux/arm64 build 2/5]`);
//! - titles have build args and ENV substituted (`RUN echo "build a1b2c3"`),
//!   continuation lines joined with their blanks kept, the keyword upper-cased;
//! - the FROM vertex of an image several stages use is one vertex, with one of
//!   those stages' labels.

use crate::model::{Build, Step, StepKind};

use super::log::{BuildLog, LogFormat, VertexTiming};

/// What the log says about one step.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StepTiming {
    /// Index into `Build::steps`.
    pub step: usize,
    /// The step was a cache hit: every report of it was `CACHED` (for a FROM:
    /// any report, since BuildKit reports a base image `DONE` when it resolves
    /// it and `CACHED` when it reuses it).
    pub cached: bool,
    /// Seconds the step took, when the log gives a time.
    pub seconds: Option<f64>,
}

/// The whole mapping of a log onto a build.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Mapping {
    /// Steps the log reports (ran, cached or failed; not cancelled ones), in
    /// `Build::steps` order.
    pub steps: Vec<StepTiming>,
    /// Steps (indices into `Build::steps`) whose vertex failed.
    pub failed: Vec<usize>,
    /// Names of step vertices (`[stage k/n] ...`, `Step N/M : ...`) that match
    /// no step of the build: the log is of another Dockerfile or version.
    pub unmatched: Vec<String>,
}

/// Maps a log onto the build's steps; see [`map_log`].
pub fn map_steps(build: &Build, log: &BuildLog) -> Vec<StepTiming> {
    map_log(build, log).steps
}

/// The `[...]` label of a BuildKit vertex name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// `linux/arm64` (multi-platform builds only).
    pub platform: Option<String>,
    /// Stage name or `stage-N`; none in a single-stage build.
    pub stage: Option<String>,
    /// `k`: 1-based position of the vertex in its stage.
    pub index: usize,
    /// `n`: the stage's vertex count.
    pub total: usize,
    /// The vertex is an ONBUILD trigger (`[child 1/2] ONBUILD RUN ...`).
    pub onbuild: bool,
    /// The instruction after the label (and after `ONBUILD `).
    pub text: String,
}

/// Reads `[platform stage k/n] TEXT`; `None` for internal vertices
/// (`[internal] load ...`, `exporting to image`).
pub fn parse_label(name: &str) -> Option<Label> {
    let inner_end = name.find(']')?;
    let inner = name.strip_prefix('[')?.get(..inner_end - 1)?;
    let text = name[inner_end + 1..].trim_start();
    let mut tokens: Vec<&str> = inner.split_whitespace().collect();
    let counts = tokens.pop()?;
    let (k, n) = counts.split_once('/')?;
    let (index, total) = (k.parse().ok()?, n.parse().ok()?);
    let stage = match tokens.last() {
        Some(t) if !t.contains('/') => tokens.pop().map(str::to_string),
        _ => None,
    };
    let platform = (!tokens.is_empty()).then(|| tokens.join(" "));
    let (onbuild, text) = match text.strip_prefix("ONBUILD ") {
        Some(t) => (true, t.trim_start()),
        None => (false, text),
    };
    Some(Label {
        platform,
        stage,
        index,
        total,
        onbuild,
        text: text.to_string(),
    })
}

/// The platform the log's labels name, when the build was multi-platform.
pub fn label_platform(log: &BuildLog) -> Option<String> {
    log.vertices
        .iter()
        .find_map(|v| parse_label(&v.name).and_then(|l| l.platform))
}

fn kind_of(keyword: &str) -> Option<StepKind> {
    Some(match keyword.to_ascii_uppercase().as_str() {
        "FROM" => StepKind::From,
        "RUN" => StepKind::Run,
        "COPY" => StepKind::Copy,
        "ADD" => StepKind::Add,
        "WORKDIR" => StepKind::Workdir,
        _ => return None,
    })
}

/// Blanks collapsed, keyword upper-cased, a leading `ONBUILD ` dropped.
fn normalize_text(s: &str) -> Vec<char> {
    let mut words: Vec<&str> = s.split_whitespace().collect();
    if words
        .first()
        .is_some_and(|w| w.eq_ignore_ascii_case("ONBUILD"))
    {
        words.remove(0);
    }
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if i == 0 {
            out.push_str(&w.to_ascii_uppercase());
        } else {
            out.push_str(w);
        }
    }
    out.chars().collect()
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Char(char),
    /// A `$VAR` / `${VAR...}` reference: BuildKit substitutes it in the title.
    Any,
}

fn pattern(instruction: &str) -> Vec<Tok> {
    let chars = normalize_text(instruction);
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() => {
                out.push(Tok::Char(chars[i + 1]));
                i += 2;
            }
            '$' if chars.get(i + 1) == Some(&'{') => {
                let mut depth = 0;
                let mut j = i + 1;
                while j < chars.len() {
                    match chars[j] {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                out.push(Tok::Any);
                i = j + 1;
            }
            '$' if chars
                .get(i + 1)
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == '_') =>
            {
                let mut j = i + 1;
                while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                out.push(Tok::Any);
                i = j;
            }
            _ => {
                out.push(Tok::Char(c));
                i += 1;
            }
        }
    }
    out
}

/// Glob match of a title against a pattern where `Any` matches any run of
/// characters (a substituted value may hold blanks, or be empty) and a blank
/// next to an `Any` may vanish (an empty value's blanks collapse).
fn glob(pat: &[Tok], text: &[char]) -> bool {
    let optional = |p: usize| {
        pat[p] == Tok::Char(' ')
            && (p > 0 && pat[p - 1] == Tok::Any || pat.get(p + 1) == Some(&Tok::Any))
    };
    // ok[t]: the pattern so far matches text[..t].
    let mut ok = vec![false; text.len() + 1];
    ok[0] = true;
    for (p, tok) in pat.iter().enumerate() {
        let mut next = vec![false; text.len() + 1];
        for t in 0..=text.len() {
            match tok {
                Tok::Any => next[t] = ok[t] || (t > 0 && next[t - 1]),
                Tok::Char(c) => {
                    next[t] = (t > 0 && ok[t - 1] && text[t - 1] == *c) || (optional(p) && ok[t]);
                }
            }
        }
        ok = next;
    }
    ok[text.len()]
}

/// Whether a vertex title (after the label) is this step's instruction, with
/// build args and ENV substituted.
fn text_matches(step: &Step, title: &str) -> bool {
    if step.kind == StepKind::From {
        let Some(image) = title_image(title) else {
            return false;
        };
        return step_image(step).is_some_and(|i| same_image(&i, image))
            || glob(&pattern(&step.instruction), &normalize_text(title));
    }
    glob(&pattern(&step.instruction), &normalize_text(title))
}

/// The image of a `FROM ...` title.
fn title_image(title: &str) -> Option<&str> {
    let mut words = title.split_whitespace();
    let kw = words.next()?;
    if !kw.eq_ignore_ascii_case("FROM") {
        return None;
    }
    words.find(|w| !w.starts_with("--"))
}

/// The (expanded) image a FROM step pulls.
fn step_image(step: &Step) -> Option<String> {
    step.definition
        .iter()
        .find(|c| c.name == "image")
        .map(|c| c.value.clone())
}

/// `hoist-base:1` and `docker.io/library/hoist-base:1@sha256:...` name the same image.
fn same_image(a: &str, b: &str) -> bool {
    let (an, ad) = split_image(a);
    let (bn, bd) = split_image(b);
    match (ad, bd) {
        (Some(x), Some(y)) if x != y => false,
        // Both by digest only (no tag): the digest decides.
        (Some(_), Some(_)) => an == bn || an.ends_with(":latest") || bn.ends_with(":latest"),
        _ => an == bn,
    }
}

/// Normalized `name:tag` and the digest of an image reference.
fn split_image(r: &str) -> (String, Option<String>) {
    let (name, digest) = match r.split_once('@') {
        Some((n, d)) => (n, Some(d.to_ascii_lowercase())),
        None => (r, None),
    };
    let name = name
        .strip_prefix("docker.io/library/")
        .or_else(|| name.strip_prefix("index.docker.io/library/"))
        .or_else(|| name.strip_prefix("docker.io/"))
        .or_else(|| name.strip_prefix("index.docker.io/"))
        .unwrap_or(name);
    let last = name.rsplit('/').next().unwrap_or(name);
    let name = if last.contains(':') {
        name.to_string()
    } else {
        format!("{name}:latest")
    };
    (name.to_ascii_lowercase(), digest)
}

fn stage_by_label(build: &Build, label: Option<&str>) -> Option<usize> {
    match label {
        Some(name) => build
            .stages
            .iter()
            .position(|s| s.display_name().eq_ignore_ascii_case(name)),
        None if build.stages.len() == 1 => Some(0),
        None => None,
    }
}

/// One report of a step.
#[derive(Debug, Clone)]
struct Hit {
    cached: bool,
    seconds: Option<f64>,
    failed: bool,
}

impl Hit {
    fn of(v: &VertexTiming) -> Hit {
        Hit {
            cached: v.cached,
            seconds: v.seconds,
            failed: v.error.is_some(),
        }
    }
}

/// Maps every step vertex of the log onto a step of the build. Internal
/// vertices are ignored; reports of the same step are merged; cancelled
/// vertices are left out.
pub fn map_log(build: &Build, log: &BuildLog) -> Mapping {
    let mut hits: Vec<Vec<Hit>> = vec![Vec::new(); build.steps.len()];
    let mut unmatched = Vec::new();
    match log.format {
        LogFormat::Legacy => map_legacy(build, log, &mut hits, &mut unmatched),
        LogFormat::RawJson | LogFormat::Plain => {
            map_labelled(build, log, &mut hits, &mut unmatched)
        }
    }
    let mut mapping = Mapping {
        unmatched,
        ..Mapping::default()
    };
    for (index, hs) in hits.iter().enumerate() {
        if hs.is_empty() {
            continue;
        }
        let from = build.steps[index].kind == StepKind::From;
        let cached = if from {
            hs.iter().any(|h| h.cached)
        } else {
            hs.iter().all(|h| h.cached)
        };
        let seconds = if from || cached {
            hs.iter().find_map(|h| h.seconds)
        } else {
            hs.iter()
                .filter(|h| !h.cached)
                .filter_map(|h| h.seconds)
                .reduce(|a, b| a + b)
                .map(|s| (s * 1000.0).round() / 1000.0)
        };
        mapping.steps.push(StepTiming {
            step: index,
            cached,
            seconds,
        });
        if hs.iter().any(|h| h.failed) {
            mapping.failed.push(index);
        }
    }
    mapping
}

fn map_labelled(build: &Build, log: &BuildLog, hits: &mut [Vec<Hit>], unmatched: &mut Vec<String>) {
    // FROM vertices by image, to give a base image vertex to every stage using it.
    let mut from_vertices: Vec<(String, &VertexTiming)> = Vec::new();
    for v in &log.vertices {
        if v.canceled() {
            continue;
        }
        let Some(label) = parse_label(&v.name) else {
            continue;
        };
        let Some(kind) = label.text.split_whitespace().next().and_then(kind_of) else {
            continue;
        };
        if kind == StepKind::From
            && let Some(image) = title_image(&label.text)
        {
            from_vertices.push((image.to_string(), v));
        }
        let stage = stage_by_label(build, label.stage.as_deref());
        if label.stage.is_some() && stage.is_none() {
            // A stage this Dockerfile does not have.
            unmatched.push(v.name.clone());
            continue;
        }
        let by_index = stage
            .and_then(|s| build.stages[s].steps.get(label.index.wrapping_sub(1)))
            .copied()
            .filter(|&i| build.steps[i].kind == kind);
        let confident = by_index.filter(|&i| text_matches(&build.steps[i], &label.text));
        let step = confident
            .or_else(|| by_text(build, stage, kind, &label.text, hits))
            .or(by_index);
        match step {
            Some(i) => hits[i].push(Hit::of(v)),
            None => unmatched.push(v.name.clone()),
        }
    }
    // A base image vertex carries one stage's label; the other stages built
    // from the same image share it.
    for step in &build.steps {
        if step.kind != StepKind::From || !hits[step.index].is_empty() {
            continue;
        }
        let stage = &build.stages[step.stage];
        let built = stage.steps.iter().any(|&i| !hits[i].is_empty())
            || (stage.steps.len() == 1 && build.reachable[step.stage]);
        if !built {
            continue;
        }
        let Some(image) = step_image(step) else {
            continue;
        };
        if let Some((_, v)) = from_vertices.iter().find(|(i, _)| same_image(&image, i)) {
            hits[step.index].push(Hit::of(v));
        }
    }
}

/// The step of `kind` whose instruction the title is: in `stage` when given,
/// preferring steps no vertex has claimed yet and stages the target needs.
fn by_text(
    build: &Build,
    stage: Option<usize>,
    kind: StepKind,
    title: &str,
    hits: &[Vec<Hit>],
) -> Option<usize> {
    let candidates: Vec<usize> = build
        .steps
        .iter()
        .filter(|s| s.kind == kind && stage.is_none_or(|st| s.stage == st))
        .filter(|s| text_matches(s, title))
        .map(|s| s.index)
        .collect();
    let rank = |&i: &usize| (!hits[i].is_empty(), !build.reachable[build.steps[i].stage]);
    candidates.iter().min_by_key(|i| rank(i)).copied()
}

/// The legacy builder prints every instruction (`Step 4/16 : COPY go.mod ./`),
/// in file order, unexpanded: match them to the steps in order by text.
fn map_legacy(build: &Build, log: &BuildLog, hits: &mut [Vec<Hit>], unmatched: &mut Vec<String>) {
    let mut cursor = 0;
    for v in &log.vertices {
        let Some((_, instruction)) = v.name.split_once(" : ") else {
            continue;
        };
        let Some(kind) = instruction.split_whitespace().next().and_then(kind_of) else {
            continue;
        };
        if kind == StepKind::From {
            // FROM <stage> and FROM scratch make no step.
            let image = title_image(instruction).unwrap_or("");
            let is_stage = build.stages.iter().any(|s| {
                s.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(image))
            }) || image.eq_ignore_ascii_case("scratch");
            if is_stage {
                continue;
            }
        }
        let found = build.steps[cursor..]
            .iter()
            .chain(build.steps[..cursor].iter())
            .find(|s| s.kind == kind && hits[s.index].is_empty() && legacy_matches(s, instruction))
            .map(|s| s.index);
        match found {
            Some(i) => {
                hits[i].push(Hit::of(v));
                cursor = i + 1;
            }
            // `WORKDIR /` makes no step.
            None if kind == StepKind::Workdir => {}
            None => unmatched.push(v.name.clone()),
        }
    }
}

fn legacy_matches(step: &Step, instruction: &str) -> bool {
    let pat = pattern(&step.instruction);
    let text = normalize_text(instruction);
    // The legacy builder prints the instruction as written, unexpanded.
    glob(&pat, &text)
        || (step.kind == StepKind::From
            && title_image(instruction)
                .zip(step_image(step))
                .is_some_and(|(a, b)| same_image(a, &b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        let l = parse_label("[builder  3/12] RUN go build").unwrap();
        assert_eq!(
            l,
            Label {
                platform: None,
                stage: Some("builder".into()),
                index: 3,
                total: 12,
                onbuild: false,
                text: "RUN go build".into()
            }
        );
        let l = parse_label("[ 2/13] WORKDIR /opt/app").unwrap();
        assert_eq!((l.stage, l.index, l.total), (None, 2, 13));
        let l = parse_label("[linux/arm64 build 2/5] ONBUILD COPY . .").unwrap();
        assert_eq!(l.platform.as_deref(), Some("linux/arm64"));
        assert_eq!(l.stage.as_deref(), Some("build"));
        assert!(l.onbuild);
        assert_eq!(l.text, "COPY . .");
        let l = parse_label("[linux/amd64->arm64 2/5] RUN x").unwrap();
        assert_eq!(
            (l.platform.as_deref(), l.stage),
            (Some("linux/amd64->arm64"), None)
        );
        assert_eq!(parse_label("[internal] load .dockerignore"), None);
        assert_eq!(parse_label("exporting to image"), None);
    }

    #[test]
    fn wildcard_titles() {
        let m = |p: &str, t: &str| glob(&pattern(p), &normalize_text(t));
        assert!(m(
            "RUN echo \"deps for go $GO_VERSION\" > /deps.txt && cat go.mod",
            "RUN echo \"deps for go 1.22\" > /deps.txt &&     cat go.mod"
        ));
        assert!(m(
            "run cat v.txt ${PREFIX}/app/a.txt",
            "RUN cat v.txt /opt/app/a.txt"
        ));
        assert!(m("RUN echo ${A:-x}$B end", "RUN echo  end"));
        assert!(!m("RUN echo $A end", "RUN echo x y"));
        assert!(!m("COPY a ./", "COPY b ./"));
    }

    #[test]
    fn images() {
        assert!(same_image("hoist-base:1", "docker.io/library/hoist-base:1"));
        assert!(same_image("busybox", "docker.io/library/busybox:latest"));
        assert!(same_image(
            "hoist-base:1",
            "docker.io/library/hoist-base:1@sha256:abc"
        ));
        assert!(!same_image("hoist-base:1", "hoist-base:2"));
        assert!(same_image("ghcr.io/o/x:1", "ghcr.io/o/x:1"));
        assert!(!same_image("x@sha256:aa", "x@sha256:bb"));
    }
}
