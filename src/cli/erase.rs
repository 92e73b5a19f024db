//! `logbridge erase --user-id ID | --email ADDRESS`: one person's data out of the live tables
//! of logs and spans (GDPR), with what changed printed per table.

use crate::config::Config;
use crate::jobs::erase::{self, MIN_FREE_TEXT_LEN, Subject};
use crate::store;

/// Whom `erase` is about (exactly one of the two), and whether only to preview it.
#[derive(clap::Args)]
pub struct EraseArgs {
    /// The user id, as stored in the `user_id` column.
    #[arg(long, required_unless_present = "email", conflicts_with = "email")]
    user_id: Option<String>,
    /// An e-mail address (matched case-insensitively).
    #[arg(long)]
    email: Option<String>,
    /// Print what would be deleted and redacted, table by table, and change nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Erases the subject and prints what changed.
pub async fn run(config: &Config, args: EraseArgs) -> anyhow::Result<()> {
    let subject = match (args.user_id, args.email) {
        (Some(id), _) => Subject::UserId(id),
        (None, Some(email)) => Subject::Email(email),
        (None, None) => unreachable!("clap requires one of --user-id and --email"),
    };
    let pool = store::open(config).await?;
    let keys = &config.fields.user_id;
    let (report, would) = match args.dry_run {
        true => (erase::preview(&pool, &subject, keys).await?, "would be "),
        false => (erase::erase_with(&pool, &subject, keys).await?, ""),
    };
    for table in &report.tables {
        println!(
            "{}: {} rows {would}deleted, {} rows {would}redacted",
            table.table, table.deleted, table.redacted
        );
    }
    let head = if args.dry_run { "dry run" } else { "erased" };
    println!(
        "{head}: {} rows {would}deleted, {} rows {would}redacted",
        report.deleted(),
        report.redacted()
    );
    if args.dry_run {
        println!("nothing changed");
    }
    if !report.free_text_searched {
        println!(
            "note: identifiers shorter than {MIN_FREE_TEXT_LEN} characters are replaced only as whole values, not inside free text"
        );
    }
    Ok(())
}
