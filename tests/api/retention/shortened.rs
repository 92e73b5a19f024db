//! The documented choice: a class's `days` applies to stored data at the next run, so shortening
//! it expires partitions already stored (README, Retention); lengthening it keeps them.

use serde_json::json;

use super::{app, leaf, partitions, post_old, retention, run};

#[tokio::test]
async fn a_shortened_class_applies_to_stored_partitions_at_the_next_run() {
    let app = app().await;
    post_old(&app, 30, &[json!({"level": "info", "message": "i30"})]).await;
    let stored = leaf(30, "standard");
    let standard_days = |days: u32| {
        move |config: &mut logbridge::config::Config| {
            let standard = config.retention.classes.last_mut().unwrap();
            assert_eq!(standard.name, "standard");
            standard.days = days;
        }
    };
    run(&retention(&app, standard_days(90))).await;
    assert!(
        partitions(&app).await.contains(&stored),
        "kept under 90 days"
    );
    assert_eq!(app.count("body = 'i30'").await, 1);

    run(&retention(&app, standard_days(20))).await;
    assert!(
        !partitions(&app).await.contains(&stored),
        "dropped by the first run after the class went down to 20 days"
    );
    assert_eq!(app.count("body = 'i30'").await, 0);
}
