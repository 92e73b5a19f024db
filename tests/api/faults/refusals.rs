//! Which database errors refuse a batch for good (500) and which only mean "retry" (503), asked
//! of a real PostgreSQL: a cancelled or aborted transaction must never answer 500.

use logbridge::store::is_data_refusal;
use sqlx::{Connection, PgConnection};

async fn error_of(connection: &mut PgConnection, statement: &str) -> sqlx::Error {
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
        .execute(&mut *connection)
        .await
        .expect_err(statement)
}

#[tokio::test]
async fn only_errors_the_data_caused_refuse_a_batch() {
    let url = "postgres://postgres@127.0.0.1:5432/postgres";
    let mut connection = PgConnection::connect(url).await.unwrap();
    let division = error_of(&mut connection, "SELECT 1 / 0").await;
    assert!(is_data_refusal(&division), "22012 is the data's fault");
    let raised = "DO $$ BEGIN RAISE EXCEPTION 'refused by a trigger'; END $$";
    let trigger = error_of(&mut connection, raised).await;
    assert!(
        is_data_refusal(&trigger),
        "P0001 is a trigger refusing the data"
    );

    let cancelled = "SET statement_timeout = 10; SELECT pg_sleep(1)";
    let timeout = error_of(&mut connection, cancelled).await;
    assert!(!is_data_refusal(&timeout), "57014 is retried: {timeout}");
    sqlx::raw_sql("RESET statement_timeout")
        .execute(&mut connection)
        .await
        .unwrap();

    let mut transaction = connection.begin().await.unwrap();
    let _ = error_of(&mut transaction, "SELECT 1 / 0").await;
    let aborted = error_of(&mut transaction, "SELECT 1").await;
    assert!(
        !is_data_refusal(&aborted),
        "25P02 (a transaction a cancelled commit left aborted) is retried: {aborted}"
    );
}
