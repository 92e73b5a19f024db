//! `logbridge erase --user-id ID | --email ADDRESS`: one person's data out of the live tables
//! of logs and spans (GDPR), with what changed printed per table.

use crate::config::Config;
use crate::jobs::erase::{self, MIN_FREE_TEXT_LEN, Subject};
use crate::store;

/// Whom `erase` is about: exactly one of the two.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub struct EraseArgs {
    /// The user id, as stored in the `user_id` column.
    #[arg(long)]
    user_id: Option<String>,
    /// An e-mail address (matched case-insensitively).
    #[arg(long)]
    email: Option<String>,
}

/// Erases the subject and prints what changed.
pub async fn run(config: &Config, args: EraseArgs) -> anyhow::Result<()> {
    let subject = match (args.user_id, args.email) {
        (Some(id), _) => Subject::UserId(id),
        (None, Some(email)) => Subject::Email(email),
        (None, None) => unreachable!("clap requires one of --user-id and --email"),
    };
    let pool = store::open(config).await?;
    let report = erase::erase_with(&pool, &subject, &config.fields.user_id).await?;
    for table in &report.tables {
        println!(
            "{}: {} rows deleted, {} rows redacted",
            table.table, table.deleted, table.redacted
        );
    }
    println!(
        "erased: {} rows deleted, {} rows redacted",
        report.deleted(),
        report.redacted()
    );
    if !report.free_text_searched {
        println!(
            "note: identifiers shorter than {MIN_FREE_TEXT_LEN} characters are replaced only as whole values, not inside free text"
        );
    }
    Ok(())
}
