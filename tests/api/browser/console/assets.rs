//! The console's files as served: every one with the strict policy and frame denial, an
//! unknown one a 404, `/ui` sent to `/ui/`, and all of them small (compressed).

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::api::helpers::spawn_app;

#[tokio::test]
async fn every_console_file_is_served_with_a_strict_policy_and_no_framing() {
    let app = spawn_app().await;
    for asset in logbridge::console::ASSETS {
        let answer = app.get(&format!("/ui/{}", asset.name)).await;
        assert_eq!(answer.status(), 200, "{}", asset.name);
        let headers = answer.headers();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
        };
        let policy = header("content-security-policy");
        assert!(policy.starts_with("default-src 'self'"), "{policy}");
        for directive in [
            "script-src 'self';",
            "style-src 'self';",
            "frame-ancestors 'none'",
        ] {
            assert!(policy.contains(directive), "{}: {policy}", asset.name);
        }
        assert!(!policy.contains("unsafe"), "{policy}");
        assert_eq!(header("x-frame-options"), "DENY");
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert_eq!(header("content-type"), asset.content_type);
        assert_eq!(answer.text().await.unwrap(), asset.body);
    }
    let page = app.get("/ui/").await;
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("<script type=\"module\" src=\"app.js\">")
    );
    let missing = app.get("/ui/pages/missing.js").await;
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().contains_key("content-security-policy"));
    let bare = app.client.get(format!("{}/ui", app.http));
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = redirect.execute(bare.build().unwrap()).await.unwrap();
    assert_eq!(
        (
            answer.status().as_u16(),
            answer.headers()["location"].to_str().unwrap()
        ),
        (308, "/ui/")
    );
}

#[test]
fn the_console_has_no_inline_script_or_style_and_weighs_under_200_kb_compressed() {
    let mut compressed = 0;
    for asset in logbridge::console::ASSETS {
        let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
        gzip.write_all(asset.body.as_bytes()).unwrap();
        compressed += gzip.finish().unwrap().len();
    }
    println!(
        "console: {} files, {compressed} bytes gzipped",
        logbridge::console::ASSETS.len()
    );
    assert!(compressed < 200 * 1024, "{compressed} bytes");
    let page = logbridge::console::ASSETS
        .iter()
        .find(|a| a.name == "index.html")
        .unwrap()
        .body;
    assert!(
        !page.contains("<style") && !page.contains(" style="),
        "no inline style"
    );
    assert_eq!(
        page.matches("<script").count(),
        page.matches("<script type=\"module\" src=").count()
    );
    for asset in logbridge::console::ASSETS
        .iter()
        .filter(|a| a.name.ends_with(".js"))
    {
        for sink in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
        ] {
            assert!(!asset.body.contains(sink), "{} uses {sink}", asset.name);
        }
    }
}
