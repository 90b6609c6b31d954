//! `RUN --mount=...` options, parsed as BuildKit's `parseMount` does: one CSV
//! record of `key=value` fields (a few keys may stand alone), checked per type.

/// The mount types BuildKit knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountType {
    Bind,
    Cache,
    Tmpfs,
    Secret,
    Ssh,
}

impl MountType {
    pub fn as_str(self) -> &'static str {
        match self {
            MountType::Bind => "bind",
            MountType::Cache => "cache",
            MountType::Tmpfs => "tmpfs",
            MountType::Secret => "secret",
            MountType::Ssh => "ssh",
        }
    }
}

/// How concurrent builds share a cache mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    Shared,
    Private,
    Locked,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub kind: MountType,
    pub target: Option<String>,
    pub source: Option<String>,
    /// Stage or image the mount reads from (`from=`); never variable-expanded.
    pub from: Option<String>,
    pub readonly: bool,
    pub id: Option<String>,
    pub sharing: Option<Sharing>,
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub size: Option<String>,
    pub required: bool,
    pub env: Option<String>,
}

/// One record of Go's `encoding/csv` with default settings.
fn csv_fields(value: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = value.chars().peekable();
    let mut column = 0usize;
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            column += 1;
            loop {
                match chars.next() {
                    Some('"') => {
                        column += 1;
                        match chars.peek() {
                            Some('"') => {
                                field.push('"');
                                chars.next();
                                column += 1;
                            }
                            Some(',') | None => break,
                            Some(_) => {
                                return Err(format!(
                                    "parse error on line 1, column {}: extraneous or missing \" in quoted-field",
                                    column + 1
                                ));
                            }
                        }
                    }
                    Some(c) => {
                        column += 1;
                        field.push(c);
                    }
                    None => {
                        return Err(format!(
                            "parse error on line 1, column {}: extraneous or missing \" in quoted-field",
                            column + 1
                        ));
                    }
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                if c == '"' {
                    return Err(format!(
                        "parse error on line 1, column {}: bare \" in non-quoted-field",
                        column + 1
                    ));
                }
                field.push(c);
                chars.next();
                column += 1;
            }
        }
        fields.push(field);
        match chars.next() {
            Some(',') => column += 1,
            _ => break,
        }
    }
    Ok(fields)
}

fn parse_bool(key: &str, value: &str) -> Result<bool, String> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!("invalid value for {key}: {value}")),
    }
}

/// Parses the value of one `--mount` flag.
pub fn parse(value: &str) -> Result<Mount, String> {
    let mut m = Mount {
        kind: MountType::Bind,
        target: None,
        source: None,
        from: None,
        readonly: false,
        id: None,
        sharing: None,
        mode: None,
        uid: None,
        gid: None,
        size: None,
        required: false,
        env: None,
    };
    let mut ro_auto = true;
    let unexpected = |key: &str, kind: MountType| {
        format!("unexpected key '{key}' for mount type '{}'", kind.as_str())
    };
    for field in csv_fields(value)? {
        let Some((key, value)) = field.split_once('=') else {
            match field.to_lowercase().as_str() {
                "readonly" | "ro" => {
                    m.readonly = true;
                    ro_auto = false;
                }
                "readwrite" | "rw" => {
                    m.readonly = false;
                    ro_auto = false;
                }
                "required" if matches!(m.kind, MountType::Secret | MountType::Ssh) => {
                    m.required = true;
                }
                "required" => return Err(unexpected("required", m.kind)),
                _ => return Err(format!("invalid field '{field}' must be a key=value pair")),
            }
            continue;
        };
        let key = key.to_lowercase();
        let value = value.to_string();
        match key.as_str() {
            "type" => {
                m.kind = match value.to_lowercase().as_str() {
                    "bind" => MountType::Bind,
                    "cache" => MountType::Cache,
                    "tmpfs" => MountType::Tmpfs,
                    "secret" => MountType::Secret,
                    "ssh" => MountType::Ssh,
                    _ => {
                        return Err(format!(
                            "unsupported mount type \"{value}\" (use bind, cache, tmpfs, secret or ssh)"
                        ));
                    }
                }
            }
            "from" => m.from = Some(value),
            "source" | "src" => m.source = Some(value),
            "target" | "dst" | "destination" => m.target = Some(value),
            "readonly" | "ro" => {
                m.readonly = parse_bool(&key, &value)?;
                ro_auto = false;
            }
            "readwrite" | "rw" => {
                m.readonly = !parse_bool(&key, &value)?;
                ro_auto = false;
            }
            "required" => {
                if !matches!(m.kind, MountType::Secret | MountType::Ssh) {
                    return Err(unexpected(&key, m.kind));
                }
                m.required = parse_bool(&key, &value)?;
            }
            "id" => m.id = Some(value),
            "sharing" => {
                if m.kind != MountType::Cache {
                    return Err(unexpected(&key, m.kind));
                }
                m.sharing = Some(match value.to_lowercase().as_str() {
                    "shared" => Sharing::Shared,
                    "private" => Sharing::Private,
                    "locked" => Sharing::Locked,
                    _ => {
                        return Err(format!(
                            "unsupported sharing value \"{value}\" (use shared, private or locked)"
                        ));
                    }
                });
            }
            "mode" => {
                m.mode = Some(
                    u32::from_str_radix(&value, 8)
                        .map_err(|_| format!("invalid value {value} for mode"))?,
                );
            }
            "uid" => {
                m.uid = Some(
                    value
                        .parse()
                        .map_err(|_| format!("invalid value {value} for uid"))?,
                );
            }
            "gid" => {
                m.gid = Some(
                    value
                        .parse()
                        .map_err(|_| format!("invalid value {value} for gid"))?,
                );
            }
            "size" => {
                if m.kind != MountType::Tmpfs {
                    return Err(unexpected(&key, m.kind));
                }
                m.size = Some(value);
            }
            "env" => {
                if m.kind != MountType::Secret {
                    return Err(unexpected(&key, m.kind));
                }
                m.env = Some(value);
            }
            _ => return Err(format!("unexpected key '{key}' in '{field}'")),
        }
    }

    let file_info_allowed = matches!(
        m.kind,
        MountType::Secret | MountType::Ssh | MountType::Cache
    );
    if !file_info_allowed {
        for (name, set) in [
            ("mode", m.mode.is_some()),
            ("uid", m.uid.is_some()),
            ("gid", m.gid.is_some()),
        ] {
            if set {
                return Err(format!(
                    "{name} not allowed for \"{}\" type mounts",
                    m.kind.as_str()
                ));
            }
        }
    }
    if ro_auto {
        m.readonly = !matches!(m.kind, MountType::Cache | MountType::Tmpfs);
    }
    // A mount of another type without a target is mounted at the working
    // directory; BuildKit refuses it only when that is `/` (the model
    // checks: it knows the WORKDIR).
    if m.kind == MountType::Secret {
        if m.from.is_some() {
            return Err("secret mount should not have a from".into());
        }
        if m.source.is_none() && m.target.is_none() && m.id.is_none() && m.env.is_none() {
            return Err("invalid secret mount. one of source, target required".into());
        }
        if m.source.is_some() && m.id.is_some() {
            return Err("both source and id can't be set".into());
        }
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_per_type() {
        let b = parse("type=bind,source=go.mod,target=/src/go.mod").unwrap();
        assert_eq!(b.kind, MountType::Bind);
        assert!(b.readonly, "bind mounts are read-only unless rw");
        let c = parse("type=cache,target=/root/.cache,sharing=locked,id=x").unwrap();
        assert!(!c.readonly);
        assert_eq!(c.sharing, Some(Sharing::Locked));
        let plain = parse("target=/x").unwrap();
        assert_eq!(plain.kind, MountType::Bind);
        let rw = parse("type=bind,target=/x,rw").unwrap();
        assert!(!rw.readonly);
        let s = parse("type=secret,id=tok,required").unwrap();
        assert!(s.required);
        let t = parse("type=tmpfs,target=/t,size=64m").unwrap();
        assert_eq!(t.size.as_deref(), Some("64m"));
        let q = parse("\"type=bind\",\"target=/a,b\"").unwrap();
        assert_eq!(q.target.as_deref(), Some("/a,b"));
        let from = parse("type=bind,from=builder,source=/out,target=/in").unwrap();
        assert_eq!(from.from.as_deref(), Some("builder"));
    }

    #[test]
    fn errors() {
        for (input, message) in [
            ("type=volume,target=/x", "unsupported mount type"),
            (
                "type=bind,target=/x,sharing=locked",
                "unexpected key 'sharing' for mount type 'bind'",
            ),
            ("type=bind,target=/x,bogus=1", "unexpected key 'bogus'"),
            ("type=bind,target=/x,bogus", "must be a key=value pair"),
            ("type=bind,target=/x,mode=0644", "mode not allowed"),
            ("type=cache,target=/x,mode=9", "invalid value 9 for mode"),
            ("type=secret", "one of source, target required"),
            ("type=bind,target=/x,ro=maybe", "invalid value for ro"),
            ("type=bind,\"target=/x", "extraneous or missing"),
            ("type=bind,tar\"get=/x", "bare \""),
        ] {
            let err = parse(input).unwrap_err();
            assert!(err.contains(message), "{input}: {err}");
        }
    }
}
