//! The example repository `hoist demo` replays, modelled on the case in
//! `shared/docs/story.md`: a Go service (a Postgres wire-protocol server on
//! DuckDB) that ships three images — server, control plane, worker — from three
//! Dockerfiles with the cache-hostile layout of the story (`COPY . .` before the
//! version ARGs, the per-commit VERSION/COMMIT declared before the compile and
//! the five extension downloads), built by a GitHub Actions workflow for two
//! architectures with the gha cache in `mode=max`, the worker once per DuckDB
//! version.
//!
//! Everything is scripted and deterministic: a seeded PRNG ([`Rng`]) drives the
//! history, authors and dates are fixed, and the repository is written by one
//! `git fast-import` process fed a generated stream, so the commit ids are the
//! same on every run and every machine.
//!
//! The timings store ([`timings`]) holds seconds modelled on the CI measurements
//! the story reports (worker ≈ 367 s, server ≈ 288 s, control plane ≈ 241 s per
//! build, the final CGO link dominating); its runs say `source: "demo"`: they
//! were not measured on this machine.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::model::{self, BuildOptions, StepKind};
use crate::syntax;
use crate::timing::store::{Run, StepRecord, Store};

/// Commits after the initial import.
pub const SCRIPTED_COMMITS: usize = 320;

/// The scripted mix (the rest of [`SCRIPTED_COMMITS`] is source-only).
const GO_SUM_BUMPS: usize = 10;
const EXTENSION_BUMPS: usize = 10;
const DOCS_ONLY: usize = 6;
const DOCKERFILE_EDITS: usize = 4;
const CI_EDITS: usize = 3;

/// The PRNG seed: change it and every commit id changes.
const SEED: u64 = 0x686f_6973_7464_656d; // "hoistdem"

/// Monday 2025-03-03 00:00:00 UTC.
const START: i64 = 1_740_960_000;

/// SplitMix64: small, fast, and good enough to script a history.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// What a scripted commit changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Source,
    GoSum,
    Extension,
    Docs,
    Dockerfile,
    Ci,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Source => "source-only",
            Kind::GoSum => "go.mod/go.sum bumps",
            Kind::Extension => "extension-version bumps",
            Kind::Docs => "docs-only",
            Kind::Dockerfile => "Dockerfile edits",
            Kind::Ci => "CI edits",
        }
    }
}

/// The three images.
pub const IMAGES: [Image; 3] = [Image::Server, Image::ControlPlane, Image::Worker];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Image {
    Server,
    ControlPlane,
    Worker,
}

impl Image {
    pub fn dockerfile(self) -> &'static str {
        match self {
            Image::Server => "Dockerfile",
            Image::ControlPlane => "Dockerfile.controlplane",
            Image::Worker => "Dockerfile.worker",
        }
    }

    fn binary(self) -> &'static str {
        match self {
            Image::Server => "server",
            Image::ControlPlane => "controlplane",
            Image::Worker => "worker",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The DuckDB versions the worker is built for (the workflow's matrix).
pub const DUCKDB_VERSIONS: [&str; 4] = ["1.1.3", "1.2.2", "1.3.2", "1.4.1"];

/// The bundled extensions and their ARG names.
const EXTENSIONS: [(&str, &str); 5] = [
    ("httpfs", "HTTPFS_VERSION"),
    ("ducklake", "DUCKLAKE_VERSION"),
    ("json", "JSON_VERSION"),
    ("postgres_scanner", "POSTGRES_SCANNER_VERSION"),
    ("iceberg", "ICEBERG_VERSION"),
];

const AUTHORS: [&str; 6] = [
    "Ana Ruiz <ana.ruiz@example.com>",
    "Ben Okafor <ben.okafor@example.com>",
    "Chen Wei <chen.wei@example.com>",
    "Dana Kowalski <dana.kowalski@example.com>",
    "Emil Sorensen <emil.sorensen@example.com>",
    "Farah Haddad <farah.haddad@example.com>",
];

/// What `generate` made.
#[derive(Debug, Clone)]
pub struct Generated {
    /// Commits in the repository (the initial import and the scripted ones).
    pub commits: usize,
    /// Scripted commits per kind, in [`Kind`] order.
    pub kinds: Vec<(Kind, usize)>,
    /// Files at HEAD.
    pub files: usize,
    /// Go packages under internal/.
    pub packages: usize,
    /// Bytes of the fast-import stream.
    pub stream_bytes: usize,
    /// Seconds `git fast-import` (and the checkout) took.
    pub import_seconds: f64,
    /// Seconds generating the stream took.
    pub script_seconds: f64,
    /// Every version of each Dockerfile with the time of its commit, oldest first.
    pub dockerfile_versions: Vec<(String, Vec<(String, i64)>)>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "git is needed to write the demo repository and was not found ({0}); install it (Debian: `apt-get install git`)"
    )]
    NoGit(std::io::Error),
    #[error("`git {args}` failed: {stderr}")]
    Git { args: String, stderr: String },
    #[error("cannot write the demo repository in {dir}: {source}")]
    Io { dir: String, source: std::io::Error },
}

// ---------------------------------------------------------------------------
// The world: the files of the repository as the history goes on.

struct Dep {
    module: &'static str,
    version: (u32, u32, u32),
}

struct GoFunc {
    name: String,
    timeout_ms: u32,
    limit: u32,
    checks: Vec<u32>,
}

struct GoFile {
    path: String,
    package: String,
    doc: &'static str,
    funcs: Vec<GoFunc>,
}

/// Packages under internal/: name, doc line, nouns its functions are about.
const PACKAGES: [(&str, &str, &[&str]); 10] = [
    (
        "wire",
        "implements the PostgreSQL frontend/backend protocol",
        &[
            "startup", "parse", "bind", "describe", "portal", "sync", "copy", "notice",
        ],
    ),
    (
        "catalog",
        "emulates pg_catalog and information_schema on DuckDB",
        &[
            "pg_type",
            "pg_class",
            "oid",
            "namespace",
            "attribute",
            "index",
        ],
    ),
    (
        "duck",
        "wraps DuckDB connections and extension loading",
        &[
            "conn",
            "extension",
            "pragma",
            "appender",
            "pool",
            "settings",
        ],
    ),
    (
        "rewrite",
        "rewrites PostgreSQL SQL into DuckDB SQL using pg_query",
        &[
            "cast",
            "function",
            "array",
            "interval",
            "returning",
            "collation",
        ],
    ),
    (
        "auth",
        "implements SCRAM-SHA-256 and password authentication",
        &["scram", "nonce", "password", "role", "token"],
    ),
    (
        "config",
        "loads configuration from flags, files and the environment",
        &["flag", "file", "default", "limit", "tls"],
    ),
    (
        "controlplane",
        "schedules databases onto workers",
        &["placement", "lease", "heartbeat", "tenant", "quota"],
    ),
    (
        "worker",
        "runs queries and maintenance jobs on a DuckDB file",
        &["job", "checkpoint", "vacuum", "snapshot", "queue"],
    ),
    (
        "ducklake",
        "attaches DuckLake catalogs and their data paths",
        &["attach", "catalog", "data_path", "snapshot", "compaction"],
    ),
    (
        "metrics",
        "exports Prometheus metrics",
        &["counter", "histogram", "label", "exporter"],
    ),
];

const VERBS: [&str; 12] = [
    "handle", "parse", "encode", "decode", "resolve", "validate", "load", "flush", "apply",
    "lookup", "register", "refresh",
];

struct World {
    rng: Rng,
    files: BTreeMap<String, String>,
    go: Vec<GoFile>,
    deps: Vec<Dep>,
    /// Per image, the extension versions of its Dockerfile's ARG defaults.
    ext: [[String; 5]; 3],
    go_image: &'static str,
    tzdata: bool,
    oci_label: bool,
    gotoolchain: bool,
    ci_timeout: bool,
    ci_vet: bool,
    ci_go: &'static str,
    docs_rev: usize,
    readme_rev: usize,
}

/// A random word from a list (a helper so `&&str` need not be dereferenced at call sites).
fn pick_str<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[rng.below(items.len())]
}

fn camel(verb: &str, noun: &str) -> String {
    let mut out = verb.to_string();
    for part in noun.split('_') {
        let mut c = part.chars();
        if let Some(f) = c.next() {
            out.push(f.to_ascii_uppercase());
            out.extend(c);
        }
    }
    out
}

impl GoFunc {
    fn new(rng: &mut Rng, nouns: &[&str]) -> GoFunc {
        GoFunc {
            name: camel(pick_str(rng, &VERBS), pick_str(rng, nouns)),
            timeout_ms: [250, 500, 1000, 2000, 5000][rng.below(5)],
            limit: 16 << rng.below(8),
            checks: Vec::new(),
        }
    }

    fn render(&self, package: &str, out: &mut String) {
        out.push_str(&format!(
            "// {} is called by the {package} handlers; it gives up after {} ms.\n\
             func {}(ctx context.Context, n int) error {{\n\
             \tctx, cancel := context.WithTimeout(ctx, {}*time.Millisecond)\n\
             \tdefer cancel()\n\
             \tif n > {} {{\n\
             \t\treturn fmt.Errorf(\"{package}: {}: %d exceeds {}\", n)\n\
             \t}}\n",
            self.name,
            self.timeout_ms,
            self.name,
            self.timeout_ms,
            self.limit,
            self.name,
            self.limit
        ));
        for c in &self.checks {
            out.push_str(&format!("\tif n%{c} == 0 {{\n\t\treturn ctx.Err()\n\t}}\n"));
        }
        out.push_str("\treturn nil\n}\n");
    }
}

impl GoFile {
    fn render(&self) -> String {
        let mut out = String::new();
        if !self.doc.is_empty() && !self.path.ends_with("_test.go") {
            out.push_str(&format!("// Package {} {}.\n", self.package, self.doc));
        }
        out.push_str(&format!(
            "package {}\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\t\"time\"\n)\n",
            self.package
        ));
        for f in &self.funcs {
            out.push('\n');
            f.render(&self.package, &mut out);
        }
        out
    }
}

fn fake_hash(rng: &mut Rng) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::from("h1:");
    for _ in 0..43 {
        s.push(B64[rng.below(64)] as char);
    }
    s.push('=');
    s
}

impl World {
    fn new() -> World {
        let mut rng = Rng::new(SEED);
        let mut go = Vec::new();
        for (pkg, doc, nouns) in PACKAGES {
            let n_files = 2 + rng.below(2);
            for i in 0..n_files {
                let name = if i == 0 {
                    pkg.to_string()
                } else {
                    nouns[i % nouns.len()].to_string()
                };
                let funcs = (0..2 + rng.below(3))
                    .map(|_| GoFunc::new(&mut rng, nouns))
                    .collect();
                go.push(GoFile {
                    path: format!("internal/{pkg}/{name}.go"),
                    package: pkg.to_string(),
                    doc: if i == 0 { doc } else { "" },
                    funcs,
                });
            }
            go.push(GoFile {
                path: format!("internal/{pkg}/{pkg}_test.go"),
                package: pkg.to_string(),
                doc,
                funcs: vec![GoFunc::new(&mut rng, nouns)],
            });
        }
        let deps = vec![
            Dep {
                module: "github.com/marcboeker/go-duckdb/v2",
                version: (2, 1, 0),
            },
            Dep {
                module: "github.com/pganalyze/pg_query_go/v6",
                version: (6, 0, 0),
            },
            Dep {
                module: "github.com/jackc/pgx/v5",
                version: (5, 7, 2),
            },
            Dep {
                module: "github.com/prometheus/client_golang",
                version: (1, 20, 5),
            },
            Dep {
                module: "github.com/spf13/cobra",
                version: (1, 8, 1),
            },
            Dep {
                module: "go.uber.org/zap",
                version: (1, 27, 0),
            },
            Dep {
                module: "golang.org/x/sync",
                version: (0, 10, 0),
            },
            Dep {
                module: "google.golang.org/grpc",
                version: (1, 69, 2),
            },
        ];
        let ext = ["1.2.2", "0.1.0", "1.2.2", "0.4.1", "0.3.0"].map(str::to_string);
        let mut w = World {
            rng,
            files: BTreeMap::new(),
            go,
            deps,
            ext: [ext.clone(), ext.clone(), ext],
            go_image: "1.23.4",
            tzdata: false,
            oci_label: false,
            gotoolchain: false,
            ci_timeout: false,
            ci_vet: false,
            ci_go: "1.23.4",
            docs_rev: 0,
            readme_rev: 0,
        };
        for f in static_files() {
            w.files.insert(f.0.to_string(), f.1.to_string());
        }
        for i in 0..w.go.len() {
            let text = w.go[i].render();
            w.files.insert(w.go[i].path.clone(), text);
        }
        for image in IMAGES {
            w.files.insert(
                format!("cmd/{}/main.go", image.binary()),
                main_go(image.binary()),
            );
        }
        w.render_go_mod();
        w.render_dockerfiles();
        w.render_workflows();
        w.render_docs();
        w
    }

    fn render_go_mod(&mut self) {
        let mut m = String::from("module github.com/pgduck/pgduck\n\ngo 1.23\n\nrequire (\n");
        for d in &self.deps {
            let (a, b, c) = d.version;
            m.push_str(&format!("\t{} v{a}.{b}.{c}\n", d.module));
        }
        m.push_str(")\n");
        let mut sum = String::new();
        for d in &self.deps {
            let (a, b, c) = d.version;
            // Hashes depend on the module and version only, so a bump changes
            // that module's two lines.
            let mut rng = Rng::new(SEED ^ 0x5eed);
            for ch in format!("{} v{a}.{b}.{c}", d.module).bytes() {
                rng.0 = rng.0.wrapping_mul(31).wrapping_add(ch as u64);
            }
            sum.push_str(&format!(
                "{} v{a}.{b}.{c} {}\n{} v{a}.{b}.{c}/go.mod {}\n",
                d.module,
                fake_hash(&mut rng),
                d.module,
                fake_hash(&mut rng)
            ));
        }
        self.files.insert("go.mod".into(), m);
        self.files.insert("go.sum".into(), sum);
    }

    fn render_dockerfiles(&mut self) {
        for image in IMAGES {
            let text = dockerfile(self, image);
            self.files.insert(image.dockerfile().into(), text);
        }
    }

    fn render_workflows(&mut self) {
        self.files.insert(
            ".github/workflows/images.yml".into(),
            images_yml(self.ci_timeout),
        );
        self.files.insert(
            ".github/workflows/test.yml".into(),
            test_yml(self.ci_vet, self.ci_go),
        );
    }

    fn render_docs(&mut self) {
        let mut readme = String::from(
            "# pgduck\n\nA PostgreSQL wire-protocol server on DuckDB. Clients connect with any\n\
             Postgres driver; queries are rewritten with pg_query and run on DuckDB with\n\
             the httpfs, ducklake, json, postgres_scanner and iceberg extensions.\n\n\
             ## Images\n\n- `server` (Dockerfile): the wire-protocol server\n\
             - `controlplane` (Dockerfile.controlplane): places databases on workers\n\
             - `worker` (Dockerfile.worker): one per supported DuckDB version\n",
        );
        for i in 0..self.readme_rev {
            readme.push_str(&format!(
                "\n## Note {}\n\n{}\n",
                i + 1,
                DOC_PARAGRAPHS[i % DOC_PARAGRAPHS.len()]
            ));
        }
        self.files.insert("README.md".into(), readme);
        for (i, (name, title)) in DOCS.iter().enumerate() {
            let mut text = format!("# {title}\n\n{}\n", DOC_PARAGRAPHS[i]);
            // Docs edits append to one page in turn.
            let extra = self.docs_rev / DOCS.len() + usize::from(i < self.docs_rev % DOCS.len());
            for k in 0..extra {
                text.push_str(&format!(
                    "\n{}\n",
                    DOC_PARAGRAPHS[(i + k + 1) % DOC_PARAGRAPHS.len()]
                ));
            }
            self.files.insert(format!("docs/{name}"), text);
        }
    }

    /// A source-only change: edit 1–3 Go files of one or two packages, sometimes
    /// add a test or a file. Returns the commit message.
    fn source_change(&mut self) -> String {
        let first = self.rng.below(self.go.len());
        let pkg = self.go[first].package.clone();
        let nouns = PACKAGES
            .iter()
            .find(|p| p.0 == pkg)
            .map(|p| p.2)
            .unwrap_or(&["thing"]);
        let mut touched = vec![first];
        let extra = self.rng.below(3);
        for _ in 0..extra {
            let same: Vec<usize> = (0..self.go.len())
                .filter(|i| self.go[*i].package == pkg && !touched.contains(i))
                .collect();
            if !same.is_empty() {
                touched.push(*self.rng.pick(&same));
            }
        }
        let noun = *self.rng.pick(nouns);
        let mut added_file = false;
        if self.rng.chance(4) {
            let n = self.go.iter().filter(|f| f.package == pkg).count();
            let name = format!("internal/{pkg}/{noun}_{n}.go");
            if !self.files.contains_key(&name) {
                let mut rng = self.rng.clone();
                self.go.push(GoFile {
                    path: name,
                    package: pkg.clone(),
                    doc: "",
                    funcs: vec![GoFunc::new(&mut rng, nouns), GoFunc::new(&mut rng, nouns)],
                });
                self.rng = rng;
                touched.push(self.go.len() - 1);
                added_file = true;
            }
        }
        for &i in &touched {
            let op = self.rng.below(10);
            let file = &mut self.go[i];
            if op < 4 || file.funcs.is_empty() {
                let mut rng = self.rng.clone();
                file.funcs.push(GoFunc::new(&mut rng, nouns));
                self.rng = rng;
            } else {
                let k = self.rng.below(file.funcs.len());
                let f = &mut file.funcs[k];
                match op {
                    4 | 5 => {
                        let choices: Vec<u32> = [100, 250, 750, 1500, 3000, 10000]
                            .into_iter()
                            .filter(|t| *t != f.timeout_ms)
                            .collect();
                        f.timeout_ms = choices[self.rng.below(choices.len())];
                    }
                    6 | 7 => f.checks.push(2 + self.rng.below(30) as u32),
                    _ => f.limit = f.limit * 2 + 1,
                }
            }
            let text = self.go[i].render();
            self.files.insert(self.go[i].path.clone(), text);
        }
        // A change in a command's wiring now and then.
        if self.rng.chance(8) {
            let image = *self.rng.pick(&IMAGES);
            let path = format!("cmd/{}/main.go", image.binary());
            let mut text = self.files[&path].clone();
            text.push_str(&format!(
                "\n// {}: wired in {}.\n",
                camel("init", noun),
                pkg
            ));
            self.files.insert(path, text);
        }
        let templates: [&str; 14] = [
            "fix {n} handling when the client disconnects",
            "handle {n} in the extended query protocol",
            "add tests for {n}",
            "simplify {n}",
            "log {n} at debug level",
            "validate {n} before use",
            "speed up {n}",
            "return a clear error for a bad {n}",
            "support {n} options",
            "refactor {n} lookup",
            "fix a race in {n}",
            "time out {n} after the configured limit",
            "document {n} behaviour",
            "count {n} errors in metrics",
        ];
        let msg = self
            .rng
            .pick(&templates)
            .replace("{n}", &noun.replace('_', " "));
        if added_file {
            format!("{pkg}: {msg} (new file)")
        } else {
            format!("{pkg}: {msg}")
        }
    }

    fn go_sum_bump(&mut self) -> String {
        let i = self.rng.below(self.deps.len());
        let d = &mut self.deps[i];
        if self.rng.chance(20) {
            d.version.1 += 1;
            d.version.2 = 0;
        } else {
            d.version.2 += 1;
        }
        let (a, b, c) = d.version;
        let msg = format!("deps: bump {} to v{a}.{b}.{c}", d.module);
        self.render_go_mod();
        msg
    }

    fn extension_bump(&mut self) -> String {
        let e = self.rng.below(EXTENSIONS.len());
        let worker_only = self.rng.chance(30);
        let mut new = String::new();
        for image in IMAGES {
            if worker_only && image != Image::Worker {
                continue;
            }
            let v = &mut self.ext[image.index()][e];
            let mut parts: Vec<u32> = v.split('.').filter_map(|p| p.parse().ok()).collect();
            if let Some(last) = parts.last_mut() {
                *last += 1;
            }
            *v = parts
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(".");
            new = v.clone();
        }
        self.render_dockerfiles();
        format!(
            "{}: bump the {} extension to {new}",
            if worker_only {
                "worker image"
            } else {
                "images"
            },
            EXTENSIONS[e].0
        )
    }

    fn docs_change(&mut self) -> String {
        let readme = self.rng.chance(35);
        if readme {
            self.readme_rev += 1;
        } else {
            self.docs_rev += 1;
        }
        self.render_docs();
        if readme {
            "README: add a note on connecting with psql".into()
        } else {
            let page = DOCS[(self.docs_rev - 1) % DOCS.len()];
            format!("docs: expand {}", page.1.to_lowercase())
        }
    }

    fn dockerfile_edit(&mut self, n: usize) -> String {
        let msg = match n {
            0 => {
                self.go_image = "1.23.6";
                "images: build with golang 1.23.6"
            }
            1 => {
                self.tzdata = true;
                "server image: install tzdata for log timestamps"
            }
            2 => {
                self.oci_label = true;
                "images: label with the OCI source"
            }
            _ => {
                self.gotoolchain = true;
                "worker image: GOTOOLCHAIN=local so the toolchain is never downloaded"
            }
        };
        self.render_dockerfiles();
        msg.into()
    }

    fn ci_edit(&mut self, n: usize) -> String {
        let msg = match n {
            0 => {
                self.ci_vet = true;
                "ci: run go vet"
            }
            1 => {
                self.ci_timeout = true;
                "ci: time out image builds after 45 minutes"
            }
            _ => {
                self.ci_go = "1.23.6";
                "ci: test with go 1.23.6"
            }
        };
        self.render_workflows();
        msg.into()
    }
}

const DOCS: [(&str, &str); 4] = [
    ("architecture.md", "Architecture"),
    ("operations.md", "Operations"),
    ("extensions.md", "Extensions"),
    ("compatibility.md", "Compatibility"),
];

const DOC_PARAGRAPHS: [&str; 6] = [
    "The server speaks the PostgreSQL protocol version 3. Each connection gets its\nown DuckDB connection from a pool; prepared statements are cached per session.",
    "Run one control plane per region. Workers register with a heartbeat every\nfive seconds and are considered gone after three missed beats.",
    "Extensions are bundled in the image under /opt/pgduck/extensions and loaded\nwith LOAD at startup; nothing is downloaded at run time.",
    "Most of the pg_catalog views clients query on connect are emulated; see the\nlist below for the functions that are rewritten to DuckDB equivalents.",
    "Set PGDUCK_MAX_CONNECTIONS to bound the number of sessions. Queries beyond\nthe limit wait in a queue instead of failing.",
    "DuckLake catalogs are attached read-write by the worker that owns them and\nread-only everywhere else.",
];

fn main_go(name: &str) -> String {
    format!(
        "package main\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\t\"os\"\n\t\"os/signal\"\n)\n\n\
         var (\n\tversion = \"dev\"\n\tcommit  = \"unknown\"\n)\n\n\
         func main() {{\n\tctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)\n\
         \tdefer stop()\n\tfmt.Fprintf(os.Stderr, \"{name} %s (%s)\\n\", version, commit)\n\
         \tif err := run(ctx, os.Args[1:]); err != nil {{\n\t\tfmt.Fprintln(os.Stderr, err)\n\t\tos.Exit(1)\n\t}}\n}}\n\n\
         func run(ctx context.Context, args []string) error {{\n\t<-ctx.Done()\n\treturn nil\n}}\n"
    )
}

fn static_files() -> Vec<(&'static str, &'static str)> {
    vec![
        (".dockerignore", ".git\ndata/\n.idea/\n.vscode/\n"),
        (
            ".gitignore",
            "/data/\n/.idea/\n/.vscode/\n/.hoist/\n*.duckdb\n*.duckdb.wal\n",
        ),
        (
            "Makefile",
            "build:\n\tCGO_ENABLED=1 go build ./cmd/...\n\ntest:\n\tgo test ./...\n",
        ),
        (
            "scripts/extensions.sh",
            "#!/bin/sh\n# Lists the DuckDB extensions the images bundle.\necho httpfs ducklake json postgres_scanner iceberg\n",
        ),
    ]
}

fn dockerfile(w: &World, image: Image) -> String {
    let ext = &w.ext[image.index()];
    let bin = image.binary();
    let mut s = String::from("# syntax=docker/dockerfile:1\n");
    s.push_str(&format!("FROM golang:{}-bookworm AS build\n", w.go_image));
    s.push_str(
        "RUN apt-get update && apt-get install -y --no-install-recommends build-essential ca-certificates curl && rm -rf /var/lib/apt/lists/*\n",
    );
    s.push_str("WORKDIR /src\n");
    if image == Image::Worker && w.gotoolchain {
        s.push_str("ENV GOTOOLCHAIN=local\n");
    }
    s.push_str("COPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\n\n");
    s.push_str("ARG TARGETARCH\nARG VERSION=dev\nARG COMMIT=unknown\n");
    s.push_str(&format!("ARG DUCKDB_VERSION={}\n", DUCKDB_VERSIONS[1]));
    for (i, (_, arg)) in EXTENSIONS.iter().enumerate() {
        s.push_str(&format!("ARG {arg}={}\n", ext[i]));
    }
    s.push_str(&format!(
        "RUN CGO_ENABLED=1 go build -tags duckdb_use_lib -ldflags \"-s -w -X main.version=${{VERSION}} -X main.commit=${{COMMIT}}\" -o /out/{bin} ./cmd/{bin}\n\n"
    ));
    s.push_str("# DuckDB extensions bundled in the image\n");
    for (name, arg) in EXTENSIONS {
        s.push_str(&format!(
            "RUN curl -fsSL --retry 3 --create-dirs -o /out/ext/{name}.duckdb_extension.gz https://extensions.example.com/{name}/${{{arg}}}/v${{DUCKDB_VERSION}}/linux_${{TARGETARCH}}/{name}.duckdb_extension.gz\n"
        ));
    }
    s.push_str("\nFROM debian:bookworm-slim\n");
    if w.oci_label {
        s.push_str("LABEL org.opencontainers.image.source=https://github.com/pgduck/pgduck\n");
    }
    s.push_str(&format!(
        "RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libstdc++6{} && rm -rf /var/lib/apt/lists/*\n",
        if image == Image::Server && w.tzdata {
            " tzdata"
        } else {
            ""
        }
    ));
    s.push_str(&format!(
        "COPY --from=build /out/{bin} /usr/local/bin/{bin}\nCOPY --from=build /out/ext /opt/pgduck/extensions\n"
    ));
    s.push_str("ENV PGDUCK_EXTENSION_DIR=/opt/pgduck/extensions\n");
    if image == Image::Server {
        s.push_str("EXPOSE 5432\n");
    }
    s.push_str(&format!("ENTRYPOINT [\"/usr/local/bin/{bin}\"]\n"));
    s
}

fn images_yml(timeout: bool) -> String {
    let timeout = if timeout {
        "    timeout-minutes: 45\n"
    } else {
        ""
    };
    format!(
        r#"name: images

on:
  push:
    branches: [main]
  pull_request:

env:
  REGISTRY: ghcr.io/pgduck

jobs:
  services:
    name: ${{{{ matrix.image }}}} image
    runs-on: ubuntu-24.04
{timeout}    strategy:
      fail-fast: false
      matrix:
        image: [server, controlplane]
        include:
          - image: server
            dockerfile: Dockerfile
          - image: controlplane
            dockerfile: Dockerfile.controlplane
    steps:
      - uses: actions/checkout@v4
      - uses: docker/setup-qemu-action@v3
      - uses: docker/setup-buildx-action@v3
      - uses: docker/login-action@v3
        with:
          registry: ghcr.io
          username: ${{{{ github.actor }}}}
          password: ${{{{ secrets.GITHUB_TOKEN }}}}
      - name: Build and push ${{{{ matrix.image }}}}
        uses: docker/build-push-action@v6
        with:
          context: .
          file: ${{{{ matrix.dockerfile }}}}
          platforms: linux/amd64,linux/arm64
          push: ${{{{ github.event_name == 'push' }}}}
          tags: ${{{{ env.REGISTRY }}}}/${{{{ matrix.image }}}}:${{{{ github.sha }}}}
          build-args: |
            VERSION=${{{{ github.ref_name }}}}-${{{{ github.sha }}}}
            COMMIT=${{{{ github.sha }}}}
          cache-from: type=gha,scope=${{{{ matrix.image }}}}
          cache-to: type=gha,mode=max,scope=${{{{ matrix.image }}}}

  worker:
    name: worker image (DuckDB ${{{{ matrix.duckdb }}}})
    runs-on: ubuntu-24.04
{timeout}    strategy:
      fail-fast: false
      matrix:
        duckdb: [{versions}]
    steps:
      - uses: actions/checkout@v4
      - uses: docker/setup-qemu-action@v3
      - uses: docker/setup-buildx-action@v3
      - uses: docker/login-action@v3
        with:
          registry: ghcr.io
          username: ${{{{ github.actor }}}}
          password: ${{{{ secrets.GITHUB_TOKEN }}}}
      - name: Build and push the worker
        uses: docker/build-push-action@v6
        with:
          context: .
          file: Dockerfile.worker
          platforms: linux/amd64,linux/arm64
          push: ${{{{ github.event_name == 'push' }}}}
          tags: ${{{{ env.REGISTRY }}}}/worker:${{{{ matrix.duckdb }}}}-${{{{ github.sha }}}}
          build-args: |
            VERSION=${{{{ github.ref_name }}}}-${{{{ github.sha }}}}
            COMMIT=${{{{ github.sha }}}}
            DUCKDB_VERSION=${{{{ matrix.duckdb }}}}
          cache-from: type=gha,scope=worker-${{{{ matrix.duckdb }}}}
          cache-to: type=gha,mode=max,scope=worker-${{{{ matrix.duckdb }}}}
"#,
        versions = DUCKDB_VERSIONS.join(", ")
    )
}

fn test_yml(vet: bool, go: &str) -> String {
    let vet = if vet {
        "      - run: go vet ./...\n"
    } else {
        ""
    };
    format!(
        "name: test\n\non: [push, pull_request]\n\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/setup-go@v5\n        with:\n          go-version: \"{go}\"\n{vet}      - run: CGO_ENABLED=1 go test ./...\n"
    )
}

// ---------------------------------------------------------------------------
// The history and the fast-import stream.

/// Commit times: working hours on weekdays, 20 minutes to 4 hours apart.
struct Clock {
    t: i64,
}

impl Clock {
    fn advance(&mut self, rng: &mut Rng) -> i64 {
        self.t += 1200 + rng.below(4 * 3600 - 1200) as i64;
        loop {
            let day = self.t.div_euclid(86_400);
            let secs = self.t.rem_euclid(86_400);
            let weekday = (day + 3).rem_euclid(7); // 0 = Monday
            if weekday >= 5 {
                self.t = (day + 7 - weekday) * 86_400 + 9 * 3600 + rng.below(3600) as i64;
            } else if secs >= 18 * 3600 {
                self.t = (day + 1) * 86_400 + 9 * 3600 + rng.below(3600) as i64;
            } else if secs < 9 * 3600 {
                self.t = day * 86_400 + 9 * 3600 + rng.below(3600) as i64;
            } else {
                return self.t;
            }
        }
    }
}

fn data(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(format!("data {}\n", bytes.len()).as_bytes());
    out.extend_from_slice(bytes);
    out.push(b'\n');
}

fn commit(
    out: &mut Vec<u8>,
    author: &str,
    time: i64,
    message: &str,
    changed: &[(String, String, bool)],
) {
    out.extend_from_slice(b"commit refs/heads/main\n");
    out.extend_from_slice(format!("author {author} {time} +0000\n").as_bytes());
    out.extend_from_slice(format!("committer {author} {time} +0000\n").as_bytes());
    data(out, format!("{message}\n").as_bytes());
    for (path, text, exec) in changed {
        let mode = if *exec { "100755" } else { "100644" };
        out.extend_from_slice(format!("M {mode} inline {path}\n").as_bytes());
        data(out, text.as_bytes());
    }
    out.push(b'\n');
}

/// The order of the scripted commits: a seeded shuffle of the mix.
fn schedule(rng: &mut Rng) -> Vec<Kind> {
    let mut kinds = Vec::with_capacity(SCRIPTED_COMMITS);
    for (k, n) in [
        (Kind::GoSum, GO_SUM_BUMPS),
        (Kind::Extension, EXTENSION_BUMPS),
        (Kind::Docs, DOCS_ONLY),
        (Kind::Dockerfile, DOCKERFILE_EDITS),
        (Kind::Ci, CI_EDITS),
    ] {
        kinds.extend(std::iter::repeat_n(k, n));
    }
    kinds.resize(SCRIPTED_COMMITS, Kind::Source);
    for i in (1..kinds.len()).rev() {
        let j = rng.below(i + 1);
        kinds.swap(i, j);
    }
    kinds
}

/// The fast-import stream of the whole history, and what it holds.
pub fn stream() -> (Vec<u8>, Generated) {
    let started = Instant::now();
    let mut w = World::new();
    let mut out = Vec::with_capacity(1 << 20);
    let mut clock = Clock { t: START };
    let mut versions: Vec<Vec<(String, i64)>> = vec![Vec::new(); IMAGES.len()];
    let record = |w: &World, versions: &mut Vec<Vec<(String, i64)>>, t: i64| {
        for image in IMAGES {
            let text = &w.files[image.dockerfile()];
            let list = &mut versions[image.index()];
            if list.last().is_none_or(|(last, _)| last != text) {
                list.push((text.clone(), t));
            }
        }
    };
    let t0 = clock.advance(&mut w.rng);
    let all: Vec<(String, String, bool)> = w
        .files
        .iter()
        .map(|(p, t)| (p.clone(), t.clone(), p.ends_with(".sh")))
        .collect();
    commit(&mut out, AUTHORS[0], t0, "Initial import", &all);
    record(&w, &mut versions, t0);
    let kinds = schedule(&mut w.rng);
    let (mut docker_n, mut ci_n) = (0, 0);
    for kind in &kinds {
        let before = w.files.clone();
        let message = match kind {
            Kind::Source => w.source_change(),
            Kind::GoSum => w.go_sum_bump(),
            Kind::Extension => w.extension_bump(),
            Kind::Docs => w.docs_change(),
            Kind::Dockerfile => {
                docker_n += 1;
                w.dockerfile_edit(docker_n - 1)
            }
            Kind::Ci => {
                ci_n += 1;
                w.ci_edit(ci_n - 1)
            }
        };
        let changed: Vec<(String, String, bool)> = w
            .files
            .iter()
            .filter(|(p, t)| before.get(*p) != Some(t))
            .map(|(p, t)| (p.clone(), t.clone(), p.ends_with(".sh")))
            .collect();
        debug_assert!(!changed.is_empty(), "{kind:?} changed nothing");
        let author = *w.rng.pick(&AUTHORS);
        let t = clock.advance(&mut w.rng);
        commit(&mut out, author, t, &message, &changed);
        record(&w, &mut versions, t);
    }
    let mut counts: BTreeMap<Kind, usize> = BTreeMap::new();
    for k in &kinds {
        *counts.entry(*k).or_default() += 1;
    }
    let generated = Generated {
        commits: kinds.len() + 1,
        kinds: counts.into_iter().collect(),
        files: w.files.len(),
        packages: PACKAGES.len(),
        stream_bytes: out.len(),
        import_seconds: 0.0,
        script_seconds: started.elapsed().as_secs_f64(),
        dockerfile_versions: IMAGES
            .iter()
            .map(|i| (i.dockerfile().to_string(), versions[i.index()].clone()))
            .collect(),
    };
    (out, generated)
}

fn git(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Result<(), DemoError> {
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(dir)
        .args(args)
        // The user's configuration must not change what is written.
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(DemoError::NoGit)?;
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(bytes).map_err(|e| DemoError::Io {
            dir: dir.display().to_string(),
            source: e,
        })?;
    }
    let output = child.wait_with_output().map_err(|e| DemoError::Io {
        dir: dir.display().to_string(),
        source: e,
    })?;
    if !output.status.success() {
        return Err(DemoError::Git {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    Ok(())
}

/// Writes the demo repository into `dir` (which must not exist or be empty)
/// with one `git fast-import`, and checks out `main`.
pub fn generate(dir: &Path) -> Result<Generated, DemoError> {
    let io = |e| DemoError::Io {
        dir: dir.display().to_string(),
        source: e,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let (bytes, mut generated) = stream();
    let started = Instant::now();
    git(
        dir,
        &[
            "-c",
            "init.defaultBranch=main",
            "init",
            "--quiet",
            "--object-format=sha1",
        ],
        None,
    )?;
    git(
        dir,
        &["fast-import", "--quiet", "--done"],
        Some(&{
            let mut b = bytes;
            b.extend_from_slice(b"done\n");
            b
        }),
    )?;
    git(dir, &["symbolic-ref", "HEAD", "refs/heads/main"], None)?;
    git(dir, &["reset", "--quiet", "--hard", "main"], None)?;
    generated.import_seconds = started.elapsed().as_secs_f64();
    Ok(generated)
}

// ---------------------------------------------------------------------------
// Timings

/// Modelled seconds of one step of one image (amd64), from the story's
/// measurements: a full per-commit build of ≈ 288 s (server), 241 s (control
/// plane), 367 s (worker), the go build (compile and the ≈ 68 s CGO link) dominating.
fn step_seconds(image: Image, kind: StepKind, instruction: &str) -> f64 {
    let i = instruction;
    let per_image = |s: f64, c: f64, w: f64| match image {
        Image::Server => s,
        Image::ControlPlane => c,
        Image::Worker => w,
    };
    match kind {
        StepKind::From if i.contains("golang") => 7.9,
        StepKind::From => 2.1,
        StepKind::Workdir => 0.1,
        StepKind::Copy if i.contains("go.mod") => 0.2,
        StepKind::Copy if i.contains(". .") => per_image(1.6, 1.4, 1.5),
        StepKind::Copy if i.contains("/out/ext") => 0.9,
        StepKind::Copy => per_image(1.1, 0.8, 1.3),
        StepKind::Run if i.contains("build-essential") => 21.4,
        StepKind::Run if i.contains("apt-get") => 9.8,
        StepKind::Run if i.contains("go mod download") => 38.6,
        StepKind::Run if i.contains("go build") => per_image(259.8, 225.6, 338.6),
        StepKind::Run if i.contains("curl") => {
            let ext = EXTENSIONS
                .iter()
                .position(|(name, _)| i.contains(&format!("/{name}.duckdb")))
                .unwrap_or(0);
            let table = match image {
                Image::Server => [6.1, 4.2, 3.3, 5.4, 5.0],
                Image::ControlPlane => [2.6, 1.9, 1.5, 3.1, 2.9],
                Image::Worker => [6.3, 4.0, 3.5, 5.5, 5.1],
            };
            table[ext]
        }
        _ => 0.3,
    }
}

/// The timings store of the demo: for each Dockerfile, an amd64 and an arm64
/// run of its last version, and an amd64 run of each earlier version that has
/// steps the later runs do not cover. Every run says `source: "demo"`.
pub fn timings(generated: &Generated) -> Store {
    let mut store = Store::default();
    let mut rng = Rng::new(SEED ^ 0x7133);
    for (image, (path, versions)) in IMAGES.iter().zip(&generated.dockerfile_versions) {
        let mut covered: Vec<(String, String)> = Vec::new();
        for (n, (text, time)) in versions.iter().enumerate().rev() {
            let Ok(parsed) = syntax::parse(text.as_bytes()) else {
                continue;
            };
            let Ok(build) = model::build(&parsed, &BuildOptions::default()) else {
                continue;
            };
            let keys: Vec<(String, String)> = build
                .steps
                .iter()
                .map(|s| (build.stages[s.stage].display_name(), s.instruction.clone()))
                .collect();
            let last = n + 1 == versions.len();
            if !last && keys.iter().all(|k| covered.contains(k)) {
                continue;
            }
            covered.extend(keys);
            let platforms: &[&str] = if last {
                &["linux/amd64", "linux/arm64"]
            } else {
                &["linux/amd64"]
            };
            for platform in platforms {
                let steps = build
                    .steps
                    .iter()
                    .map(|s| {
                        let base = step_seconds(*image, s.kind, &s.instruction);
                        // ±3% between runs; arm64 compiles a little slower.
                        let jitter = 0.97 + rng.below(61) as f64 / 1000.0;
                        let arch = if platform.ends_with("arm64") && s.kind == StepKind::Run {
                            1.04
                        } else {
                            1.0
                        };
                        let seconds = (base * jitter * arch * 10.0).round() / 10.0;
                        StepRecord {
                            line: s.line,
                            stage: build.stages[s.stage].display_name(),
                            instruction: s.instruction.clone(),
                            kind: match s.kind {
                                StepKind::From => "from",
                                StepKind::Run => "run",
                                StepKind::Copy => "copy",
                                StepKind::Add => "add",
                                StepKind::Workdir => "workdir",
                            }
                            .to_string(),
                            seconds: Some(seconds),
                            cached: false,
                            failed: false,
                        }
                    })
                    .collect();
                store.add_run(Run {
                    dockerfile: path.clone(),
                    when: rfc3339(*time + 900),
                    builder: Some("github-actions (demo)".into()),
                    platform: Some(platform.to_string()),
                    source: "demo".into(),
                    steps,
                });
            }
        }
    }
    store
}

/// `2025-03-03T09:12:00Z` from unix seconds (UTC).
pub fn rfc3339(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_is_deterministic_and_has_the_mix() {
        let (a, g) = stream();
        let (b, _) = stream();
        assert_eq!(a, b);
        assert_eq!(g.commits, SCRIPTED_COMMITS + 1);
        let count = |k| g.kinds.iter().find(|(x, _)| *x == k).map(|x| x.1).unwrap();
        assert_eq!(count(Kind::GoSum), GO_SUM_BUMPS);
        assert!(count(Kind::Source) * 100 / SCRIPTED_COMMITS >= 89);
        assert_eq!(g.dockerfile_versions.len(), 3);
    }

    #[test]
    fn dockerfiles_model_and_timings_match_the_story() {
        let (_, g) = stream();
        let store = timings(&g);
        assert!(store.runs().iter().all(|r| r.source == "demo"));
        for (path, versions) in &g.dockerfile_versions {
            let (text, _) = versions.last().unwrap();
            let parsed = syntax::parse(text.as_bytes()).unwrap();
            let build = model::build(&parsed, &BuildOptions::default()).unwrap();
            let curls = build
                .steps
                .iter()
                .filter(|s| s.instruction.starts_with("RUN curl"))
                .count();
            assert_eq!(curls, 5, "{path}");
            // A source commit re-runs COPY . ., the build, the downloads and the
            // runtime copies: about the story's per-build figure.
            let run = store
                .runs()
                .iter()
                .find(|r| &r.dockerfile == path && r.platform.as_deref() == Some("linux/amd64"))
                .unwrap();
            let per_commit: f64 = run
                .steps
                .iter()
                .filter(|s| {
                    ["COPY . .", "go build", "RUN curl", "COPY --from"]
                        .iter()
                        .any(|x| s.instruction.contains(x))
                })
                .filter_map(|s| s.seconds)
                .sum();
            let want = match path.as_str() {
                "Dockerfile" => 288.0,
                "Dockerfile.controlplane" => 241.0,
                _ => 367.0,
            };
            assert!(
                (per_commit - want).abs() < want * 0.05,
                "{path}: {per_commit} s per commit, want about {want}"
            );
        }
    }

    #[test]
    fn dates() {
        assert_eq!(rfc3339(START), "2025-03-03T00:00:00Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
