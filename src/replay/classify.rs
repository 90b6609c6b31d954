//! What kind of change a commit is, from the paths it touched: the classes a team
//! reasons about when it asks where CI minutes go.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeClass {
    /// A Dockerfile or ignore file changed beyond ARG defaults.
    DockerfileEdit,
    /// Only ARG defaults (versions) in a Dockerfile, or a version file, changed.
    VersionBump,
    /// A dependency manifest or lock file changed.
    Dependencies,
    /// Source files changed.
    Source,
    /// Only documentation or CI configuration changed.
    DocsCi,
    /// Nothing changed (an empty commit).
    Empty,
}

impl ChangeClass {
    pub fn label(self) -> &'static str {
        match self {
            ChangeClass::DockerfileEdit => "Dockerfile edits",
            ChangeClass::VersionBump => "build-arg or version bumps",
            ChangeClass::Dependencies => "dependency manifests",
            ChangeClass::Source => "source-only",
            ChangeClass::DocsCi => "docs/CI-only",
            ChangeClass::Empty => "empty",
        }
    }
}

/// Manifest and lock files of the ecosystems hoist knows (shared/docs/ecosystems.md).
pub fn is_manifest(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(
        name,
        "go.mod"
            | "go.sum"
            | "go.work"
            | "go.work.sum"
            | "Cargo.toml"
            | "Cargo.lock"
            | "package.json"
            | "package-lock.json"
            | "npm-shrinkwrap.json"
            | "yarn.lock"
            | "pnpm-lock.yaml"
            | "pnpm-workspace.yaml"
            | "bun.lock"
            | "bun.lockb"
            | ".npmrc"
            | "pyproject.toml"
            | "uv.lock"
            | "poetry.lock"
            | "Pipfile"
            | "Pipfile.lock"
            | "constraints.txt"
            | "pom.xml"
            | "build.gradle"
            | "build.gradle.kts"
            | "settings.gradle"
            | "settings.gradle.kts"
            | "gradle.properties"
            | "libs.versions.toml"
            | "Gemfile"
            | "Gemfile.lock"
            | "composer.json"
            | "composer.lock"
            | "mix.exs"
            | "mix.lock"
            | "Package.swift"
            | "Package.resolved"
            | "pubspec.yaml"
            | "pubspec.lock"
            | "packages.lock.json"
            | "Directory.Packages.props"
            | "Directory.Build.props"
            | "NuGet.config"
    ) || (name.starts_with("requirements") && name.ends_with(".txt"))
        || name.ends_with(".csproj")
        || name.ends_with(".fsproj")
}

/// Documentation and CI paths: changing only these should rebuild nothing.
pub fn is_docs_or_ci(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    path.starts_with("docs/")
        || path.starts_with(".github/")
        || path.starts_with(".gitlab-ci")
        || path.starts_with(".circleci/")
        || name.ends_with(".md")
        || name.ends_with(".rst")
        || name.ends_with(".adoc")
        || matches!(
            name,
            "LICENSE" | "NOTICE" | "CODEOWNERS" | ".gitignore" | ".editorconfig"
        )
}

/// Version pin files that feed build args.
fn is_version_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(
        name,
        ".tool-versions"
            | "versions.env"
            | ".versions"
            | "VERSION"
            | ".go-version"
            | ".nvmrc"
            | ".python-version"
    )
}

/// Classifies a commit. `dockerfile_changes` says, for each changed Dockerfile
/// or ignore file, whether only ARG lines differ.
pub fn classify(paths: &[String], dockerfile_changes: &[bool]) -> ChangeClass {
    if paths.is_empty() {
        return ChangeClass::Empty;
    }
    if dockerfile_changes.iter().any(|only_args| !only_args) {
        return ChangeClass::DockerfileEdit;
    }
    if !dockerfile_changes.is_empty() || paths.iter().any(|p| is_version_file(p)) {
        return ChangeClass::VersionBump;
    }
    if paths.iter().any(|p| is_manifest(p)) {
        return ChangeClass::Dependencies;
    }
    if paths.iter().all(|p| is_docs_or_ci(p)) {
        return ChangeClass::DocsCi;
    }
    ChangeClass::Source
}

/// True when two Dockerfile texts differ only in ARG lines.
pub fn only_arg_lines_differ(old: &[u8], new: &[u8]) -> bool {
    let lines = |b: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(b)
            .lines()
            .map(str::trim)
            .filter(|l| !l.to_ascii_uppercase().starts_with("ARG "))
            .map(str::to_string)
            .collect()
    };
    lines(old) == lines(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn classes() {
        assert_eq!(classify(&s(&["cmd/main.go"]), &[]), ChangeClass::Source);
        assert_eq!(
            classify(&s(&["go.sum", "cmd/main.go"]), &[]),
            ChangeClass::Dependencies
        );
        assert_eq!(
            classify(
                &s(&["README.md", "docs/x.png", ".github/workflows/ci.yml"]),
                &[]
            ),
            ChangeClass::DocsCi
        );
        assert_eq!(
            classify(&s(&["Dockerfile"]), &[true]),
            ChangeClass::VersionBump
        );
        assert_eq!(
            classify(&s(&["Dockerfile"]), &[false]),
            ChangeClass::DockerfileEdit
        );
        assert_eq!(classify(&[], &[]), ChangeClass::Empty);
        assert!(only_arg_lines_differ(
            b"FROM a\nARG V=1\nRUN x\n",
            b"FROM a\nARG V=2\nRUN x\n"
        ));
        assert!(!only_arg_lines_differ(
            b"FROM a\nRUN x\n",
            b"FROM a\nRUN y\n"
        ));
    }
}
