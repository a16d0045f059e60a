//! Paper accounts against a real database: the active limit under concurrency, resets that keep
//! the closed generation readable, ownership, and the ledger that carries the cash.

use model::paper_accounts::MAX_ACTIVE_ACCOUNTS;
use model::{Email, Timestamp};
use rust_decimal::{Decimal, dec};
use std::time::Duration;
use store::Store;
use store::paper_accounts::{
    AccountRefusal, AccountStatus, EquityTrigger, Generations, LedgerQuery, LedgerType,
    PaperAccount, Reset,
};
use uuid::Uuid;

const T0: Timestamp = Timestamp::from_seconds(1_767_625_200); // 2026-01-05T15:00:00Z

fn at(seconds: u64) -> Timestamp {
    T0.plus(Duration::from_secs(seconds))
}

async fn open(dir: &tempfile::TempDir) -> Store {
    Store::open(&store::testing::database_url(dir.path()).await)
        .await
        .unwrap()
}

async fn user(store: &Store, address: &str) -> Uuid {
    store
        .create_user(&Email::parse(address).unwrap(), None, T0)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn create(
    store: &Store,
    user: Uuid,
    name: &str,
    cash: Decimal,
    now: Timestamp,
) -> PaperAccount {
    store
        .create_paper_account(user, name, cash, MAX_ACTIVE_ACCOUNTS, now)
        .await
        .unwrap()
        .unwrap()
}

fn ledger(generations: Generations) -> LedgerQuery {
    LedgerQuery {
        generations,
        kind: None,
        after: None,
        until: None,
        limit: 1000,
    }
}

#[tokio::test]
async fn a_new_account_starts_generation_one_with_a_deposit_and_a_point() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let owner = user(&store, "owner@example.com").await;
    let account = create(&store, owner, "agent-sandbox", dec!(250000.50), T0).await;
    assert_eq!(account.generation, 1);
    assert_eq!(account.status, AccountStatus::Active);
    assert_eq!(
        (account.initial_cash, account.cash),
        (dec!(250000.5), dec!(250000.5))
    );
    assert_eq!(account.realized_pl, Decimal::ZERO);
    assert_eq!(
        (account.created_at, account.generation_started_at),
        (T0, T0)
    );
    assert_eq!(
        (account.archived_at, account.last_reset_reason.clone()),
        (None, None)
    );
    assert_eq!(
        store.paper_account(owner, account.id).await.unwrap(),
        Some(account.clone())
    );

    let entries = store
        .paper_ledger(owner, account.id, &ledger(Generations::Current))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entries.len(), 1);
    let deposit = &entries[0];
    assert_eq!(deposit.kind, LedgerType::Deposit);
    assert_eq!(
        (deposit.amount, deposit.cash_after),
        (dec!(250000.5), dec!(250000.5))
    );
    assert_eq!(
        (deposit.seq, deposit.generation, deposit.created_at),
        (1, 1, T0)
    );
    assert_eq!(deposit.account_id, account.id);

    let points = store
        .paper_equity_points(owner, account.id, Generations::Current)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(points.len(), 1);
    assert_eq!(points[0].trigger, EquityTrigger::GenerationStart);
    assert_eq!(points[0].figures.equity, dec!(250000.5));
    assert_eq!(points[0].figures.peak_equity, dec!(250000.5));
    assert_eq!(points[0].figures.drawdown, Decimal::ZERO);

    let generations = store
        .paper_generations(owner, account.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(generations.len(), 1);
    assert_eq!(generations[0].generation, 1);
    assert_eq!(generations[0].initial_cash, dec!(250000.5));
    assert_eq!(
        (generations[0].started_at, generations[0].end.clone()),
        (T0, None)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_concurrent_creates_leave_exactly_twenty_active() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let owner = user(&store, "racer@example.com").await;
    let attempts: Vec<_> = (0..30)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .create_paper_account(
                        owner,
                        &format!("a{i}"),
                        dec!(1000),
                        MAX_ACTIVE_ACCOUNTS,
                        T0,
                    )
                    .await
                    .unwrap()
            })
        })
        .collect();
    let (mut created, mut refused) = (Vec::new(), 0);
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(account) => created.push(account),
            Err(refusal) => {
                assert_eq!(refusal, AccountRefusal::LimitReached);
                refused += 1;
            }
        }
    }
    assert_eq!((created.len(), refused), (20, 10));
    let listed = store.paper_accounts(owner, false).await.unwrap();
    assert_eq!(listed.len(), 20);
    // Refused creates take no number: the created accounts are numbered 1..=20.
    let mut numbers: Vec<i64> = listed.iter().map(|a| a.number).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=20).collect::<Vec<_>>());

    // Archiving one frees a place; archived accounts do not count.
    let archived = store
        .archive_paper_account(owner, listed[3].id, at(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(archived.status, AccountStatus::Archived);
    create(&store, owner, "replacement", dec!(1000), at(2)).await;
    assert_eq!(
        store
            .create_paper_account(
                owner,
                "one too many",
                dec!(1000),
                MAX_ACTIVE_ACCOUNTS,
                at(3)
            )
            .await
            .unwrap(),
        Err(AccountRefusal::LimitReached)
    );
    assert_eq!(store.paper_accounts(owner, false).await.unwrap().len(), 20);
    assert_eq!(store.paper_accounts(owner, true).await.unwrap().len(), 21);
    // Another user has a limit of their own.
    let other = user(&store, "other@example.com").await;
    create(&store, other, "mine", dec!(1000), T0).await;
}

#[tokio::test]
async fn lists_are_in_creation_order_even_when_market_time_steps_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let owner = user(&store, "order@example.com").await;
    let first = create(&store, owner, "first", dec!(1), at(100)).await;
    let second = create(&store, owner, "second", dec!(1), at(100)).await;
    // The replay clock went round its session: a later create at an earlier market instant.
    let third = create(&store, owner, "third", dec!(1), at(50)).await;
    let names: Vec<String> = store
        .paper_accounts(owner, false)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    // By created_at, then by creation number among equal instants.
    assert_eq!(names, ["third", "first", "second"]);
    assert_eq!((first.number, second.number, third.number), (1, 2, 3));
}

#[tokio::test]
async fn a_reset_opens_the_next_generation_and_keeps_the_last_one_readable() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let owner = user(&store, "reset@example.com").await;
    let account = create(&store, owner, "resettable", dec!(1000), T0).await;

    let reset = Reset {
        initial_cash: Some(dec!(5000.25)),
        reason: Some("new strategy".into()),
    };
    let after = store
        .reset_paper_account(owner, account.id, &reset, at(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.generation, 2);
    assert_eq!(
        (after.initial_cash, after.cash),
        (dec!(5000.25), dec!(5000.25))
    );
    assert_eq!(after.generation_started_at, at(60));
    assert_eq!(after.updated_at, at(60));
    assert_eq!(after.created_at, T0);
    assert_eq!(after.last_reset_reason.as_deref(), Some("new strategy"));
    assert_eq!(
        store.paper_account(owner, account.id).await.unwrap(),
        Some(after.clone())
    );

    // The generations, newest first: the new one current, the old one closed with its figures.
    let generations = store
        .paper_generations(owner, account.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(generations.len(), 2);
    assert_eq!(generations[0].generation, 2);
    assert_eq!(generations[0].reset_reason.as_deref(), Some("new strategy"));
    assert_eq!(generations[0].initial_cash, dec!(5000.25));
    assert_eq!(generations[0].end, None);
    let old = &generations[1];
    assert_eq!(
        (old.generation, old.started_at, old.reset_reason.clone()),
        (1, T0, None)
    );
    let end = old.end.as_ref().expect("generation 1 is closed");
    assert_eq!(end.ended_at, at(60));
    assert_eq!((end.final_cash, end.final_equity), (dec!(1000), dec!(1000)));
    assert_eq!(end.final_realized_pl, Decimal::ZERO);
    assert_eq!(end.canceled_orders_count, 0);
    assert!(end.cleared_positions.is_empty());

    // The old generation's ledger: its deposit and the zero marker, untouched by the reset.
    let old_entries = store
        .paper_ledger(owner, account.id, &ledger(Generations::One(1)))
        .await
        .unwrap()
        .unwrap();
    let kinds: Vec<_> = old_entries
        .iter()
        .map(|e| (e.kind, e.amount, e.cash_after))
        .collect();
    assert_eq!(
        kinds,
        [
            (LedgerType::GenerationEnd, dec!(0), dec!(1000)),
            (LedgerType::Deposit, dec!(1000), dec!(1000)),
        ]
    );
    let current = store
        .paper_ledger(owner, account.id, &ledger(Generations::Current))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.len(), 1);
    assert_eq!(
        (current[0].kind, current[0].generation),
        (LedgerType::Deposit, 2)
    );
    assert_eq!(current[0].cash_after, dec!(5000.25));
    let all = store
        .paper_ledger(owner, account.id, &ledger(Generations::All))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 2, 1]);
    assert_eq!(
        all.iter().map(|e| e.generation).collect::<Vec<_>>(),
        [2, 1, 1]
    );

    // Equity points: generation 1 keeps its start and gets a final point; generation 2 starts
    // afresh, its peak its own.
    let old_points = store
        .paper_equity_points(owner, account.id, Generations::One(1))
        .await
        .unwrap()
        .unwrap();
    let triggers: Vec<_> = old_points
        .iter()
        .map(|p| (p.trigger, p.at, p.figures.equity))
        .collect();
    assert_eq!(
        triggers,
        [
            (EquityTrigger::GenerationStart, T0, dec!(1000)),
            (EquityTrigger::GenerationEnd, at(60), dec!(1000)),
        ]
    );
    let new_points = store
        .paper_equity_points(owner, account.id, Generations::Current)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(new_points.len(), 1);
    assert_eq!(new_points[0].trigger, EquityTrigger::GenerationStart);
    assert_eq!(new_points[0].figures.peak_equity, dec!(5000.25));
    assert_eq!(new_points[0].figures.drawdown, Decimal::ZERO);
    assert_eq!(
        store
            .paper_equity_points(owner, account.id, Generations::All)
            .await
            .unwrap()
            .unwrap()
            .len(),
        3
    );

    // A reset without initial cash keeps the closing generation's, and without a reason clears
    // the last one.
    let again = store
        .reset_paper_account(owner, account.id, &Reset::default(), at(120))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.generation, 3);
    assert_eq!(
        (again.initial_cash, again.cash),
        (dec!(5000.25), dec!(5000.25))
    );
    assert_eq!(again.last_reset_reason, None);
    let generations = store
        .paper_generations(owner, account.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        generations.iter().map(|g| g.generation).collect::<Vec<_>>(),
        [3, 2, 1]
    );
    assert!(generations[1].end.is_some() && generations[2].end.is_some());
}

#[tokio::test]
async fn every_generation_s_entries_sum_to_its_cash() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let owner = user(&store, "sums@example.com").await;
    let account = create(&store, owner, "sums", dec!(777.77), T0).await;
    for (i, cash) in [Some(dec!(10)), None, Some(dec!(99999999.99))]
        .into_iter()
        .enumerate()
    {
        let reset = Reset {
            initial_cash: cash,
            reason: None,
        };
        store
            .reset_paper_account(owner, account.id, &reset, at(i as u64 + 1))
            .await
            .unwrap()
            .unwrap();
    }
    let all = store
        .paper_ledger(owner, account.id, &ledger(Generations::All))
        .await
        .unwrap()
        .unwrap();
    let generations = store
        .paper_generations(owner, account.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(generations.len(), 4);
    for generation in &generations {
        let mut entries: Vec<_> = all
            .iter()
            .filter(|e| e.generation == generation.generation)
            .collect();
        entries.sort_by_key(|e| e.seq);
        let mut balance = Decimal::ZERO;
        for entry in &entries {
            balance += entry.amount;
            assert_eq!(balance, entry.cash_after, "entry {}", entry.seq);
        }
        assert_eq!(entries[0].kind, LedgerType::Deposit);
        assert_eq!(entries[0].amount, generation.initial_cash);
        match &generation.end {
            Some(end) => assert_eq!(balance, end.final_cash),
            None => {
                let now = store
                    .paper_account(owner, account.id)
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(balance, now.cash);
                assert_eq!(now.cash, dec!(99999999.99));
            }
        }
    }
    // Seqs have no gaps across generations.
    let mut seqs: Vec<i64> = all.iter().map(|e| e.seq).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=7).collect::<Vec<_>>());
}

#[tokio::test]
async fn ledger_reads_filter_by_type_time_and_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let owner = user(&store, "filters@example.com").await;
    let account = create(&store, owner, "filters", dec!(100), T0).await;
    store
        .reset_paper_account(owner, account.id, &Reset::default(), at(10))
        .await
        .unwrap()
        .unwrap();
    store
        .reset_paper_account(owner, account.id, &Reset::default(), at(20))
        .await
        .unwrap()
        .unwrap();
    let read = |query: LedgerQuery| {
        let store = store.clone();
        async move {
            store
                .paper_ledger(owner, account.id, &query)
                .await
                .unwrap()
                .unwrap()
                .iter()
                .map(|e| e.seq)
                .collect::<Vec<_>>()
        }
    };
    // seq 1 deposit @T0; 2 end, 3 deposit @10; 4 end, 5 deposit @20.
    let deposits = LedgerQuery {
        kind: Some(LedgerType::Deposit),
        ..ledger(Generations::All)
    };
    assert_eq!(read(deposits).await, [5, 3, 1]);
    let ends = LedgerQuery {
        kind: Some(LedgerType::GenerationEnd),
        ..ledger(Generations::All)
    };
    assert_eq!(read(ends).await, [4, 2]);
    let trades = LedgerQuery {
        kind: Some(LedgerType::Trade),
        ..ledger(Generations::All)
    };
    assert!(read(trades).await.is_empty());
    let window = LedgerQuery {
        after: Some(T0),
        until: Some(at(10)),
        ..ledger(Generations::All)
    };
    assert_eq!(read(window).await, [3, 2]);
    let limited = LedgerQuery {
        limit: 2,
        ..ledger(Generations::All)
    };
    assert_eq!(read(limited).await, [5, 4]);
    assert_eq!(read(ledger(Generations::One(2))).await, [4, 3]);
    assert!(read(ledger(Generations::One(9))).await.is_empty());
}

#[tokio::test]
async fn rename_and_archive() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let owner = user(&store, "names@example.com").await;
    let account = create(&store, owner, "before", dec!(100), T0).await;
    let renamed = store
        .rename_paper_account(owner, account.id, "after", at(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.updated_at),
        ("after", at(5))
    );
    assert_eq!(
        store.paper_account(owner, account.id).await.unwrap(),
        Some(renamed)
    );

    let archived = store
        .archive_paper_account(owner, account.id, at(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(archived.status, AccountStatus::Archived);
    assert_eq!(
        (archived.archived_at, archived.updated_at),
        (Some(at(10)), at(10))
    );
    // Idempotent: archiving again changes nothing, not even the instants.
    let again = store
        .archive_paper_account(owner, account.id, at(20))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again, archived);
    assert_eq!(
        store.paper_account(owner, account.id).await.unwrap(),
        Some(archived.clone())
    );
    // Archived accounts refuse writes and stay readable.
    assert_eq!(
        store
            .rename_paper_account(owner, account.id, "x", at(30))
            .await
            .unwrap(),
        Err(AccountRefusal::Archived)
    );
    assert_eq!(
        store
            .reset_paper_account(owner, account.id, &Reset::default(), at(30))
            .await
            .unwrap(),
        Err(AccountRefusal::Archived)
    );
    assert!(store.paper_accounts(owner, false).await.unwrap().is_empty());
    assert_eq!(store.paper_accounts(owner, true).await.unwrap(), [archived]);
    assert_eq!(
        store
            .paper_generations(owner, account.id)
            .await
            .unwrap()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn another_user_s_account_is_as_good_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let owner = user(&store, "owner@example.com").await;
    let stranger = user(&store, "stranger@example.com").await;
    let account = create(&store, owner, "private", dec!(100), T0).await;
    let missing = Uuid::new_v4();
    for id in [account.id, missing] {
        assert_eq!(store.paper_account(stranger, id).await.unwrap(), None);
        assert_eq!(
            store
                .rename_paper_account(stranger, id, "mine", at(1))
                .await
                .unwrap(),
            Err(AccountRefusal::NotFound)
        );
        assert_eq!(
            store
                .archive_paper_account(stranger, id, at(1))
                .await
                .unwrap(),
            Err(AccountRefusal::NotFound)
        );
        assert_eq!(
            store
                .reset_paper_account(stranger, id, &Reset::default(), at(1))
                .await
                .unwrap(),
            Err(AccountRefusal::NotFound)
        );
        assert_eq!(store.paper_generations(stranger, id).await.unwrap(), None);
        assert_eq!(
            store
                .paper_ledger(stranger, id, &ledger(Generations::All))
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            store
                .paper_equity_points(stranger, id, Generations::All)
                .await
                .unwrap(),
            None
        );
    }
    assert!(
        store
            .paper_accounts(stranger, true)
            .await
            .unwrap()
            .is_empty()
    );
    // The owner's account was left exactly as it was.
    assert_eq!(
        store.paper_account(owner, account.id).await.unwrap(),
        Some(account)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_resets_each_open_their_own_generation() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let owner = user(&store, "resets@example.com").await;
    let account = create(&store, owner, "busy", dec!(100), T0).await;
    let resets: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .reset_paper_account(owner, account.id, &Reset::default(), at(i + 1))
                    .await
                    .unwrap()
                    .unwrap()
                    .generation
            })
        })
        .collect();
    let mut generations = Vec::new();
    for reset in resets {
        generations.push(reset.await.unwrap());
    }
    generations.sort_unstable();
    assert_eq!(generations, (2..=9).collect::<Vec<_>>());
    let records = store
        .paper_generations(owner, account.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(records.len(), 9);
    assert_eq!(records.iter().filter(|g| g.end.is_none()).count(), 1);
}
