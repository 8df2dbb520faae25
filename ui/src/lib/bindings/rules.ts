// Generated from trade-model by crates/trade-desk/tests/desk/bindings.rs: do not edit.
// The rules' numbers and lists the window shows or checks before it sends anything.

/** Minor-unit exponents of the currencies the platform settles in. */
export const CURRENCY_EXPONENTS: Readonly<Record<string, number>> = {
  USD: 2,
  EUR: 2,
  GBP: 2,
  CNY: 2,
  HKD: 2,
  JPY: 0,
  KRW: 0,
  AUD: 2,
  CAD: 2,
  CHF: 2,
  SGD: 2,
  INR: 2,
  AED: 2,
  BRL: 2,
  MXN: 2,
  RUB: 2,
  TRY: 2,
  VND: 0,
  THB: 2,
  KWD: 3,
};
export const INCOTERMS: readonly string[] = ["EXW", "FCA", "FAS", "FOB", "CFR", "CIF", "CPT", "CIP", "DAP", "DPU", "DDP", "DDU"];
export const MAX_MESSAGE_CHARS = 10000;
export const MAX_ATTACHMENTS = 10;
/** Lines of one order. */
export const MAX_LINES = 200;
/** An order line's product name. */
export const MAX_PRODUCT_CHARS = 200;
/** An order line's unit. */
export const MAX_UNIT_CHARS = 40;
/** Remarks, notes, a dispute's description. */
export const MAX_TEXT_CHARS = 2000;
/** The buyer may escalate a dispute this many days after filing it. */
export const DISPUTE_ESCALATION_AFTER_DAYS = 3;
/** Negotiation escalates by itself this many days after filing. */
export const DISPUTE_AUTO_ESCALATION_AFTER_DAYS = 6;
export const MAX_EVIDENCE = 20;
/** The items of a page the window reads of a list (trade-desk's `launch::PAGE`): the
*  launch's first inbox page holds as many. */
export const PAGE = 200;
