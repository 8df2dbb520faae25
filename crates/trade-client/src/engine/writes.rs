//! Every change the app makes to what it holds goes through here, each followed by what
//! it needs (waking the sync loop to send it), so no caller can forget that part. The
//! store's writes are this crate's own.

use trade_model::error::FieldError;
use trade_model::order::OrderAction;
use trade_model::{InquiryId, MessageId, MutationId};

use super::*;
use crate::drafts::Draft;
use crate::files::LocalFile;
use crate::notify::NotificationSettings;

impl Engine {
    /// Queues a message (shown at once as pending) and wakes the sync loop: the queued
    /// change and the message's id.
    pub fn send_message(&self, inquiry: InquiryId, body: &str) -> Result<(MutationId, MessageId)> {
        let queued = self
            .inner
            .store
            .queue_message(inquiry, body, Timestamp::now())?;
        self.poke();
        Ok(queued)
    }

    /// Marks a thread read here at once and, when something was unread, on the server
    /// (the queued change).
    pub fn mark_read(&self, inquiry: InquiryId) -> Result<Option<MutationId>> {
        let queued = self
            .inner
            .store
            .queue_mark_read(inquiry, Timestamp::now())?;
        if queued.is_some() {
            self.poke();
        }
        Ok(queued)
    }

    /// Queues a lifecycle step (confirm, cancel, confirm receipt, ...) after checking it
    /// with the rules the server applies; a refusal comes back at once.
    pub fn order_action(&self, order: OrderId, action: OrderAction) -> Result<MutationId> {
        let id = self
            .inner
            .store
            .queue_order_action(order, action, Timestamp::now())?;
        self.poke();
        Ok(id)
    }

    /// Sends a refused or failed change again.
    pub fn retry(&self, mutation: MutationId) -> Result<()> {
        self.inner.store.retry(mutation)?;
        self.poke();
        Ok(())
    }

    /// Gives up a change that was not sent or was refused; what it showed is undone.
    pub fn discard(&self, mutation: MutationId) -> Result<()> {
        self.inner.store.discard(mutation)?;
        self.poke();
        Ok(())
    }

    /// Saves a draft (incomplete is fine); its problems as of now.
    pub fn save_draft(&self, draft: &Draft) -> Result<Vec<FieldError>> {
        self.inner.store.save_draft(draft)?;
        Ok(crate::drafts::check(draft, Timestamp::now()))
    }

    pub fn discard_draft(&self, id: OrderId) -> Result<()> {
        self.inner.store.discard_draft(id)?;
        self.poke();
        Ok(())
    }

    /// Submits a valid draft (queued; the order shows at once as waiting for the
    /// supplier); an invalid one comes back with every problem, nothing changed.
    pub fn submit_draft(&self, id: OrderId) -> Result<MutationId> {
        let mutation = self
            .inner
            .store
            .submit_draft(id, self.account().id, Timestamp::now())?;
        self.poke();
        Ok(mutation)
    }

    /// Checks a file the user picked (dialog or drop) as the server would and keeps it
    /// for upload with the draft or action that uses it.
    pub fn attach_file(&self, path: &Path) -> Result<LocalFile> {
        self.inner.store.add_file(path, Timestamp::now())
    }

    pub fn set_notification_settings(&self, settings: &NotificationSettings) -> Result<()> {
        self.inner.store.set_notification_settings(settings)
    }
}
