//! The maps the stacks of one request need when its records name their app and version each
//! (OTLP's `service.name` and `service.version`): the frame files wanted per app and version
//! ([`Wanted`]), resolved together ([`SourceMaps::resolve_wanted`]) into [`AppMaps`].

use std::collections::HashMap;

use super::{MAX_FILES_PER_REQUEST, Resolved, SourceMaps, stack};

/// (app, version).
type App = (String, String);

/// Apps and versions of one request looked up, at most (each may cost a database lookup).
pub const MAX_APPS_PER_REQUEST: usize = 8;

/// The frame files of a request's stacks, per app and version; at most
/// [`MAX_FILES_PER_REQUEST`] in all, of [`MAX_APPS_PER_REQUEST`], the others left as sent.
#[derive(Debug, Default)]
pub struct Wanted {
    apps: Vec<(App, Vec<String>)>,
    files: usize,
}

impl Wanted {
    /// Adds the frame files of `stack`, thrown by `app` at `version`.
    pub fn add(&mut self, app: &str, version: &str, stack: &str) {
        let files = stack::frame_files(stack);
        if files.is_empty() || self.files >= MAX_FILES_PER_REQUEST {
            return;
        }
        let at = self
            .apps
            .iter()
            .position(|((a, v), _)| a == app && v == version);
        let at = match at {
            Some(at) => at,
            None if self.apps.len() < MAX_APPS_PER_REQUEST => {
                let key = (app.to_string(), version.to_string());
                self.apps.push((key, Vec::new()));
                self.apps.len() - 1
            }
            None => return,
        };
        let known = &mut self.apps[at].1;
        for file in files {
            if self.files < MAX_FILES_PER_REQUEST && !known.iter().any(|k| k == file) {
                known.push(file.to_string());
                self.files += 1;
            }
        }
    }

    /// Whether no stack has a frame to look up.
    pub fn is_empty(&self) -> bool {
        self.files == 0
    }
}

/// The maps of a request's frame files, per app and version.
#[derive(Default)]
pub struct AppMaps {
    apps: HashMap<App, Resolved>,
}

impl AppMaps {
    /// `stack` of `app` at `version` with its mapped frames at their original positions;
    /// `None` when none is mapped.
    pub fn symbolicate(&self, app: &str, version: &str, stack: &str) -> Option<String> {
        let key = (app.to_string(), version.to_string());
        let maps = self.apps.get(&key).filter(|maps| !maps.is_empty())?;
        stack::symbolicate(stack, maps)
    }
}

impl SourceMaps {
    /// The maps of every app's wanted files: cached ones at once, the others loaded.
    pub async fn resolve_wanted(&self, wanted: Wanted) -> AppMaps {
        let mut apps = HashMap::new();
        for ((app, version), files) in wanted.apps {
            let resolved = self.resolve(&app, &version, &files).await;
            apps.insert((app, version), resolved);
        }
        AppMaps { apps }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_wanted_per_app_once_and_within_the_bound() {
        let mut wanted = Wanted::default();
        wanted.add(
            "shop",
            "1",
            "E\n    at f (https://x/a.js:1:2)\n    at g (https://x/a.js:1:9)",
        );
        wanted.add("shop", "1", "E\n    at h (https://x/b.js:1:2)");
        wanted.add("shop", "2", "E\n    at f (https://x/a.js:1:2)");
        wanted.add("shop", "3", "no frames here");
        assert_eq!(wanted.apps.len(), 2);
        assert_eq!(wanted.apps[0].1, ["https://x/a.js", "https://x/b.js"]);
        assert_eq!(wanted.files, 3);
        for version in 0..20 {
            wanted.add(
                "shop",
                &format!("v{version}"),
                "E\n    at f (https://x/a.js:1:2)",
            );
        }
        assert_eq!(wanted.apps.len(), MAX_APPS_PER_REQUEST);
        let files = wanted.files;
        let many: String = (0..200)
            .map(|i| format!("at f (https://x/{i}.js:1:1)\n"))
            .collect();
        wanted.add("shop", "1", &many);
        assert_eq!(wanted.files, MAX_FILES_PER_REQUEST, "from {files}");
        assert!(Wanted::default().is_empty());
    }
}
