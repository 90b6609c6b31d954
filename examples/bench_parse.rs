//! Parser throughput benchmark (run it through `scripts/bench-parse`).
//!
//! Generates, deterministically, a corpus of realistic Dockerfiles (multi-stage
//! Go, Node, Python and Rust builds with continuations, heredocs, `--mount`
//! flags, ENV/LABEL pairs, JSON forms and comments), then parses all of it on one
//! thread several times and prints the median MB/s (1 MB = 10^6 bytes) and instructions/s, for
//! `parse` alone and for `parse` followed by the typed view and the dump.
//!
//! ```text
//! cargo run --release --example bench_parse -- [--mb 12] [--runs 9] [--seed N]
//! cargo run --release --example bench_parse -- --write DIR [--files 300]
//! ```
//!
//! `--write` only writes that many generated files to DIR (for timing the CLI);
//! `--only parse` (or `parse-kept`, `parse+typed`, `parse+dump`) runs one measurement.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use hoist::syntax::{self, dump, typed};

/// splitmix64: small, fast, and the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const APT: &[&str] = &[
    "ca-certificates",
    "curl",
    "git",
    "build-essential",
    "pkg-config",
    "libssl-dev",
    "tzdata",
    "unzip",
    "jq",
    "gnupg",
    "openssh-client",
    "libpq-dev",
    "locales",
    "xz-utils",
];
const PIP: &[&str] = &[
    "requests==2.32.3",
    "flask>=3.0",
    "gunicorn",
    "numpy==2.1.0",
    "pydantic<3",
    "sqlalchemy",
    "uvicorn[standard]",
    "celery==5.4.0",
];
const NPM: &[&str] = &["typescript", "pnpm@9", "tsx", "esbuild", "prettier"];
const LABEL_KEYS: &[&str] = &[
    "org.opencontainers.image.source",
    "org.opencontainers.image.revision",
    "org.opencontainers.image.licenses",
    "org.opencontainers.image.title",
    "maintainer",
    "com.example.team",
];

fn comment(r: &mut Rng, out: &mut String) {
    let lines = [
        "# Build dependencies are cached separately from the sources.",
        "# Keep this layer small: it is pulled on every deploy.",
        "# NOTE: bump the base image together with the toolchain.",
        "# hadolint ignore=DL3008",
        "#   see docs/build.md for the release process",
    ];
    out.push_str(lines[r.below(lines.len())]);
    out.push('\n');
}

fn apt_install(r: &mut Rng, out: &mut String) {
    out.push_str("RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\\n");
    out.push_str("    --mount=type=cache,target=/var/lib/apt,sharing=locked \\\n");
    out.push_str("    apt-get update \\\n");
    out.push_str(" && apt-get install -y --no-install-recommends \\\n");
    let n = 2 + r.below(6);
    for _ in 0..n {
        out.push_str(&format!("        {} \\\n", r.pick(APT)));
    }
    if r.chance(30) {
        out.push_str("    # the docs are not needed in the image\n");
    }
    out.push_str(" && rm -rf /var/lib/apt/lists/*\n");
}

fn labels(r: &mut Rng, out: &mut String) {
    out.push_str("LABEL");
    let n = 1 + r.below(4);
    for i in 0..n {
        let key = r.pick(LABEL_KEYS);
        let value = match r.below(3) {
            0 => format!("\"https://git.example.com/team/svc-{}\"", r.below(1000)),
            1 => format!("v{}.{}.{}", r.below(5), r.below(20), r.below(50)),
            _ => "\"Platform Team <platform@example.com>\"".to_string(),
        };
        if i > 0 {
            out.push_str(" \\\n     ");
        }
        out.push_str(&format!(" {key}={value}"));
    }
    out.push('\n');
}

fn env(r: &mut Rng, out: &mut String, pairs: &[(&str, &str)]) {
    if r.chance(20) {
        // Legacy form, one per line.
        for (k, v) in pairs {
            out.push_str(&format!("ENV {k} {v}\n"));
        }
        return;
    }
    out.push_str("ENV ");
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push_str(" \\\n    ");
        }
        if v.contains(' ') {
            out.push_str(&format!("{k}=\"{v}\""));
        } else {
            out.push_str(&format!("{k}={v}"));
        }
    }
    out.push('\n');
}

fn heredoc_script(r: &mut Rng, out: &mut String) {
    let quoted = r.chance(40);
    let (open, name) = match (quoted, r.chance(30)) {
        (true, _) => ("<<'EOF'", "EOF"),
        (false, true) => ("<<-SCRIPT", "SCRIPT"),
        (false, false) => ("<<EOF", "EOF"),
    };
    out.push_str(&format!("RUN {open}\n"));
    out.push_str("set -eux\n");
    for _ in 0..2 + r.below(5) {
        let line = match r.below(5) {
            0 => "mkdir -p /srv/app/data /srv/app/logs".to_string(),
            1 => format!(
                "echo \"build ${{VERSION:-dev}} #{}\" > /etc/build-info",
                r.below(999)
            ),
            2 => "chown -R app:app /srv/app".to_string(),
            3 => "if [ -f /tmp/patch.diff ]; then git apply /tmp/patch.diff; fi".to_string(),
            _ => format!(
                "ln -sf /usr/share/zoneinfo/Etc/UTC /etc/localtime # {}",
                r.below(9)
            ),
        };
        if name == "SCRIPT" {
            out.push('\t');
        }
        out.push_str(&line);
        out.push('\n');
    }
    if name == "SCRIPT" {
        out.push('\t');
    }
    out.push_str(name);
    out.push('\n');
}

fn copy_heredoc(r: &mut Rng, out: &mut String) {
    out.push_str("COPY <<EOF /etc/app/config.toml\n");
    out.push_str("[server]\n");
    out.push_str(&format!("port = {}\n", 8000 + r.below(1000)));
    out.push_str("host = \"0.0.0.0\"\n[log]\nlevel = \"info\"\n");
    out.push_str("EOF\n");
}

fn runtime_stage(r: &mut Rng, out: &mut String, binary: &str, port: usize) {
    out.push('\n');
    let base = r.pick(&[
        "gcr.io/distroless/static-debian12:nonroot",
        "debian:bookworm-slim",
        "alpine:3.20",
        "ubuntu:24.04",
    ]);
    out.push_str(&format!("FROM {base} AS runtime\n"));
    labels(r, out);
    if base.starts_with("debian") || base.starts_with("ubuntu") {
        apt_install(r, out);
        out.push_str("RUN groupadd --system app && useradd --system --gid app app\n");
    }
    if r.chance(50) {
        copy_heredoc(r, out);
    }
    out.push_str(&format!(
        "COPY --from=build --chown=65532:65532 --chmod=0755 /out/{binary} /usr/local/bin/{binary}\n"
    ));
    out.push_str(&format!("EXPOSE {port}/tcp\n"));
    out.push_str("USER 65532:65532\n");
    out.push_str("WORKDIR /srv\n");
    if r.chance(60) {
        out.push_str(&format!(
            "HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \\\n    CMD [\"/usr/local/bin/{binary}\", \"healthcheck\", \"--port={port}\"]\n"
        ));
    }
    out.push_str("STOPSIGNAL SIGTERM\n");
    out.push_str(&format!("ENTRYPOINT [\"/usr/local/bin/{binary}\"]\n"));
    out.push_str(&format!(
        "CMD [\"serve\", \"--listen\", \":{port}\", \"--log-format=json\"]\n"
    ));
}

fn go(r: &mut Rng, out: &mut String) {
    let ver = r.pick(&["1.22", "1.23", "1.24"]);
    out.push_str(&format!("ARG GO_VERSION={ver}\n"));
    out.push_str("FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build\n");
    out.push_str("ARG TARGETOS TARGETARCH\n");
    out.push_str("WORKDIR /src\n");
    env(
        r,
        out,
        &[("CGO_ENABLED", "0"), ("GOFLAGS", "-trimpath -mod=readonly")],
    );
    out.push_str("COPY go.mod go.sum ./\n");
    out.push_str("RUN --mount=type=cache,target=/go/pkg/mod \\\n    go mod download -x\n");
    out.push_str("COPY . .\n");
    let bin = r.pick(&["api", "worker", "gateway", "scheduler"]);
    out.push_str(&format!(
        "RUN --mount=type=cache,target=/go/pkg/mod \\\n    --mount=type=cache,target=/root/.cache/go-build \\\n    GOOS=$TARGETOS GOARCH=$TARGETARCH \\\n    go build -ldflags=\"-s -w -X main.version=${{VERSION}}\" \\\n        -o /out/{bin} ./cmd/{bin}\n"
    ));
    if r.chance(50) {
        out.push_str("\nFROM build AS test\n");
        out.push_str("RUN --mount=type=cache,target=/root/.cache/go-build \\\n    go test -race ./... \\\n    && go vet ./...\n");
    }
    runtime_stage(r, out, bin, 8080);
}

fn node(r: &mut Rng, out: &mut String) {
    let ver = r.pick(&["20", "22", "23"]);
    out.push_str(&format!("FROM node:{ver}-alpine AS deps\n"));
    out.push_str("WORKDIR /app\n");
    out.push_str("COPY package.json pnpm-lock.yaml* package-lock.json* ./\n");
    out.push_str(&format!(
        "RUN --mount=type=cache,id=pnpm,target=/root/.local/share/pnpm/store \\\n    npm install -g {} \\\n && pnpm install --frozen-lockfile\n",
        r.pick(NPM)
    ));
    out.push_str("\nFROM deps AS build\n");
    env(
        r,
        out,
        &[("NODE_ENV", "production"), ("NEXT_TELEMETRY_DISABLED", "1")],
    );
    out.push_str("COPY . .\n");
    out.push_str("RUN pnpm run build \\\n && pnpm prune --prod\n");
    if r.chance(50) {
        heredoc_script(r, out);
    }
    out.push_str(&format!("\nFROM node:{ver}-alpine AS runtime\n"));
    out.push_str("WORKDIR /app\n");
    labels(r, out);
    out.push_str("COPY --from=build --chown=node:node /app/dist ./dist\n");
    out.push_str("COPY --from=build --chown=node:node /app/node_modules ./node_modules\n");
    out.push_str("USER node\nEXPOSE 3000\n");
    out.push_str("CMD [\"node\", \"--enable-source-maps\", \"dist/server.js\"]\n");
}

fn python(r: &mut Rng, out: &mut String) {
    let ver = r.pick(&["3.11", "3.12", "3.13"]);
    out.push_str(&format!("ARG PYTHON_VERSION={ver}\n"));
    out.push_str("FROM python:${PYTHON_VERSION}-slim AS base\n");
    env(
        r,
        out,
        &[
            ("PYTHONDONTWRITEBYTECODE", "1"),
            ("PYTHONUNBUFFERED", "1"),
            ("PIP_NO_CACHE_DIR", "off"),
            ("PATH", "/opt/venv/bin:$PATH"),
        ],
    );
    apt_install(r, out);
    out.push_str("\nFROM base AS build\n");
    out.push_str("RUN python -m venv /opt/venv\n");
    out.push_str("COPY requirements.txt .\n");
    out.push_str("RUN --mount=type=cache,target=/root/.cache/pip \\\n    pip install --upgrade pip wheel \\\n && pip install -r requirements.txt");
    for _ in 0..r.below(4) {
        out.push_str(&format!(" \\\n        \"{}\"", r.pick(PIP)));
    }
    out.push('\n');
    out.push_str("COPY --link src/ /app/src/\n");
    if r.chance(60) {
        heredoc_script(r, out);
    }
    out.push_str("\nFROM base AS runtime\n");
    labels(r, out);
    out.push_str("COPY --from=build /opt/venv /opt/venv\n");
    out.push_str("COPY --from=build /app /app\n");
    out.push_str("WORKDIR /app\n");
    out.push_str("VOLUME [\"/app/data\"]\n");
    out.push_str("EXPOSE 8000\n");
    out.push_str(
        "ENTRYPOINT [\"gunicorn\", \"-b\", \"0.0.0.0:8000\", \"-w\", \"4\", \"app.main:app\"]\n",
    );
}

fn rust(r: &mut Rng, out: &mut String) {
    let ver = r.pick(&["1.80", "1.83", "1.85"]);
    out.push_str(&format!("FROM rust:{ver}-bookworm AS chef\n"));
    out.push_str("RUN cargo install cargo-chef --locked\n");
    out.push_str("WORKDIR /app\n\n");
    out.push_str(
        "FROM chef AS planner\nCOPY . .\nRUN cargo chef prepare --recipe-path recipe.json\n\n",
    );
    out.push_str("FROM chef AS build\n");
    out.push_str("COPY --from=planner /app/recipe.json recipe.json\n");
    out.push_str("RUN --mount=type=cache,target=/usr/local/cargo/registry \\\n    --mount=type=cache,target=/app/target \\\n    cargo chef cook --release --recipe-path recipe.json\n");
    out.push_str("COPY . .\n");
    let bin = r.pick(&["server", "indexer", "proxy"]);
    out.push_str(&format!(
        "RUN --mount=type=cache,target=/usr/local/cargo/registry \\\n    --mount=type=cache,target=/app/target \\\n    cargo build --release --bin {bin} \\\n && mkdir -p /out && cp target/release/{bin} /out/{bin}\n"
    ));
    if r.chance(40) {
        out.push_str("RUN --mount=type=secret,id=sentry,target=/run/secrets/sentry \\\n    SENTRY_TOKEN=$(cat /run/secrets/sentry) ./scripts/upload-symbols.sh\n");
    }
    runtime_stage(r, out, bin, 9000);
}

/// One generated Dockerfile.
fn dockerfile(r: &mut Rng) -> String {
    let mut out = String::new();
    if r.chance(70) {
        out.push_str("# syntax=docker/dockerfile:1.7\n");
    }
    if r.chance(20) {
        out.push_str("# check=skip=JSONArgsRecommended\n");
    }
    comment(r, &mut out);
    out.push('\n');
    match r.below(4) {
        0 => go(r, &mut out),
        1 => node(r, &mut out),
        2 => python(r, &mut out),
        _ => rust(r, &mut out),
    }
    // Sprinkle comments and blank lines between instructions, as people do.
    let mut spaced = String::with_capacity(out.len() + 256);
    for line in out.split_inclusive('\n') {
        spaced.push_str(line);
        if line.starts_with("COPY . .") && r.chance(50) {
            comment(r, &mut spaced);
        }
    }
    if r.chance(30) {
        // Some files use CRLF line endings.
        spaced = spaced.replace('\n', "\r\n");
    }
    spaced
}

fn corpus(seed: u64, min_bytes: usize) -> Vec<Vec<u8>> {
    let mut r = Rng(seed);
    let mut files = Vec::new();
    let mut total = 0;
    while total < min_bytes {
        let f = dockerfile(&mut r).into_bytes();
        total += f.len();
        files.push(f);
    }
    files
}

/// This thread's time on a CPU so far (Linux: `/proc/thread-self/schedstat`).
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn main() {
    let mut mb = 12usize;
    let mut runs = 9usize;
    let mut seed = 0x0D0C_4E12u64;
    let mut write: Option<PathBuf> = None;
    let mut files = 300usize;
    let mut only: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--mb" => mb = val().parse().unwrap_or_else(|_| usage("--mb N")),
            "--runs" => runs = val().parse().unwrap_or_else(|_| usage("--runs N")),
            "--seed" => seed = val().parse().unwrap_or_else(|_| usage("--seed N")),
            "--files" => files = val().parse().unwrap_or_else(|_| usage("--files N")),
            "--write" => write = Some(PathBuf::from(val())),
            "--only" => only = Some(val()),
            _ => usage(&format!("unknown argument {a}")),
        }
    }

    if let Some(dir) = write {
        let mut r = Rng(seed);
        std::fs::create_dir_all(&dir).expect("create output directory");
        let mut bytes = 0;
        for i in 0..files {
            let f = dockerfile(&mut r);
            bytes += f.len();
            std::fs::write(dir.join(format!("{i:04}.Dockerfile")), f).expect("write file");
        }
        println!("wrote {files} files, {bytes} bytes, to {}", dir.display());
        return;
    }

    let corpus = corpus(seed, mb * 1_000_000);
    let bytes: usize = corpus.iter().map(Vec::len).sum();
    let mut instructions = 0usize;
    let mut lines = 0usize;
    for f in &corpus {
        lines += f.iter().filter(|&&b| b == b'\n').count();
        match syntax::parse(f) {
            Ok(file) => {
                instructions += file.instructions().count();
                if let Err(e) = typed::typed(&file) {
                    eprintln!("generated file fails the typed view: {e}");
                    std::process::exit(1);
                }
            }
            Err(e) => {
                eprintln!(
                    "generated file does not parse: {e}\n{}",
                    String::from_utf8_lossy(f)
                );
                std::process::exit(1);
            }
        }
    }
    let mb = bytes as f64 / 1e6;
    println!(
        "corpus: {} files, {:.2} MB ({bytes} bytes), {lines} lines, {instructions} instructions (seed {seed})",
        corpus.len(),
        mb
    );

    let measure = |label: &str, f: &dyn Fn(&[u8]) -> usize| {
        if only.as_deref().is_some_and(|o| o != label) {
            return;
        }
        // One warm-up pass, then the timed runs.
        for file in &corpus {
            black_box(f(file));
        }
        let mut times = Vec::with_capacity(runs);
        let mut cpu_times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let cpu_start = thread_cpu_time();
            let start = Instant::now();
            let mut n = 0;
            for file in &corpus {
                n += f(black_box(file));
            }
            times.push(start.elapsed());
            if let (Some(a), Some(b)) = (cpu_start, thread_cpu_time()) {
                cpu_times.push(b.saturating_sub(a));
            }
            black_box(n);
        }
        let best = *times.iter().min().unwrap();
        let med = median(times);
        let secs = med.as_secs_f64();
        println!(
            "{label:<12} median {:>7.1} ms  {:>7.1} MB/s  {:>5.2} M instructions/s  (best run {:.1} MB/s; {runs} runs)",
            secs * 1e3,
            mb / secs,
            instructions as f64 / secs / 1e6,
            mb / best.as_secs_f64(),
        );
        if cpu_times.len() == runs {
            // On a busy machine the wall clock also counts time spent waiting
            // for a core; the thread's own CPU time does not.
            let cpu = median(cpu_times).as_secs_f64();
            println!(
                "{:<12} on-CPU {:>7.1} ms  {:>7.1} MB/s  {:>5.2} M instructions/s  (thread CPU time, median)",
                "",
                cpu * 1e3,
                mb / cpu,
                instructions as f64 / cpu / 1e6,
            );
        }
    };

    // The trees kept until the run ends, as a tool holding many files does:
    // freeing them is then outside the timed part.
    if only.as_deref().is_none_or(|o| o == "parse-kept") {
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs + 1 {
            let mut trees = Vec::with_capacity(corpus.len());
            let start = Instant::now();
            for file in &corpus {
                trees.push(syntax::parse(black_box(file)));
            }
            times.push(start.elapsed());
            drop(black_box(trees));
        }
        times.remove(0); // warm-up
        let best = *times.iter().min().unwrap();
        let secs = median(times).as_secs_f64();
        println!(
            "{:<12} median {:>7.1} ms  {:>7.1} MB/s  {:>5.2} M instructions/s  (best run {:.1} MB/s; {runs} runs)",
            "parse-kept",
            secs * 1e3,
            mb / secs,
            instructions as f64 / secs / 1e6,
            mb / best.as_secs_f64(),
        );
    }
    measure("parse", &|src| match syntax::parse(src) {
        Ok(file) => file.items.len(),
        Err(_) => 0,
    });
    measure("parse+typed", &|src| match syntax::parse(src) {
        Ok(file) => typed::typed(&file).map_or(0, |t| t.len()),
        Err(_) => 0,
    });
    measure("parse+dump", &|src| match syntax::parse(src) {
        Ok(file) => dump::dump(&file).len(),
        Err(_) => 0,
    });
}

fn usage(msg: &str) -> ! {
    eprintln!("bench_parse: {msg}");
    eprintln!(
        "usage: bench_parse [--mb N] [--runs N] [--seed N] [--only LABEL] | --write DIR [--files N] [--seed N]"
    );
    std::process::exit(2);
}
