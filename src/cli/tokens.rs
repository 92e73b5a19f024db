//! `logbridge tokens create|list|revoke`: token management from the command line.

use clap::Subcommand;

use crate::auth::Role;
use crate::config::Config;
use crate::query::{NewToken, create_token};
use crate::store;

/// The `tokens` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Create a token and print it (it is shown this once; only its hash is stored).
    Create {
        /// ingest (send logs), reader, support (reader with personal data masked), admin, or
        /// browser (a public key for web pages: one service, its origins, send only).
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Services a reader or support token may read, comma-separated (default: all).
        #[arg(long, value_delimiter = ',')]
        services: Option<Vec<String>>,
        /// The one service a browser key sends records of (same as --services APP).
        #[arg(long, conflicts_with = "services")]
        service: Option<String>,
        /// An origin a browser key may be used from (repeat for more): https://shop.example.com
        /// or a pattern such as https://*.example.com.
        #[arg(long = "origin")]
        origins: Vec<String>,
        /// A name for the audit log (default: the role).
        #[arg(long)]
        name: Option<String>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id; it stops working within seconds.
    Revoke {
        /// The token's id, as `tokens list` shows it.
        id: i64,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    let known = "ingest, reader, support, admin or browser";
    Role::parse(text).ok_or_else(|| format!("{text:?} is not {known}"))
}

/// Runs one `tokens` subcommand against the configured database.
pub async fn run(config: &Config, command: TokensCommand) -> anyhow::Result<()> {
    let pool = store::open(config).await?;
    match command {
        TokensCommand::Create {
            role,
            services,
            service,
            origins,
            name,
        } => {
            let new = NewToken {
                role,
                services: services.or(service.map(|s| vec![s])),
                origins: (!origins.is_empty()).then_some(origins),
                name,
            };
            let created = create_token(&pool, &new)
                .await
                .map_err(|error| anyhow::anyhow!(error.message))?;
            eprintln!(
                "created token {} ({}, role {}); store it now, it is not shown again:",
                created.row.id, created.row.name, created.row.role
            );
            println!("{}", created.token);
        }
        TokensCommand::List => {
            println!(
                "{:>6}  {:<8}  {:<24}  {:<20}  {:<25}  STATE",
                "ID", "ROLE", "NAME", "SERVICES", "CREATED"
            );
            for row in store::tokens::list(&pool).await? {
                let services = row.services.map_or("*".to_string(), |s| s.join(","));
                let state = row
                    .revoked_at
                    .map_or("live".to_string(), |at| format!("revoked {at}"));
                println!(
                    "{:>6}  {:<8}  {:<24}  {:<20}  {:<25}  {state}",
                    row.id,
                    row.role,
                    row.name,
                    services,
                    row.created_at.to_rfc3339()
                );
            }
        }
        TokensCommand::Revoke { id } => {
            if !store::tokens::revoke(&pool, id).await? {
                anyhow::bail!("no live token with id {id}");
            }
            println!("revoked token {id}");
        }
    }
    Ok(())
}
