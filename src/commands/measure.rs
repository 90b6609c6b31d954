//! `hoist measure`: one real build, mapped onto the Dockerfile's steps and
//! appended to the timings store.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::MeasureArgs;
use hoist::engine::{self, BuildRequest, Docker};
use hoist::history::Repo;
use hoist::model::{self, BuildOptions};
use hoist::report;
use hoist::syntax;
use hoist::timing::{self, Run, Store};

use super::{build_args, read_input};

/// The Dockerfile modelled with these options; the error is ready to print.
pub fn model_of(shown: &str, bytes: &[u8], opts: &BuildOptions) -> Result<model::Build, String> {
    let color = std::io::stderr().is_terminal();
    let parsed =
        syntax::parse(bytes).map_err(|e| report::diagnostic::render(shown, bytes, &e, color))?;
    model::build(&parsed, opts).map_err(|e| match e {
        model::ModelError::Syntax(err) => report::diagnostic::render(shown, bytes, &err, color),
        other => format!("error: {shown}: {other}"),
    })
}

/// The repository root holding `dir`, else `dir` itself.
fn store_root(dir: &Path) -> PathBuf {
    Repo::open(dir)
        .ok()
        .and_then(|r| r.workdir())
        .and_then(|w| w.canonicalize().ok())
        .unwrap_or_else(|| dir.to_path_buf())
}

pub fn run(args: MeasureArgs) -> anyhow::Result<ExitCode> {
    let context = args.context.canonicalize().map_err(|e| {
        anyhow::anyhow!(
            "build context {} cannot be opened: {e}; pass the directory you give `docker build` with --context",
            args.context.display()
        )
    })?;
    if !context.is_dir() {
        anyhow::bail!(
            "build context {} is not a directory",
            args.context.display()
        );
    }
    let file = args
        .file
        .clone()
        .unwrap_or_else(|| context.join("Dockerfile"));
    let shown = file.display().to_string();
    let bytes = read_input(&file)?;
    let opts = BuildOptions {
        build_args: build_args(&args.build_args)?,
        target: args.target.clone(),
        platform: None,
    };
    let build = match model_of(&shown, &bytes, &opts) {
        Ok(b) => b,
        Err(msg) => {
            eprintln!("{msg}");
            return Ok(ExitCode::from(1));
        }
    };
    let docker = match Docker::detect(args.builder.as_deref()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let file_abs = if file.is_absolute() {
        file.clone()
    } else {
        std::env::current_dir()?.join(&file)
    };
    let req = BuildRequest {
        context: &context,
        dockerfile: Some(&file_abs),
        target: args.target.as_deref(),
        build_args: &opts.build_args,
        echo: true,
        timeout: None,
    };
    eprintln!(
        "hoist: {} {}",
        docker.client.display(),
        docker.build_args(&req).join(" ")
    );
    let out = match docker.build(&req) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let log = match timing::parse_log(&out.log) {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "error: cannot read the progress of this build (line {}): {}; nothing was recorded",
                e.line, e.message
            );
            if !out.success() {
                eprintln!("{}", out.tail(20));
            }
            return Ok(ExitCode::from(1));
        }
    };
    let mapping = timing::map_log(&build, &log);

    let root = store_root(&context);
    let store_path = args
        .store
        .clone()
        .unwrap_or_else(|| root.join(timing::store::DEFAULT_PATH));
    let file_canon = file_abs.canonicalize().unwrap_or(file_abs);
    let dockerfile = file_canon
        .strip_prefix(&root)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|_| file_canon.display().to_string());
    let run = Run {
        dockerfile,
        when: timing::time::now_rfc3339(),
        builder: Some(docker.builder_label()),
        platform: docker.platform(),
        source: "measure".into(),
        steps: timing::store::records(&build, &mapping),
    };
    let mut store = Store::load(&store_path)?;
    store.add_run(run);
    store.save(&store_path)?;

    let stdout = std::io::stdout();
    let mut o = stdout.lock();
    write!(o, "{}", engine::report::measure_table(&build, &mapping))?;
    let ran: f64 = mapping
        .steps
        .iter()
        .filter(|t| !t.cached)
        .filter_map(|t| t.seconds)
        .sum();
    let cached = mapping.steps.iter().filter(|t| t.cached).count();
    writeln!(
        o,
        "build {} in {:.1}s wall ({} steps ran for {ran:.1}s, {cached} cached); recorded in {}",
        if out.success() { "succeeded" } else { "FAILED" },
        out.wall.as_secs_f64(),
        mapping.steps.len() - cached,
        store_path.display()
    )?;
    if !mapping.unmatched.is_empty() {
        eprintln!(
            "warning: {} progress entries match no step of {shown}: {}",
            mapping.unmatched.len(),
            mapping.unmatched.join(", ")
        );
    }
    Ok(if out.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
