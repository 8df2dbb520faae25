use sqlx::Row;
use sqlx::any::AnyRow;
use trade_model::entities::{Account, Company, Product, Role};
use trade_model::{AccountId, CompanyId, ProductId};

use super::error::{StoreError, StoreResult};
use crate::db::{Db, Write, millis};

pub struct NewAccount<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub company_name: &'a str,
    pub country: &'a str,
}

const SELECT: &str = "SELECT a.id, a.email, a.display_name, a.role, a.password_hash, \
    c.id AS company_id, c.name AS company_name, c.country FROM accounts a \
    JOIN companies c ON c.id = a.company_id";

fn account_from_row(row: &AnyRow) -> StoreResult<Account> {
    let id: String = row.try_get("id")?;
    let role: String = row.try_get("role")?;
    let company_id: String = row.try_get("company_id")?;
    Ok(Account {
        id: id.parse().map_err(StoreError::corrupt)?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::corrupt("unknown role"))?,
        company: Company {
            id: company_id.parse().map_err(StoreError::corrupt)?,
            name: row.try_get("company_name")?,
            country: row.try_get("country")?,
        },
    })
}

/// Inserts a company and an account; `Ok(None)` when the email is taken.
pub async fn insert(
    tx: &mut Write,
    new: &NewAccount<'_>,
    now: jiff::Timestamp,
) -> StoreResult<Option<Account>> {
    let email = new.email.trim().to_lowercase();
    let taken = sqlx::query("SELECT 1 AS one FROM accounts WHERE email = $1")
        .bind(&email)
        .fetch_optional(tx.conn())
        .await?;
    if taken.is_some() {
        return Ok(None);
    }
    let company = Company {
        id: CompanyId::new(),
        name: new.company_name.trim().to_owned(),
        country: new.country.trim().to_uppercase(),
    };
    sqlx::query("INSERT INTO companies (id, name, country) VALUES ($1, $2, $3)")
        .bind(company.id.to_string())
        .bind(&company.name)
        .bind(&company.country)
        .execute(tx.conn())
        .await?;
    let id = AccountId::new();
    let inserted = sqlx::query(
        "INSERT INTO accounts (id, email, password_hash, display_name, role, company_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.to_string())
    .bind(&email)
    .bind(new.password_hash)
    .bind(new.display_name.trim())
    .bind(new.role.as_str())
    .bind(company.id.to_string())
    .bind(millis(now))
    .execute(tx.conn())
    .await;
    match inserted {
        // A concurrent registration with the same email won the race.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(None),
        other => {
            other?;
        }
    }
    Ok(Some(Account {
        id,
        email,
        display_name: new.display_name.trim().to_owned(),
        role: new.role,
        company,
    }))
}

/// The account and its password hash, by email.
pub async fn by_email(db: &Db, email: &str) -> StoreResult<Option<(Account, String)>> {
    let row = sqlx::query(&format!("{SELECT} WHERE a.email = $1"))
        .bind(email.trim().to_lowercase())
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| Ok((account_from_row(&r)?, r.try_get("password_hash")?)))
        .transpose()
}

pub async fn by_id(db: &Db, id: AccountId) -> StoreResult<Option<Account>> {
    let row = sqlx::query(&format!("{SELECT} WHERE a.id = $1"))
        .bind(id.to_string())
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| account_from_row(&r)).transpose()
}

/// `by_id` inside a write transaction. Code holding a write transaction must read
/// through it: waiting for a second pool connection while holding SQLite's write lock
/// can deadlock against requests that hold connections while waiting for that lock.
pub async fn by_id_in(tx: &mut Write, id: AccountId) -> StoreResult<Option<Account>> {
    let row = sqlx::query(&format!("{SELECT} WHERE a.id = $1"))
        .bind(id.to_string())
        .fetch_optional(tx.conn())
        .await?;
    row.map(|r| account_from_row(&r)).transpose()
}

pub async fn suppliers(db: &Db) -> StoreResult<Vec<Account>> {
    let rows = sqlx::query(&format!("{SELECT} WHERE a.role = $1 ORDER BY c.name, a.id"))
        .bind(Role::Supplier.as_str())
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(account_from_row).collect()
}

pub async fn insert_product(
    tx: &mut Write,
    supplier: AccountId,
    name: &str,
) -> StoreResult<Product> {
    let product = Product {
        id: ProductId::new(),
        supplier,
        name: name.to_owned(),
    };
    sqlx::query("INSERT INTO products (id, supplier_id, name) VALUES ($1, $2, $3)")
        .bind(product.id.to_string())
        .bind(supplier.to_string())
        .bind(name)
        .execute(tx.conn())
        .await?;
    Ok(product)
}

pub async fn product(db: &Db, id: ProductId) -> StoreResult<Option<Product>> {
    let row = sqlx::query("SELECT id, supplier_id, name FROM products WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| {
        let supplier: String = r.try_get("supplier_id")?;
        Ok(Product {
            id,
            supplier: supplier.parse().map_err(StoreError::corrupt)?,
            name: r.try_get("name")?,
        })
    })
    .transpose()
}
