//! Stages: names, what each is built from, and which ones the target needs (R6.3).

/// What a stage starts from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Base {
    Image(String),
    /// `FROM <earlier stage>`: inherits its whole state (R6.2).
    Stage(usize),
    Scratch,
}

#[derive(Debug, Clone)]
pub struct Stage {
    pub index: usize,
    /// Lower-cased name after `AS` (names match case-insensitively).
    pub name: Option<String>,
    pub line: usize,
    pub base: Base,
    /// Stages this one needs: its base, `COPY --from`, `--mount from=`.
    pub deps: Vec<usize>,
    /// Indices (into `Build::steps`) of its vertices, in order.
    pub steps: Vec<usize>,
    /// Lines of its ONBUILD instructions, run by stages built `FROM` this one.
    pub onbuild: Vec<usize>,
}

impl Stage {
    /// The name users know it by: its name, or its index.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("stage-{}", self.index))
    }
}

/// A stage by name (case-insensitive) or index.
pub fn find(stages: &[Stage], name: &str) -> Option<usize> {
    let lower = name.to_lowercase();
    stages
        .iter()
        .position(|s| s.name.as_deref() == Some(lower.as_str()))
        .or_else(|| {
            let index = lower.strip_prefix("stage-").unwrap_or(&lower);
            index.parse::<usize>().ok().filter(|&i| i < stages.len())
        })
}

/// Stages reachable from the target through bases and `--from` edges.
pub fn reachable(stages: &[Stage], target: usize) -> Vec<bool> {
    let mut seen = vec![false; stages.len()];
    let mut todo = vec![target];
    while let Some(s) = todo.pop() {
        if s >= stages.len() || seen[s] {
            continue;
        }
        seen[s] = true;
        todo.extend(stages[s].deps.iter().copied());
    }
    seen
}

/// The target and the stages it is built `FROM`, transitively.
pub fn base_chain(stages: &[Stage], target: usize) -> Vec<bool> {
    let mut chain = vec![false; stages.len()];
    let mut s = Some(target);
    while let Some(i) = s {
        if i >= stages.len() || chain[i] {
            break;
        }
        chain[i] = true;
        s = match stages[i].base {
            Base::Stage(p) => Some(p),
            _ => None,
        };
    }
    chain
}
