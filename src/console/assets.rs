//! The console's files, embedded at build time from `src/console/assets/`, by name.

/// One embedded file.
pub struct Asset {
    /// Its path under `/ui/`.
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static str,
}

macro_rules! embedded {
    ($($name:literal => $content_type:literal,)*) => {
        /// Every file of the console.
        pub const ASSETS: &[Asset] = &[$(Asset {
            name: $name,
            content_type: $content_type,
            body: include_str!(concat!("assets/", $name)),
        },)*];
    };
}

embedded! {
    "index.html" => "text/html; charset=utf-8",
    "console.css" => "text/css; charset=utf-8",
    "icon.svg" => "image/svg+xml",
    "app.js" => "text/javascript; charset=utf-8",
    "api.js" => "text/javascript; charset=utf-8",
    "dom.js" => "text/javascript; charset=utf-8",
    "tail.js" => "text/javascript; charset=utf-8",
    "pages/logs.js" => "text/javascript; charset=utf-8",
    "pages/trace.js" => "text/javascript; charset=utf-8",
    "pages/exceptions.js" => "text/javascript; charset=utf-8",
    "pages/performance.js" => "text/javascript; charset=utf-8",
    "pages/alerts.js" => "text/javascript; charset=utf-8",
    "pages/services.js" => "text/javascript; charset=utf-8",
    "pages/health.js" => "text/javascript; charset=utf-8",
}

/// The file named `name` (a path under `/ui/`), if the console has one.
pub fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.name == name)
}
