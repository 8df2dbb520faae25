-- "Unread Messages" and unread totals read only the inquiries with unread messages.
CREATE INDEX inquiries_buyer_unread ON inquiries(buyer_id, last_message_at, id) WHERE buyer_unread > 0;
CREATE INDEX inquiries_supplier_unread ON inquiries(supplier_id, last_message_at, id) WHERE supplier_unread > 0;
