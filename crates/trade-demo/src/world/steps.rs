//! The steps scenes are made of: chat lines, an inquiry opened, order terms, an order
//! created, confirmed, paid, shipped; each at its minute on the walking clock.

use super::*;

impl WorldBuilder<'_> {
    /// `by` writes `body` into `th` at `at`, having read what the other party wrote.
    pub(super) async fn says(
        &mut self,
        th: &mut Thread,
        by: Party,
        at: i64,
        body: &str,
    ) -> HttpResult<()> {
        self.at(at);
        let (user, answering) = match by {
            Party::Buyer => (self.buyer.clone(), th.last_supplier),
            Party::Supplier => (self.user(Who::Supplier(th.supplier)), th.last_buyer),
        };
        // People read what they answer.
        if let Some(up_to) = answering {
            chat::mark_read(&mut self.w, self.state, &user, th.id, up_to).await?;
        }
        let id = MessageId::new();
        chat::post_message(&mut self.w, self.state, &user, th.id, id, body, &[]).await?;
        match by {
            Party::Buyer => th.last_buyer = Some(id),
            Party::Supplier => th.last_supplier = Some(id),
        }
        th.last_at = at;
        Ok(())
    }

    /// Writes a scene's scripted `lines` into `th` in order, with `vars` filled in.
    pub(super) async fn chat(
        &mut self,
        th: &mut Thread,
        lines: &[Line],
        vars: &[(&'static str, String)],
    ) -> HttpResult<()> {
        for line in lines {
            let text = Self::text(line.text, vars);
            self.says(th, line.by, line.at, &text).await?;
        }
        Ok(())
    }

    /// When the next message of `th` is written: a little after its last one.
    pub(super) fn next_gap(&mut self, th: &Thread) -> i64 {
        th.last_at - self.gap()
    }

    /// Opens an inquiry at `start` minutes ago: the buyer asks, the supplier quotes, then
    /// `follow_ups` rounds of question and answer. Returns the thread and the deal.
    pub(super) async fn open(
        &mut self,
        supplier: usize,
        start: i64,
        follow_ups: usize,
    ) -> HttpResult<(Thread, Deal)> {
        let sup = &mut self.suppliers[supplier];
        let profile = sup.profile;
        let product = &profile.products[sup.products[sup.next_product % sup.products.len()]];
        sup.next_product += 1;
        let qty = *pick(&mut self.rng, product.quantities);
        let price = round_price(self.rng.random_range(product.price.0..=product.price.1));
        let mut deal = Deal {
            product,
            qty,
            price,
            lead_days: self.rng.random_range(20..=45),
            extra: None,
        };
        let mut th = Thread {
            id: InquiryId::new(),
            supplier,
            last_buyer: None,
            last_supplier: None,
            last_at: start,
        };
        let vars = self.vars(&th, &deal);
        let opening = Self::text(pick::<&str>(&mut self.rng, catalog::OPENINGS), &vars);
        self.at(start);
        let first = MessageId::new();
        let supplier_id = self.suppliers[supplier].user.id;
        chat::open_inquiry(
            &mut self.w,
            self.state,
            &self.buyer,
            th.id,
            supplier_id,
            product.name,
            first,
            &opening,
        )
        .await?;
        self.inquiries += 1;
        th.last_buyer = Some(first);
        let quote = Self::text(pick::<&str>(&mut self.rng, catalog::QUOTES), &vars);
        let at = self.next_gap(&th);
        self.says(&mut th, Party::Supplier, at, &quote).await?;

        let mut kinds: Vec<usize> = (0..catalog::FOLLOW_UPS.len()).collect();
        kinds.shuffle(&mut self.rng);
        for &k in kinds.iter().take(follow_ups) {
            let follow = &catalog::FOLLOW_UPS[k];
            let mut vars = self.vars(&th, &deal);
            if follow.kind == FollowUpKind::Discount {
                let qty2 = deal.qty * 2;
                let price2 = round_price(deal.price * self.rng.random_range(92..=97) / 100);
                vars.push(("qty2", quantity(qty2)));
                vars.push(("price2", self.money(supplier, price2)));
                deal.qty = qty2;
                deal.price = price2;
            }
            let question = Self::text(pick::<&str>(&mut self.rng, follow.questions), &vars);
            let at = self.next_gap(&th);
            self.says(&mut th, Party::Buyer, at, &question).await?;
            let answer = Self::text(pick::<&str>(&mut self.rng, follow.answers), &vars);
            let at = self.next_gap(&th);
            self.says(&mut th, Party::Supplier, at, &answer).await?;
        }
        // Some orders add a second product of the same supplier.
        if self.rng.random_ratio(1, 3) && profile.products.len() > 1 {
            let others: Vec<&'static ProductProfile> = profile
                .products
                .iter()
                .filter(|p| p.name != product.name)
                .collect();
            let other = *pick(&mut self.rng, &others);
            let qty = *pick(&mut self.rng, other.quantities);
            let price = round_price(self.rng.random_range(other.price.0..=other.price.1));
            deal.extra = Some((other, qty, price));
        }
        Ok((th, deal))
    }

    /// Ends a thread as read (the buyer read everything a little after the last
    /// message) or leaves the supplier's last messages unread.
    pub(super) async fn finish(&mut self, th: &Thread, unread: bool) -> HttpResult<()> {
        if unread {
            return Ok(());
        }
        if let Some(up_to) = th.last_supplier {
            let at = th.last_at - self.rng.random_range(5..=60);
            self.at(at);
            chat::mark_read(&mut self.w, self.state, &self.buyer, th.id, up_to).await?;
        }
        Ok(())
    }

    // ---- orders -----------------------------------------------------------------

    pub(super) fn terms(
        &mut self,
        th: &Thread,
        deal: &Deal,
        deposit_percent: Option<u32>,
        documents: Vec<trade_model::DocumentId>,
    ) -> HttpResult<OrderTerms> {
        let profile = self.suppliers[th.supplier].profile;
        let mut lines = vec![OrderLine {
            product: deal.product.name.to_owned(),
            quantity: deal.qty,
            unit: deal.product.unit.to_owned(),
            unit_price_minor: deal.price,
        }];
        if let Some((p, qty, price)) = deal.extra {
            lines.push(OrderLine {
                product: p.name.to_owned(),
                quantity: qty,
                unit: p.unit.to_owned(),
                unit_price_minor: price,
            });
        }
        let total: i64 = lines
            .iter()
            .map(|l| i64::try_from(l.quantity).unwrap_or(0) * l.unit_price_minor)
            .sum();
        let today = trade_model::time::utc_date(self.state.now());
        let ship_by = today
            .checked_add(jiff::Span::new().days(self.rng.random_range(30..=60)))
            .map_err(HttpError::internal)?;
        let incoterm = pick(
            &mut self.rng,
            &[Incoterm::Fob, Incoterm::Fob, Incoterm::Cif, Incoterm::Exw],
        )
        .clone();
        let shipping_method = *pick(
            &mut self.rng,
            &[
                ShippingMethod::Sea,
                ShippingMethod::Sea,
                ShippingMethod::Sea,
                ShippingMethod::Rail,
                ShippingMethod::Air,
            ],
        );
        let remarks = format!(
            "{} Port of loading: {}.",
            pick(&mut self.rng, catalog::REMARKS),
            profile.port
        );
        Ok(OrderTerms {
            lines,
            currency: profile.currency,
            incoterm,
            shipping_method,
            ship_by,
            payment_terms: match deposit_percent {
                Some(p) => PaymentTerms::deposit_percent(total, p),
                None => PaymentTerms::Full,
            },
            remarks,
            documents,
        })
    }

    /// The usual start of a scene: an inquiry to `supplier` opened `start` ago with
    /// `follow_ups` exchanges, the buyer's order from its quote placed `placed` ago with a
    /// deposit of `deposit_percent` (`None`: paid in full), and the supplier's
    /// confirmation `after` that.
    pub(super) async fn confirmed_from_quote(
        &mut self,
        supplier: usize,
        start: i64,
        follow_ups: usize,
        deposit_percent: Option<u32>,
        placed: i64,
        after: i64,
    ) -> HttpResult<(Thread, Deal, Order)> {
        let (th, deal) = self.open(supplier, start, follow_ups).await?;
        let terms = self.terms(&th, &deal, deposit_percent, vec![])?;
        let order = self
            .create_order(Who::Buyer, &th, OrderOrigin::Template, terms, placed)
            .await?;
        let order = self
            .confirm(Who::Supplier(supplier), &order, placed - after)
            .await?;
        Ok((th, deal, order))
    }

    pub(super) async fn create_order(
        &mut self,
        by: Who,
        th: &Thread,
        origin: OrderOrigin,
        terms: OrderTerms,
        at: i64,
    ) -> HttpResult<Order> {
        self.at(at);
        let user = self.user(by);
        let counterparty = match by {
            Who::Buyer => self.suppliers[th.supplier].user.id,
            Who::Supplier(_) => self.buyer.id,
        };
        let request = CreateOrderRequest {
            counterparty,
            inquiry: Some(th.id),
            origin,
            terms,
            quotation: None,
        };
        let (order, _) =
            orders::submit(&mut self.w, self.state, &user, OrderId::new(), request).await?;
        self.orders += 1;
        Ok(order)
    }

    pub(super) async fn step(
        &mut self,
        by: Who,
        order: OrderId,
        action: OrderAction,
        at: i64,
    ) -> HttpResult<Order> {
        self.at(at);
        let user = self.user(by);
        let (order, _) = orders::step(&mut self.w, self.state, &user, order, &action).await?;
        Ok(order)
    }

    pub(super) async fn confirm(&mut self, by: Who, order: &Order, at: i64) -> HttpResult<Order> {
        let action = OrderAction::Confirm {
            version: order.version,
        };
        self.step(by, order.id, action, at).await
    }

    /// Pay Now by card with the sandbox's approving test card: the order enters payment
    /// processing, the gateway approves, the platform records the success.
    pub(super) async fn pay_by_card(&mut self, order: &Order, at: i64) -> HttpResult<Order> {
        self.at(at);
        let due = order
            .next_installment()
            .ok_or_else(|| HttpError::from(trade_model::Rejection::NothingDue))?;
        let payment_id = PaymentId::new();
        let (processing, payment) = begin_payment(
            &mut self.w,
            self.state,
            &self.buyer,
            order.id,
            payment_id,
            PaymentMethod::Card,
            due.amount_minor,
            Some(CARD_APPROVE[CARD_APPROVE.len() - 4..].to_owned()),
        )
        .await?;
        let today = trade_model::time::utc_date(self.state.now());
        let card = CardDetails {
            number: CARD_APPROVE.to_owned(),
            exp_month: 12,
            exp_year: u16::try_from(today.year() + 3).unwrap_or(2030),
            cvc: "123".to_owned(),
            holder: BUYER_NAME.to_owned(),
        };
        let outcome = self
            .state
            .gateway
            .charge(Charge {
                payment: payment_id,
                amount: Money::new(
                    payment.amount_minor + payment.fee_minor,
                    processing.terms.currency,
                ),
                card: &card,
            })
            .await;
        if !matches!(outcome, Ok(ChargeOutcome::Approved { .. })) {
            return Err(HttpError::internal(format!(
                "the payment gateway did not approve the demo card: {outcome:?}"
            )));
        }
        let (paid, _) = apply_in(
            &mut self.w,
            self.state,
            order.id,
            |_| Some(Actor::System),
            &OrderAction::PaymentSucceeded { payment_id },
        )
        .await?;
        Ok(paid)
    }

    /// Pay Now by telegraphic transfer: the order waits for the funds.
    pub(super) async fn begin_transfer(&mut self, order: &Order, at: i64) -> HttpResult<Payment> {
        self.at(at);
        let due = order
            .next_installment()
            .ok_or_else(|| HttpError::from(trade_model::Rejection::NothingDue))?;
        let (_, payment) = begin_payment(
            &mut self.w,
            self.state,
            &self.buyer,
            order.id,
            PaymentId::new(),
            PaymentMethod::TelegraphicTransfer,
            due.amount_minor,
            None,
        )
        .await?;
        Ok(payment)
    }

    pub(super) async fn funds_arrive(&mut self, payment: &Payment, at: i64) -> HttpResult<Order> {
        self.at(at);
        crate::record_funds_arrival(&mut self.w, self.state, payment).await
    }

    /// The supplier ships with a carrier for the order's shipping method and tells the
    /// buyer the tracking number in the chat.
    pub(super) async fn ship(
        &mut self,
        th: &mut Thread,
        order: &Order,
        at: i64,
    ) -> HttpResult<Order> {
        let (carrier, tracking_number) =
            catalog::tracking(&mut self.rng, order.terms.shipping_method);
        let shipped = self
            .step(
                Who::Supplier(th.supplier),
                order.id,
                OrderAction::Ship {
                    carrier: carrier.clone(),
                    tracking_number: tracking_number.clone(),
                },
                at,
            )
            .await?;
        let port = self.suppliers[th.supplier].profile.port;
        let note = format!(
            "Good news, {BUYER_FIRST_NAME}: your order left {port} today with {carrier}. Tracking number: {tracking_number}."
        );
        self.says(th, Party::Supplier, at - 10 * MINUTE, &note)
            .await?;
        Ok(shipped)
    }
}
