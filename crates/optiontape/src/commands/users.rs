//! `optiontape users ...`.

use anyhow::{Context, bail};
use clap::Subcommand;
use model::Email;
use serde_json::json;

use crate::config::GlobalOptions;

#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// Create a user
    Create {
        /// The user's e-mail address
        #[arg(long)]
        email: String,
        /// Read a password from standard input (first line); without it the account signs in
        /// with e-mail codes
        #[arg(long)]
        password_stdin: bool,
        /// Print the result as JSON
        #[arg(long)]
        json: bool,
    },
    /// List users
    List {
        /// Print the result as JSON
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(global: &GlobalOptions, command: UsersCommand) -> anyhow::Result<()> {
    let (store, ..) = super::open_store(global).await?;
    match command {
        UsersCommand::Create {
            email,
            password_stdin,
            json,
        } => {
            let email = Email::parse(&email).map_err(anyhow::Error::msg)?;
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("reading the password from standard input")?;
                let password = line.trim_end_matches(['\r', '\n']).to_string();
                model::identity::check_password(&password).map_err(anyhow::Error::msg)?;
                Some(password)
            } else {
                None
            };
            let user = match store
                .create_user(&email, password.as_deref(), super::now())
                .await?
            {
                Ok(user) => user,
                Err(exists) => bail!("{exists}"),
            };
            if json {
                println!(
                    "{}",
                    json!({ "id": user.id, "email": user.email.as_str(), "has_password": user.has_password })
                );
            } else {
                println!("created user {} ({})", user.email, user.id);
            }
        }
        UsersCommand::List { json } => {
            let users = store.users().await?;
            if json {
                let rows: Vec<_> = users
                    .iter()
                    .map(|u| json!({ "id": u.id, "email": u.email.as_str(), "has_password": u.has_password, "created_at": u.created_at.to_rfc3339() }))
                    .collect();
                println!("{}", serde_json::Value::Array(rows));
            } else {
                for user in users {
                    println!("{}  {}  created {}", user.id, user.email, user.created_at);
                }
            }
        }
    }
    store.close().await;
    Ok(())
}
