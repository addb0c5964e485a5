//! TypeScript path aliases: `compilerOptions.baseUrl` and `paths` from
//! `tsconfig.json` or `jsconfig.json` at a workspace root, so that
//! `@/services/user.service` resolves as the compiler resolves it.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::fs::Fs;
use super::paths::normalize;

const MAX_CONFIG: u64 = 1024 * 1024;

/// One `paths` entry: `prefix*suffix` mapped to substitutions.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pattern {
    prefix: String,
    /// None when the pattern has no `*` (an exact match).
    suffix: Option<String>,
    targets: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Aliases {
    /// The directory non-relative names resolve against, if configured.
    pub base_url: Option<PathBuf>,
    /// The directory `paths` substitutions are relative to.
    paths_base: PathBuf,
    patterns: Vec<Pattern>,
}

impl Aliases {
    /// Reads `tsconfig.json`, else `jsconfig.json`, in `root`. A missing or
    /// malformed file gives no aliases (logged), never an error.
    pub fn load(fs: &dyn Fs, root: &Path) -> Aliases {
        for name in ["tsconfig.json", "jsconfig.json"] {
            let path = root.join(name);
            let Ok(bytes) = fs.read(&path, MAX_CONFIG) else {
                continue;
            };
            let text = String::from_utf8_lossy(&bytes);
            match jsonc_parser::parse_to_serde_value::<Value>(&text, &Default::default()) {
                Ok(v) => return Aliases::from_config(&v, root),
                Err(e) => {
                    tracing::warn!("cannot read {}: {e}; path aliases are off", path.display());
                    return Aliases::default();
                }
            }
        }
        Aliases::default()
    }

    fn from_config(config: &Value, dir: &Path) -> Aliases {
        let opts = &config["compilerOptions"];
        let base_url = opts["baseUrl"].as_str().map(|b| normalize(&dir.join(b)));
        let mut patterns = Vec::new();
        if let Some(paths) = opts["paths"].as_object() {
            for (key, targets) in paths {
                let targets: Vec<String> = targets
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect();
                let (prefix, suffix) = match key.split_once('*') {
                    Some((p, s)) => (p.to_owned(), Some(s.to_owned())),
                    None => (key.clone(), None),
                };
                patterns.push(Pattern {
                    prefix,
                    suffix,
                    targets,
                });
            }
        }
        // The compiler prefers the pattern with the longest prefix.
        patterns.sort_by_key(|p| std::cmp::Reverse(p.prefix.len()));
        Aliases {
            paths_base: base_url.clone().unwrap_or_else(|| dir.to_path_buf()),
            base_url,
            patterns,
        }
    }

    /// Whether a name starts like one of the configured aliases.
    pub fn matches(&self, name: &str) -> bool {
        self.patterns.iter().any(|p| match &p.suffix {
            Some(s) => {
                name.starts_with(&p.prefix) && name.ends_with(s.as_str()) && !p.prefix.is_empty()
            }
            None => name == p.prefix,
        })
    }

    /// The absolute candidates a name maps to, in the compiler's order.
    pub fn expand(&self, name: &str) -> Vec<PathBuf> {
        for p in &self.patterns {
            let star = match &p.suffix {
                Some(s)
                    if name.len() >= p.prefix.len() + s.len()
                        && name.starts_with(&p.prefix)
                        && name.ends_with(s.as_str()) =>
                {
                    &name[p.prefix.len()..name.len() - s.len()]
                }
                None if name == p.prefix => "",
                _ => continue,
            };
            return p
                .targets
                .iter()
                .map(|t| normalize(&self.paths_base.join(t.replacen('*', star, 1))))
                .collect();
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::fs::FakeFs;

    #[test]
    fn paths_and_base_url_from_jsonc() {
        let fs = FakeFs::new();
        fs.file(
            "/ws/tsconfig.json",
            r#"{
              // comments and trailing commas are allowed in tsconfig
              "compilerOptions": {
                "baseUrl": ".",
                "paths": { "@/*": ["src/*"], "@lib/*": ["lib/*", "vendor/lib/*"], "config": ["src/config/index.ts"], },
              },
            }"#,
        );
        let a = Aliases::load(&fs, Path::new("/ws"));
        assert_eq!(a.base_url.as_deref(), Some(Path::new("/ws")));
        assert!(a.matches("@/services/user.service"));
        assert_eq!(
            a.expand("@/services/user.service"),
            [PathBuf::from("/ws/src/services/user.service")]
        );
        assert_eq!(
            a.expand("@lib/x"),
            [
                PathBuf::from("/ws/lib/x"),
                PathBuf::from("/ws/vendor/lib/x")
            ]
        );
        assert_eq!(
            a.expand("config"),
            [PathBuf::from("/ws/src/config/index.ts")]
        );
        assert!(a.expand("lodash").is_empty());
    }

    #[test]
    fn malformed_config_gives_no_aliases() {
        let fs = FakeFs::new();
        fs.file("/ws/tsconfig.json", "{ \"compilerOptions\": ");
        assert_eq!(Aliases::load(&fs, Path::new("/ws")), Aliases::default());
    }
}
