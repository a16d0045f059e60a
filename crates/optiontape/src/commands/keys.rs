//! `optiontape keys ...`.

use anyhow::{Context, bail};
use clap::Subcommand;
use model::{Email, Plan, PlanBook, Product};
use serde_json::json;
use store::keys::{ApiKey, KeyFamily};

use crate::config::GlobalOptions;

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Issue an API key; its text is shown once
    Create {
        /// Owner of the key (must exist; see `users create`)
        #[arg(long)]
        email: String,
        /// options, stocks, paper or column
        #[arg(long)]
        product: Product,
        /// free, developer, expert or commercial (base: stocks only)
        #[arg(long, default_value = "free")]
        plan: Plan,
        /// Column API only: a sopk_test_ key with its own quota, meant for CI
        #[arg(long)]
        test: bool,
        /// Print the result as JSON
        #[arg(long)]
        json: bool,
    },
    /// List keys (never their secret text)
    List {
        /// Only this user's keys
        #[arg(long)]
        email: Option<String>,
        /// Print the result as JSON
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key by id; it stops working at once
    Revoke {
        /// The key's id (from `keys list`)
        id: uuid::Uuid,
    },
}

fn key_json(key: &ApiKey, email: &str) -> serde_json::Value {
    json!({
        "id": key.id,
        "email": email,
        "product": key.product,
        "plan": key.plan,
        "display": key.display,
        "created_at": key.created_at.to_rfc3339(),
        "revoked_at": key.revoked_at.map(|t| t.to_rfc3339()),
    })
}

pub async fn run(global: &GlobalOptions, command: KeysCommand) -> anyhow::Result<()> {
    let (store, file, _) = super::open_store(global).await?;
    match command {
        KeysCommand::Create {
            email,
            product,
            plan,
            test,
            json,
        } => {
            let email = Email::parse(&email).map_err(anyhow::Error::msg)?;
            let user = store
                .user_by_email(&email)
                .await?
                .with_context(|| format!("no user with e-mail {email}; create one with `optiontape users create --email {email}`"))?;
            let mut plans = PlanBook::default();
            file.plans.apply(&mut plans);
            if !plans.offers(product, plan) {
                bail!("the {plan} plan is not offered for {product} keys");
            }
            if test && product != Product::Column {
                bail!("--test keys exist only for the column product");
            }
            let family = if test {
                KeyFamily::Test
            } else {
                KeyFamily::Live
            };
            let (key, secret) = store
                .create_api_key(user.id, product, plan, family, super::now())
                .await?;
            if json {
                let mut value = key_json(&key, email.as_str());
                value["key"] = json!(secret.expose());
                println!("{value}");
            } else {
                println!("{}", secret.expose());
                eprintln!(
                    "{} key for {email} on the {} plan (id {}). Store it now: it is not shown again.",
                    product,
                    plan.title(),
                    key.id
                );
            }
        }
        KeysCommand::List { email, json } => {
            let owner = email
                .map(|e| Email::parse(&e).map_err(anyhow::Error::msg))
                .transpose()?;
            let listings = store.api_keys(owner.as_ref()).await?;
            if json {
                let rows: Vec<_> = listings
                    .iter()
                    .map(|l| key_json(&l.key, l.email.as_str()))
                    .collect();
                println!("{}", serde_json::Value::Array(rows));
            } else {
                for listing in listings {
                    let key = &listing.key;
                    let state = match key.revoked_at {
                        Some(at) => format!("revoked {at}"),
                        None => "active".to_string(),
                    };
                    println!(
                        "{}  {:<24} {:<8} {:<11} {:<30} {state}",
                        key.id,
                        listing.email.as_str(),
                        key.product.as_str(),
                        key.plan.as_str(),
                        key.display
                    );
                }
            }
        }
        KeysCommand::Revoke { id } => {
            if store.api_key(id).await?.is_none() {
                bail!("no key with id {id}");
            }
            if store.revoke_api_key(id, super::now()).await? {
                println!("revoked key {id}");
            } else {
                println!("key {id} was already revoked");
            }
        }
    }
    store.close().await;
    Ok(())
}
