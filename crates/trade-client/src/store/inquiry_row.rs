//! An inquiry's row, kept in columns (`store/columns.rs`, migration 13): an account that
//! has traded for years has a hundred thousand of them, each listed in the inbox.

use rusqlite::{Transaction, params};

use super::apply::exec;
use trade_model::entities::Inquiry;
use trade_model::{AccountId, InquiryId};

use super::columns::{Fields, id_text, time_at, time_text, uuid_at, variant_at};
use super::rows::Partners;
use crate::error::Result;

/// An inquiry row's JSON from its columns: the fields in the server's order, then any
/// this version does not know.
pub(crate) const INQUIRY_JSON: &str = concat!(
    "json_patch(json_object('id', ",
    id_text!("id"),
    ", 'buyer', ",
    id_text!("buyer"),
    ", 'supplier', ",
    id_text!("supplier"),
    ", 'buyer_name', buyer_name, 'supplier_name', supplier_name, \
     'supplier_company', supplier_company, 'product', product, 'status', status, \
     'created_at', ",
    time_text!("created_at"),
    ", 'last_message_at', ",
    time_text!("last_message_at"),
    ", 'last_message_preview', last_message_preview, 'unread_count', unread), \
     coalesce(extra, '{}'))"
);

/// The columns [`inquiry_at`] reads, in its order.
pub(crate) const INQUIRY_COLUMNS: &str = "id, buyer, supplier, buyer_name, supplier_name, \
     supplier_company, product, status, created_at, last_message_at, last_message_preview, \
     unread";

/// The inquiry in a row's columns from `at` on ([`INQUIRY_COLUMNS`]): the inbox reads
/// its pages this way, without making and reading JSON.
pub(crate) fn inquiry_at(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Inquiry> {
    Ok(Inquiry {
        id: InquiryId(uuid_at(row, at)?),
        buyer: AccountId(uuid_at(row, at + 1)?),
        supplier: AccountId(uuid_at(row, at + 2)?),
        buyer_name: row.get(at + 3)?,
        supplier_name: row.get(at + 4)?,
        supplier_company: row.get(at + 5)?,
        product: row.get(at + 6)?,
        status: variant_at(row, at + 7)?,
        created_at: time_at(row, at + 8)?,
        last_message_at: time_at(row, at + 9)?,
        last_message_preview: row.get(at + 10)?,
        unread_count: row.get(at + 11)?,
    })
}

/// The fields of an inquiry's JSON its row keeps in columns.
const NAMES: &[&str] = &[
    "id",
    "buyer",
    "supplier",
    "buyer_name",
    "supplier_name",
    "supplier_company",
    "product",
    "status",
    "created_at",
    "last_message_at",
    "last_message_preview",
    "unread_count",
];

/// Writes an inquiry's row from its JSON (a [`trade_model::entities::Inquiry`]), over
/// the row of the same id if there is one. Its supplier is added to `partners`, for the
/// caller to write.
pub(crate) fn put(tx: &Transaction<'_>, data: &str, partners: &mut Partners) -> Result<()> {
    let f = Fields::split(data, "an inquiry", NAMES)?;
    let last = f.millis(9)?;
    let (supplier_name, supplier_company) = (f.text(4)?, f.text(5)?);
    exec(
        tx,
        "INSERT INTO inquiries (id, buyer, supplier, buyer_name, supplier_name, \
         supplier_company, product, status, created_at, last_message_at, \
         last_message_preview, unread, extra) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
         ON CONFLICT (id) DO UPDATE SET buyer = excluded.buyer, supplier = excluded.supplier, \
         buyer_name = excluded.buyer_name, supplier_name = excluded.supplier_name, \
         supplier_company = excluded.supplier_company, product = excluded.product, \
         status = excluded.status, created_at = excluded.created_at, \
         last_message_at = excluded.last_message_at, \
         last_message_preview = excluded.last_message_preview, unread = excluded.unread, \
         extra = excluded.extra",
        params![
            &f.uuid(0)?[..],
            &f.uuid(1)?[..],
            &f.uuid(2)?[..],
            f.text(3)?,
            supplier_name,
            supplier_company,
            f.text(6)?,
            f.text(7)?,
            f.millis(8)?,
            last,
            f.text(10)?,
            f.value::<i64>(11)?,
            f.extra()?
        ],
    )?;
    partners.meet(&f.text(2)?, &supplier_name, &supplier_company, last);
    Ok(())
}
