//! The env files of a workspace root and the variables they define.
//! Values are never read into the index: only names and lines.

use std::path::{Path, PathBuf};

use super::envfile::{self, EnvKey};
use super::fs::{FileKind, Fs};

/// Env files larger than this are not read.
const MAX_ENV_FILE: u64 = 1024 * 1024;

/// One env file and the names it defines.
#[derive(Clone, Debug)]
pub struct EnvFile {
    /// The file name, such as `.env.example`.
    pub name: String,
    pub path: PathBuf,
    pub keys: Vec<EnvKey>,
    /// The column of each key on its line, in UTF-16 code units.
    columns: Vec<u32>,
}

/// Where a variable is defined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvDef {
    pub file: String,
    pub path: PathBuf,
    /// Zero-based.
    pub line: u32,
    /// The column of the name on its line, in UTF-16 code units (names are
    /// ASCII, so only what precedes them can differ between encodings).
    pub column: u32,
    pub key: EnvKey,
}

#[derive(Clone, Debug, Default)]
pub struct EnvIndex {
    files: Vec<EnvFile>,
}

/// Whether a file name is an env file: `.env` or `.env.<anything>`.
pub fn is_env_file(name: &str) -> bool {
    name == ".env" || name.starts_with(".env.")
}

impl EnvIndex {
    /// Reads the env files directly in `root`. Symlinks are not followed,
    /// so an env file can never be read from outside the root.
    pub fn load(fs: &dyn Fs, root: &Path, is_env: &dyn Fn(&str) -> bool) -> EnvIndex {
        let mut files = Vec::new();
        let Ok(entries) = fs.read_dir(root) else {
            return EnvIndex::default();
        };
        for (name, kind) in entries {
            if kind != FileKind::File || !is_env(&name) {
                continue;
            }
            let path = root.join(&name);
            let Ok(bytes) = fs.read(&path, MAX_ENV_FILE) else {
                tracing::warn!("cannot read {}", path.display());
                continue;
            };
            let text = String::from_utf8_lossy(&bytes);
            let keys = envfile::scan(&text);
            let columns = keys
                .iter()
                .map(|k| {
                    let start = k.range.start.min(text.len());
                    let line_start = text[..start].rfind(['\n', '\r']).map_or(0, |i| i + 1);
                    text.get(line_start..start)
                        .map_or(0, |p| p.encode_utf16().count() as u32)
                })
                .collect();
            files.push(EnvFile {
                keys,
                columns,
                name,
                path,
            });
        }
        // `.env.example` first: it is the file meant to list every variable.
        files.sort_by(|a, b| {
            (a.name != ".env.example", &a.name).cmp(&(b.name != ".env.example", &b.name))
        });
        EnvIndex { files }
    }

    pub fn files(&self) -> &[EnvFile] {
        &self.files
    }

    /// Every definition of `name`, `.env.example` first.
    pub fn lookup(&self, name: &str) -> Vec<EnvDef> {
        self.files
            .iter()
            .flat_map(|f| {
                f.keys
                    .iter()
                    .zip(&f.columns)
                    .filter(|(k, _)| k.name == name)
                    .map(|(k, &column)| EnvDef {
                        file: f.name.clone(),
                        path: f.path.clone(),
                        line: k.line,
                        column,
                        key: k.clone(),
                    })
            })
            .collect()
    }
}
