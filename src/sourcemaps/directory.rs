//! `sourcemaps.directory`, loaded into the database at start: `APP/VERSION/PATH.map` is the
//! map of the minified file served at `/PATH` (`shop/1.4.2/assets/index-B3k1.js.map` for
//! `https://shop.example.com/assets/index-B3k1.js`). A map that is too large or invalid stops
//! the start, naming the file and why.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use super::SourceMaps;

/// Directories below a version's that are searched, at most.
const MAX_DEPTH: usize = 16;

/// Stores every map of the configured directory; gives how many.
pub async fn load(maps: &SourceMaps) -> anyhow::Result<usize> {
    let Some(root) = maps.config().directory.clone() else {
        return Ok(0);
    };
    let max_bytes = maps.config().max_map_bytes;
    let found = tokio::task::spawn_blocking(move || find(&root)).await??;
    let mut loaded = 0;
    for map in found {
        let size = std::fs::metadata(&map.path)?.len();
        if size > max_bytes as u64 {
            bail!(
                "source map {}: {size} bytes, over sourcemaps.max_map_bytes ({max_bytes})",
                map.path.display()
            );
        }
        let bytes = tokio::fs::read(&map.path)
            .await
            .with_context(|| format!("reading source map {}", map.path.display()))?;
        maps.store(&map.app, &map.version, Some(&map.file), bytes)
            .await
            .with_context(|| format!("source map {}", map.path.display()))?;
        loaded += 1;
    }
    Ok(loaded)
}

/// A map file found under the directory.
#[derive(Debug, PartialEq, Eq)]
struct Found {
    app: String,
    version: String,
    /// `/PATH` of the minified file.
    file: String,
    path: PathBuf,
}

/// Every `APP/VERSION/**/*.map` under `root`.
fn find(root: &Path) -> anyhow::Result<Vec<Found>> {
    let mut found = Vec::new();
    let read = |dir: &Path| {
        std::fs::read_dir(dir)
            .with_context(|| format!("sourcemaps.directory: reading {}", dir.display()))
    };
    for app in read(root)? {
        let app = app?.path();
        if !app.is_dir() {
            continue;
        }
        for version in read(&app)? {
            let version = version?.path();
            if version.is_dir() {
                let mut files = Vec::new();
                maps_below(&version, 0, &mut files)?;
                found.extend(
                    files
                        .into_iter()
                        .filter_map(|path| named(&app, &version, path)),
                );
            }
        }
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

/// The `.map` files below `dir`, symbolic links not followed.
fn maps_below(dir: &Path, depth: usize, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            maps_below(&path, depth + 1, files)?;
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "map") {
            files.push(path);
        }
    }
    Ok(())
}

fn named(app: &Path, version: &Path, path: PathBuf) -> Option<Found> {
    let relative = path.strip_prefix(version).ok()?.to_str()?;
    let file = format!("/{}", relative.strip_suffix(".map")?.replace('\\', "/"));
    Some(Found {
        app: app.file_name()?.to_str()?.to_string(),
        version: version.file_name()?.to_str()?.to_string(),
        file,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_are_found_by_app_version_and_path() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("shop/1.4.2/assets");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("index.js.map"), "{}").unwrap();
        std::fs::write(dir.join("index.js"), "").unwrap();
        std::fs::write(root.path().join("README"), "").unwrap();
        let found = find(root.path()).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (
                found[0].app.as_str(),
                found[0].version.as_str(),
                found[0].file.as_str()
            ),
            ("shop", "1.4.2", "/assets/index.js")
        );
    }
}
