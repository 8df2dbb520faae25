//! Push, the server half: batches of client mutations applied through the same code
//! paths as the REST API (a run of text messages through their batched form,
//! `chat::post_messages`), each at most once.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use trade_model::ErrorCode;
use trade_model::dispute::DisputeAction;
use trade_model::order::{OrderAction, PaymentMethod};
use trade_model::sync::{Mutation, MutationOp, MutationOutcome, MutationResult, RecordKind};
use trade_model::{AccountId, InquiryId, MessageId};

use crate::auth::AuthUser;
use crate::db::Write;
use crate::error::{HttpError, HttpResult};
use crate::orders;
use crate::state::AppState;
use crate::store;

fn rejected(err: HttpError) -> MutationOutcome {
    MutationOutcome::Rejected {
        code: err.code.to_owned(),
        message: err.message,
        details: err.details,
    }
}

/// Applies one mutation inside `w`; returns the order's new version for order steps.
async fn apply(
    w: &mut Write,
    state: &AppState,
    user: &AuthUser,
    op: MutationOp,
) -> HttpResult<Option<i64>> {
    match op {
        MutationOp::OpenInquiry {
            inquiry,
            supplier,
            product,
            message,
            body,
        } => {
            crate::chat::open_inquiry(w, state, user, inquiry, supplier, &product, message, &body)
                .await?;
            Ok(None)
        }
        MutationOp::SendMessage {
            inquiry,
            message,
            body,
            attachments,
        } => {
            crate::chat::post_message(w, state, user, inquiry, message, &body, &attachments)
                .await?;
            Ok(None)
        }
        MutationOp::MarkRead { inquiry, up_to } => {
            crate::chat::mark_read(w, state, user, inquiry, up_to).await?;
            Ok(None)
        }
        MutationOp::SubmitOrder { order, request } => {
            let (order, _) = orders::submit(w, state, user, order, request).await?;
            Ok(Some(order.version))
        }
        MutationOp::OrderStep { order, action } => {
            let (after, _) = match action {
                OrderAction::Modify { version, terms } => {
                    orders::modify(w, state, user, order, version, terms).await?
                }
                OrderAction::Dispute(step @ DisputeAction::File { .. }) => {
                    orders::file_dispute(w, state, user, order, &step).await?
                }
                OrderAction::BeginPayment {
                    payment_id,
                    method,
                    amount_minor,
                } => {
                    if method != PaymentMethod::TelegraphicTransfer {
                        return Err(HttpError::unprocessable(
                            ErrorCode::PaymentCardNeedsConnection,
                            "Card payments go to the payment provider directly and cannot be queued.",
                        ));
                    }
                    let (after, _payment) = crate::payments::begin_payment(
                        w,
                        state,
                        user,
                        order,
                        payment_id,
                        method,
                        amount_minor,
                        None,
                    )
                    .await?;
                    (after, trade_model::order::Actor::System)
                }
                other => orders::step(w, state, user, order, &other).await?,
            };
            Ok(Some(after.version))
        }
    }
}

/// Applies a batch in order, in one transaction (one commit, one fsync, for the batch).
/// Each mutation is applied as if inside a savepoint of its own: a refused one leaves
/// nothing but its refusal (see [`Pass`]). The results are recorded together at the
/// batch's end, in the same transaction as the effects, so a mutation takes effect at
/// most once (both commit or neither does). A mutation seen before (in an earlier push or
/// earlier in this batch) gets its first result again, unless its id now comes with
/// another operation, which is refused (`sync.mutation_id_reused`, nothing recorded). A
/// server fault rolls the whole batch back (the client retries it; nothing of it took
/// effect); a batch that met a conflicting transaction (a deadlock on PostgreSQL, or
/// another push of the same mutations committing first) is tried again here first.
pub async fn push(
    state: &AppState,
    user: &AuthUser,
    mutations: Vec<Mutation>,
) -> HttpResult<Vec<MutationResult>> {
    let batch = Arc::new(Batch::new(mutations)?);
    let mut tries = 1;
    loop {
        // The write turn is waited for here, on the runtime; the batch's hundreds of
        // statements then run on a thread of their own (see `db::on_own_thread`).
        let w = state.db.begin().await?;
        let (state, user, batch) = (state.clone(), user.clone(), batch.clone());
        let answer =
            crate::db::on_own_thread(async move { push_once(w, &state, &user, &batch).await })
                .await
                .map_err(HttpError::internal)?;
        match answer {
            Err(e) if e.code == ErrorCode::ServerBusy && tries < PUSH_TRIES => tries += 1,
            answer => return answer,
        }
    }
}

/// How many times a batch is tried when it meets conflicting transactions.
const PUSH_TRIES: u32 = 3;

/// A pushed batch with what its transaction needs of each mutation, made before the
/// write turn is taken: its id as stored, and its operation's fingerprint.
struct Batch {
    mutations: Vec<Mutation>,
    keys: Vec<String>,
    fingerprints: Vec<String>,
}

impl Batch {
    fn new(mutations: Vec<Mutation>) -> HttpResult<Batch> {
        Ok(Batch {
            keys: mutations.iter().map(|m| m.id.to_string()).collect(),
            fingerprints: mutations
                .iter()
                .map(|m| fingerprint(&m.op))
                .collect::<HttpResult<_>>()?,
            mutations,
        })
    }
}

/// How a pass over a batch keeps a refused mutation from leaving anything behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// The batch in one savepoint, as if nothing were refused (a client's queued changes
    /// nearly always apply): a savepoint per mutation is a round trip of its own, and
    /// consecutive text messages are applied together in a few statements
    /// ([`message_run`]) instead of two each. At the first refusal the pass gives up,
    /// the batch is rolled back to that savepoint and applied again in a careful pass.
    Hopeful,
    /// Each mutation in a savepoint of its own; a refused one is rolled back to it and
    /// only its refusal kept. Within one transaction the state it starts from is the
    /// hopeful pass's, so the mutations it applies do what they did there.
    Careful,
}

/// A pass's answers: each mutation's outcome, in the batch's order; and the
/// results the batch makes, by mutation id, with the operation's fingerprint (a
/// mutation repeated within the batch gets its first result, as one repeated across
/// pushes does), recorded together at the batch's end.
type Outcomes = (
    Vec<MutationOutcome>,
    BTreeMap<String, (String, MutationOutcome)>,
);

/// Applies the batch's mutations in order; `None` when a hopeful pass met a refusal.
async fn apply_pass(
    w: &mut Write,
    state: &AppState,
    user: &AuthUser,
    batch: &Batch,
    recorded: &HashMap<String, store::sync::RecordedMutation>,
    pass: Pass,
) -> HttpResult<Option<Outcomes>> {
    let mut fresh: BTreeMap<String, (String, MutationOutcome)> = BTreeMap::new();
    let mut results = Vec::with_capacity(batch.mutations.len());
    let mut next = 0;
    while next < batch.mutations.len() {
        let (key, fingerprint) = (&batch.keys[next], &batch.fingerprints[next]);
        if let Some(stored) = recorded.get(key) {
            results.push(seen_before(stored, fingerprint)?);
            next += 1;
            continue;
        }
        if let Some((first, outcome)) = fresh.get(key) {
            results.push(if first == fingerprint {
                outcome.clone()
            } else {
                id_reused()
            });
            next += 1;
            continue;
        }
        if pass == Pass::Hopeful {
            let run = message_run(batch, next, recorded, &fresh);
            if !run.is_empty() {
                match crate::chat::post_messages(w, state, user, &run).await {
                    Ok(()) => w.touch(user.id, RecordKind::UnreadCounts, user.id),
                    Err(err) if err.status.is_server_error() => return Err(err),
                    Err(_) => return Ok(None),
                }
                for k in next..next + run.len() {
                    let outcome = applied(None);
                    fresh.insert(
                        batch.keys[k].clone(),
                        (batch.fingerprints[k].clone(), outcome.clone()),
                    );
                    results.push(outcome);
                }
                next += run.len();
                continue;
            }
        }
        if pass == Pass::Careful {
            w.savepoint().await?;
        }
        let outcome = match apply(w, state, user, batch.mutations[next].op.clone()).await {
            Ok(order_version) => {
                w.touch(user.id, RecordKind::UnreadCounts, user.id);
                applied(order_version)
            }
            Err(err) if err.status.is_server_error() => return Err(err),
            // Met a change committed at the same moment (PostgreSQL): a refusal about the
            // moment, never recorded as the mutation's result; the batch is tried again
            // on what is committed now.
            Err(err) if err.code == ErrorCode::OrderConcurrentChange => {
                return Err(HttpError::busy(err.message));
            }
            Err(_) if pass == Pass::Hopeful => return Ok(None),
            Err(err) => {
                w.rollback_to_savepoint().await?;
                rejected(err)
            }
        };
        fresh.insert(key.clone(), (fingerprint.clone(), outcome.clone()));
        results.push(outcome);
        next += 1;
    }
    Ok(Some((results, fresh)))
}

/// An applied mutation's outcome; the batch's version is known once its changes are in
/// the feed.
fn applied(order_version: Option<i64>) -> MutationOutcome {
    MutationOutcome::Applied {
        account_version: 0,
        order_version,
    }
}

/// The text messages from `start` on that a hopeful pass applies together
/// (`chat::post_messages`): consecutive `send_message` mutations without attachments,
/// each seen for the first time (not recorded, not earlier in the batch or the run).
/// Empty when the mutation at `start` is not one.
fn message_run<'b>(
    batch: &'b Batch,
    start: usize,
    recorded: &HashMap<String, store::sync::RecordedMutation>,
    fresh: &BTreeMap<String, (String, MutationOutcome)>,
) -> Vec<(InquiryId, MessageId, &'b str)> {
    let mut keys = HashSet::new();
    batch.mutations[start..]
        .iter()
        .zip(&batch.keys[start..])
        .map_while(|(mutation, key)| match &mutation.op {
            MutationOp::SendMessage {
                inquiry,
                message,
                body,
                attachments,
            } if attachments.is_empty()
                && !recorded.contains_key(key)
                && !fresh.contains_key(key)
                && keys.insert(key) =>
            {
                Some((*inquiry, *message, body.as_str()))
            }
            _ => None,
        })
        .collect()
}

async fn push_once(
    mut w: Write,
    state: &AppState,
    user: &AuthUser,
    batch: &Batch,
) -> HttpResult<Vec<MutationResult>> {
    let now = state.now();
    // Results recorded by earlier pushes.
    let recorded = store::sync::mutation_results(&mut w, user.id, &batch.keys).await?;
    w.savepoint().await?;
    let hopeful = apply_pass(&mut w, state, user, batch, &recorded, Pass::Hopeful).await?;
    let (results, mut fresh) = match hopeful {
        Some(outcomes) => outcomes,
        None => {
            w.rollback_to_savepoint().await?;
            w.release_savepoint().await?;
            apply_pass(&mut w, state, user, batch, &recorded, Pass::Careful)
                .await?
                .ok_or_else(|| HttpError::internal("a careful pass gave up on a refusal"))?
        }
    };
    // The batch's savepoint, or the last mutation's (each replaced the one before it).
    w.release_savepoint().await?;
    // The batch's changes go into the feed once, at its end: every account it touched
    // gets one new version, and the rows every writer shares (account versions, feed
    // rows) are locked here, once, in one sorted order. Flushed after each mutation, a
    // batch held them in the order of its mutations, and two batches (or a batch and a
    // request) meeting the same accounts in opposite orders deadlocked on PostgreSQL.
    let versions = w.flush().await?;
    let version = own_version(&versions, user.id);
    let stamp = |outcome: &mut MutationOutcome| {
        if let MutationOutcome::Applied {
            account_version, ..
        } = outcome
        {
            *account_version = version;
        }
    };
    let mut rows = Vec::with_capacity(fresh.len());
    for (key, (fingerprint, outcome)) in &mut fresh {
        stamp(outcome);
        let text = serde_json::to_string(outcome).map_err(HttpError::internal)?;
        rows.push(store::sync::NewMutationResult {
            mutation: key.clone(),
            fingerprint: fingerprint.clone(),
            result: text,
        });
    }
    // In mutation id order (a BTreeMap's): two batches recording the same ids lock them
    // in one order. An id recorded meanwhile by another push of it (PostgreSQL: it
    // committed while this one worked) leaves a row unwritten: nothing of this batch
    // stays, and the batch is tried again, meeting that push's results.
    let written = store::sync::record_mutations(&mut w, user.id, &rows, now).await?;
    if written != rows.len() {
        return Err(HttpError::busy(
            "a mutation of this batch was recorded by another push of it",
        ));
    }
    w.commit().await?;
    Ok(results
        .into_iter()
        .zip(batch.mutations.iter().zip(&batch.keys))
        .map(|(mut outcome, (mutation, key))| {
            if fresh.contains_key(key) {
                stamp(&mut outcome);
            }
            MutationResult {
                id: mutation.id,
                outcome,
            }
        })
        .collect())
}

/// The refusal of a mutation id that comes again with another operation.
fn id_reused() -> MutationOutcome {
    MutationOutcome::Rejected {
        code: ErrorCode::SyncMutationIdReused.to_owned(),
        message: "This mutation id was already used for another change; \
                  send a new change under a new id."
            .to_owned(),
        details: None,
    }
}

/// The answer to a mutation whose id was recorded before: its first result, or a refusal
/// when the id now comes with another operation.
fn seen_before(
    stored: &store::sync::RecordedMutation,
    fingerprint: &str,
) -> HttpResult<MutationOutcome> {
    if stored
        .fingerprint
        .as_ref()
        .is_some_and(|seen| seen != fingerprint)
    {
        return Ok(id_reused());
    }
    serde_json::from_str(&stored.result).map_err(HttpError::internal)
}

/// What a mutation asks for, as a hash of its operation's canonical JSON.
fn fingerprint(op: &MutationOp) -> HttpResult<String> {
    use sha2::{Digest, Sha256};
    let json = serde_json::to_vec(op).map_err(HttpError::internal)?;
    Ok(hex::encode(Sha256::digest(&json)))
}

fn own_version(versions: &[(String, i64)], account: AccountId) -> i64 {
    let me = account.to_string();
    versions
        .iter()
        .find(|(a, _)| *a == me)
        .map(|(_, v)| *v)
        .unwrap_or(0)
}
