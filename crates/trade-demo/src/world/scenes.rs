//! The demo world's scenes. Each builds one inquiry (and order) along its own timeline;
//! minutes are counted back from `base`.

use super::*;

impl WorldBuilder<'_> {
    /// Completed with feedback: card, shipped, receipt confirmed, five stars.
    pub(super) async fn completed(&mut self, supplier: usize, unread: bool) -> HttpResult<()> {
        let (mut th, deal, order) = self
            .confirmed_from_quote(supplier, 28 * DAY, 2, None, 26 * DAY, 3 * HOUR)
            .await?;
        let order = self.pay_by_card(&order, 25 * DAY).await?;
        let order = self.ship(&mut th, &order, 22 * DAY).await?;
        let order = self
            .step(Who::Buyer, order.id, OrderAction::ConfirmReceipt, 4 * DAY)
            .await?;
        let (rating, comment) = *pick(&mut self.rng, catalog::FEEDBACK);
        self.step(
            Who::Buyer,
            order.id,
            OrderAction::LeaveFeedback {
                rating,
                comment: comment.to_owned(),
            },
            4 * DAY - 30 * MINUTE,
        )
        .await?;
        let vars = self.vars(&th, &deal);
        self.chat(&mut th, lines::FEEDBACK_LEFT, &vars).await?;
        self.finish(&th, unread).await
    }

    /// In dispute: paid by card, shipped, the buyer filed a quality claim with an
    /// inspection report, the supplier proposed half of it.
    pub(super) async fn disputed(&mut self, supplier: usize, unread: bool) -> HttpResult<()> {
        let (mut th, deal, order) = self
            .confirmed_from_quote(supplier, 25 * DAY, 1, None, 23 * DAY, 4 * HOUR)
            .await?;
        let order = self.pay_by_card(&order, 22 * DAY).await?;
        let order = self.ship(&mut th, &order, 17 * DAY).await?;

        self.at(2 * DAY);
        let total = order.total_minor();
        let claim = ((total * self.rng.random_range(15..=35) / 100) / 100).max(1) * 100;
        let damaged = claim * 100 / total.max(1);
        let report = docs::text(&[
            "INSPECTION REPORT".to_owned(),
            format!("Buyer: {BUYER_COMPANY}, Großer Burstah 12, 20457 Hamburg"),
            format!("Product: {}", deal.product.name),
            format!(
                "Received: {} {} — about {damaged}% of the goods damaged or not as sampled.",
                quantity(deal.qty),
                deal.product.unit
            ),
            "Findings: scratched surfaces, 14 cartons crushed, colour differs from the approved sample.".to_owned(),
            format!("Claim: {}", self.money(supplier, claim)),
        ]);
        let name = format!(
            "Inspection-report-{}.txt",
            self.rng.random_range(1000..9999)
        );
        let evidence = docs::keep(&mut self.w, self.state, self.buyer.id, &name, &report).await?;
        let (order, _) = orders::file_dispute(
            &mut self.w,
            self.state,
            &self.buyer,
            order.id,
            &DisputeAction::File {
                dispute_id: DisputeId::new(),
                reason: DisputeReason::QualityProblem,
                claim_minor: claim,
                description: format!(
                    "About {damaged}% of the goods arrived damaged or differ from the approved sample. Inspection report attached."
                ),
                evidence: vec![evidence.id],
            },
        )
        .await?;
        let vars = self.vars(&th, &deal);
        self.chat(&mut th, lines::DISPUTE_FILED, &vars).await?;
        let offer = claim / 2;
        self.step(
            Who::Supplier(supplier),
            order.id,
            OrderAction::Dispute(DisputeAction::Propose {
                refund_minor: offer,
                note: format!(
                    "We are sorry for the damage. We propose to refund {} (half of the claim); the cartons were crushed in transit.",
                    self.money(supplier, offer)
                ),
            }),
            DAY,
        )
        .await?;
        self.chat(&mut th, lines::REFUND_PROPOSED, &vars).await?;
        self.finish(&th, unread).await
    }

    /// Shipped: paid in full by telegraphic transfer, funds arrived, on its way.
    pub(super) async fn shipped_after_transfer(
        &mut self,
        supplier: usize,
        unread: bool,
    ) -> HttpResult<()> {
        let (mut th, deal, order) = self
            .confirmed_from_quote(supplier, 20 * DAY, 2, None, 18 * DAY, 5 * HOUR)
            .await?;
        let payment = self.begin_transfer(&order, 17 * DAY).await?;
        let mut vars = self.vars(&th, &deal);
        vars.push(("reference", payment.reference.clone().unwrap_or_default()));
        self.chat(&mut th, lines::TRANSFER_SENT, &vars).await?;
        let order = self.funds_arrive(&payment, 14 * DAY).await?;
        self.ship(&mut th, &order, 6 * DAY).await?;
        self.finish(&th, unread).await
    }

    /// Ordered with a 30% deposit paid by transfer; the balance is due before shipment.
    pub(super) async fn deposit_paid(&mut self, supplier: usize, unread: bool) -> HttpResult<()> {
        let (mut th, deal, order) = self
            .confirmed_from_quote(supplier, 16 * DAY, 1, Some(30), 15 * DAY, 4 * HOUR)
            .await?;
        let payment = self.begin_transfer(&order, 13 * DAY).await?;
        self.funds_arrive(&payment, 10 * DAY).await?;
        let vars = self.vars(&th, &deal);
        self.chat(&mut th, lines::DEPOSIT_RECEIVED, &vars).await?;
        self.finish(&th, unread).await
    }

    /// Paid by card, waiting for the supplier to ship.
    pub(super) async fn paid_awaiting_shipment(
        &mut self,
        supplier: usize,
        unread: bool,
    ) -> HttpResult<()> {
        let (mut th, deal) = self.open(supplier, 12 * DAY, 2).await?;
        let terms = self.terms(&th, &deal, None, vec![])?;
        let ship_by = terms.ship_by;
        let order = self
            .create_order(Who::Buyer, &th, OrderOrigin::Template, terms, 10 * DAY)
            .await?;
        let order = self
            .confirm(Who::Supplier(supplier), &order, 10 * DAY - 6 * HOUR)
            .await?;
        self.pay_by_card(&order, 9 * DAY).await?;
        let mut vars = self.vars(&th, &deal);
        vars.push(("ship_by", ship_by.to_string()));
        self.chat(&mut th, lines::PAYMENT_RECEIVED, &vars).await?;
        self.finish(&th, unread).await
    }

    /// Cancelled: the buyer asked to reduce the quantity after ordering, the supplier
    /// could not hold the price and cancelled.
    pub(super) async fn cancelled(&mut self, supplier: usize, unread: bool) -> HttpResult<()> {
        let (mut th, deal, order) = self
            .confirmed_from_quote(supplier, 13 * DAY, 1, None, 11 * DAY, 2 * HOUR)
            .await?;
        let mut vars = self.vars(&th, &deal);
        vars.push(("smaller", quantity((deal.qty / 2).max(1))));
        let note = Self::text(lines::REDUCE_QUANTITY, &vars);
        let request = OrderAction::RequestModification { note };
        self.step(Who::Buyer, order.id, request, 9 * DAY).await?;
        self.chat(&mut th, lines::REDUCTION_ASKED, &vars).await?;
        self.step(
            Who::Supplier(supplier),
            order.id,
            OrderAction::Cancel {
                reason: "We cannot hold the price for the reduced quantity.".to_owned(),
            },
            8 * DAY,
        )
        .await?;
        self.chat(&mut th, lines::CANCELLED, &vars).await?;
        self.finish(&th, unread).await
    }

    /// Ordered, to pay: made from the buyer's uploaded purchase contract (TXT).
    pub(super) async fn ordered_from_buyer_contract(
        &mut self,
        supplier: usize,
        unread: bool,
    ) -> HttpResult<()> {
        let (mut th, deal) = self.open(supplier, 8 * DAY, 2).await?;
        self.at(3 * DAY);
        let po = format!("NW-PO-{}", self.rng.random_range(10000..99999));
        let profile = self.suppliers[supplier].profile;
        let mut terms = self.terms(&th, &deal, None, vec![])?;
        let mut page = vec![
            format!("PURCHASE CONTRACT {po}"),
            String::new(),
            format!("Buyer:  {BUYER_COMPANY}, Großer Burstah 12, 20457 Hamburg, Germany"),
            format!("Seller: {}, {}", profile.company, profile.country),
            String::new(),
        ];
        page.extend(item_lines(&terms, " — ", '×'));
        page.extend([
            String::new(),
            format!(
                "Delivery: {} {}, ship by {}.",
                terms.incoterm, profile.port, terms.ship_by
            ),
            "Payment: in full through Trade Center before shipment.".to_owned(),
            format!("Remarks: {}", terms.remarks),
        ]);
        let contract = docs::text(&page);
        let doc = docs::keep(
            &mut self.w,
            self.state,
            self.buyer.id,
            &format!("{po}.txt"),
            &contract,
        )
        .await?;
        terms.documents = vec![doc.id];
        let order = self
            .create_order(
                Who::Buyer,
                &th,
                OrderOrigin::UploadedContract,
                terms,
                3 * DAY,
            )
            .await?;
        let mut vars = self.vars(&th, &deal);
        vars.push(("po", po));
        self.chat(&mut th, lines::CONTRACT_UPLOADED, &vars).await?;
        self.confirm(Who::Supplier(supplier), &order, 2 * DAY)
            .await?;
        self.chat(&mut th, lines::CONTRACT_CONFIRMED, &vars).await?;
        self.finish(&th, unread).await
    }

    /// Payment processing: the buyer started a telegraphic transfer yesterday.
    pub(super) async fn transfer_processing(
        &mut self,
        supplier: usize,
        unread: bool,
    ) -> HttpResult<()> {
        let (mut th, deal, order) = self
            .confirmed_from_quote(supplier, 7 * DAY, 1, None, 5 * DAY, 3 * HOUR)
            .await?;
        let payment = self.begin_transfer(&order, DAY).await?;
        let mut vars = self.vars(&th, &deal);
        vars.push(("reference", payment.reference.clone().unwrap_or_default()));
        self.chat(&mut th, lines::TRANSFER_UNDER_WAY, &vars).await?;
        self.finish(&th, unread).await
    }

    /// Waiting for Your Partner to Confirm: the supplier drafted the order, the buyer
    /// changed the quantity, now the supplier has to confirm the new terms.
    pub(super) async fn waiting_for_supplier(
        &mut self,
        supplier: usize,
        unread: bool,
    ) -> HttpResult<()> {
        let (mut th, deal) = self.open(supplier, 6 * DAY, 1).await?;
        let terms = self.terms(&th, &deal, None, vec![])?;
        let order = self
            .create_order(
                Who::Supplier(supplier),
                &th,
                OrderOrigin::Template,
                terms.clone(),
                4 * DAY,
            )
            .await?;
        let mut vars = self.vars(&th, &deal);
        self.chat(&mut th, lines::PLACED_FOR_THE_BUYER, &vars)
            .await?;
        let mut changed = terms;
        let more = deal.qty + deal.qty / 2;
        if let Some(first) = changed.lines.first_mut() {
            first.quantity = more;
        }
        self.at(2 * DAY);
        orders::modify(
            &mut self.w,
            self.state,
            &self.buyer,
            order.id,
            order.version,
            changed,
        )
        .await?;
        vars.push(("more", quantity(more)));
        self.chat(&mut th, lines::QUANTITY_CHANGED, &vars).await?;
        self.finish(&th, unread).await
    }

    /// Waiting for You to Confirm: the supplier uploaded its pro forma invoice (PDF) and
    /// made the order from it; its message is unread.
    pub(super) async fn waiting_for_buyer(&mut self, supplier: usize) -> HttpResult<()> {
        let (mut th, deal) = self.open(supplier, 4 * DAY, 1).await?;
        self.at(DAY);
        let pi = format!("PI-{}", self.rng.random_range(10000..99999));
        let profile = self.suppliers[supplier].profile;
        let mut terms = self.terms(&th, &deal, Some(30), vec![])?;
        let mut page = vec![
            format!("Seller: {} ({})", profile.company, profile.country),
            format!("Buyer:  {BUYER_COMPANY}, Hamburg, Germany"),
            format!("Date: {}", trade_model::time::utc_date(self.state.now())),
            String::new(),
        ];
        page.extend(item_lines(&terms, "   ", 'x'));
        let total = terms.total().map(|m| m.to_string()).unwrap_or_default();
        page.extend([
            String::new(),
            format!("Total: {total}"),
            format!(
                "Terms: {} {}, {:?} freight, ship by {}",
                terms.incoterm, profile.port, terms.shipping_method, terms.ship_by
            ),
            "Payment: 30% deposit, balance before shipment, through Trade Center only.".to_owned(),
            format!("Remarks: {}", terms.remarks),
        ]);
        let pdf = docs::pdf(&format!("PRO FORMA INVOICE {pi}"), &page);
        let supplier_id = self.suppliers[supplier].user.id;
        let doc = docs::keep(
            &mut self.w,
            self.state,
            supplier_id,
            &format!("{pi}.pdf"),
            &pdf,
        )
        .await?;
        terms.documents = vec![doc.id];
        self.create_order(
            Who::Supplier(supplier),
            &th,
            OrderOrigin::UploadedContract,
            terms,
            DAY,
        )
        .await?;
        let mut vars = self.vars(&th, &deal);
        vars.push(("pi", pi));
        self.chat(&mut th, lines::INVOICE_UPLOADED, &vars).await?;
        Ok(())
    }

    /// A quote two days old, not read yet.
    pub(super) async fn open_quote(&mut self, supplier: usize) -> HttpResult<()> {
        let follow_ups = self.rng.random_range(0..=1);
        self.open(supplier, 2 * DAY, follow_ups).await?;
        Ok(())
    }

    /// Today's inquiry: a quote and a nudge, both unread.
    pub(super) async fn fresh_inquiry(&mut self, supplier: usize) -> HttpResult<()> {
        let (mut th, deal) = self.open(supplier, 20 * HOUR, 0).await?;
        let vars = self.vars(&th, &deal);
        let nudge = Self::text(pick::<&str>(&mut self.rng, catalog::NUDGES), &vars);
        let at = th.last_at - self.gap();
        self.says(&mut th, Party::Supplier, at, &nudge).await?;
        Ok(())
    }
}
