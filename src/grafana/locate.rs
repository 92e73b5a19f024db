//! Where `grafana provision` finds its files: an explicit folder, else the first of the current
//! directory, the binary's folder and its parents (a build tree), and `../share/logbridge` next
//! to the binary (the Docker image and packaged installs) that holds `dashboards/` and
//! `grafana/`.

use std::path::{Path, PathBuf};

use super::ProvisionError;

/// The datasource file, relative to the folder.
pub const DATASOURCES_FILE: &str = "grafana/provisioning/datasources/logbridge.yml";
/// The dashboard folder, relative to the folder.
pub const DASHBOARDS_DIR: &str = "dashboards";

/// Whether `folder` holds both the datasource file and the dashboard folder.
fn holds_files(folder: &Path) -> bool {
    folder.join(DATASOURCES_FILE).is_file() && folder.join(DASHBOARDS_DIR).is_dir()
}

/// The folders searched, in order, when none is given.
pub fn candidates(current: Option<PathBuf>, binary: Option<PathBuf>) -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = current.into_iter().collect();
    if let Some(binary_dir) = binary.as_deref().and_then(Path::parent) {
        folders.extend(binary_dir.ancestors().take(4).map(Path::to_path_buf));
        folders.push(binary_dir.join("../share/logbridge"));
    }
    folders
}

/// The folder holding the provisioning files: `explicit` when given (it must hold them), else
/// the first candidate that does.
pub fn root(explicit: Option<&Path>) -> Result<PathBuf, ProvisionError> {
    if let Some(folder) = explicit {
        if holds_files(folder) {
            return Ok(folder.to_path_buf());
        }
        return Err(missing(folder.display().to_string()));
    }
    let searched = candidates(std::env::current_dir().ok(), std::env::current_exe().ok());
    if let Some(found) = searched.iter().find(|folder| holds_files(folder)) {
        return Ok(found.clone());
    }
    let names: Vec<String> = searched.iter().map(|f| f.display().to_string()).collect();
    Err(missing(names.join(", ")))
}

fn missing(searched: String) -> ProvisionError {
    ProvisionError::File {
        path: PathBuf::from(searched),
        reason: format!(
            "no {DATASOURCES_FILE} and {DASHBOARDS_DIR}/ there; pass --dir with the folder that holds them (the repository root, or /usr/local/share/logbridge in the image)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_binarys_folder_its_parents_and_its_share_folder_are_searched() {
        let folders = candidates(
            Some("/work".into()),
            Some("/usr/local/bin/logbridge".into()),
        );
        let expected = [
            "/work",
            "/usr/local/bin",
            "/usr/local",
            "/usr",
            "/",
            "/usr/local/bin/../share/logbridge",
        ];
        assert_eq!(folders, expected.map(PathBuf::from));
    }

    #[test]
    fn the_repository_holds_the_files_and_an_empty_folder_does_not() {
        let repository = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert_eq!(root(Some(repository)).unwrap(), repository);
        let error = root(Some(Path::new("/nonexistent"))).unwrap_err();
        assert!(error.to_string().contains("pass --dir"), "{error}");
    }
}
