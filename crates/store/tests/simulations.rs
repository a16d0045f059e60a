//! Simulations and their append-only ledgers against a real database.

use engine::fill::Net;
use engine::ledger::{Fill, Placed};
use engine::order::{LegRequest, OrderRequest};
use jiff::civil::date;
use model::{Email, Timestamp};
use rust_decimal::dec;
use store::Store;
use store::simulations::{Appended, SimulationChange, SimulationExists, SimulationRecord};
use uuid::Uuid;

const T0: Timestamp = Timestamp::from_seconds(1_736_951_700); // 2025-01-15T14:35:00Z

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

fn record(user: Uuid) -> SimulationRecord {
    SimulationRecord {
        id: Uuid::new_v4(),
        user_id: user,
        underlying: "SPX".into(),
        date: date(2025, 1, 15),
        starting_capital: dec!(100000),
        description: Some("Iron condor day".into()),
        clock: None,
        created_at: T0,
    }
}

fn vertical(id: Uuid, filled: bool) -> Placed {
    let order = OrderRequest {
        order_type: "limit".into(),
        price: Some("1.10".into()),
        price_effect: Some("debit".into()),
        stop_trigger: None,
        legs: vec![
            LegRequest {
                instrument: "SPXW  250115C05950000".into(),
                quantity: "1".into(),
                action: "buy to open".into(),
            },
            LegRequest {
                instrument: "SPXW  250115C05970000".into(),
                quantity: "1".into(),
                action: "sell to open".into(),
            },
        ],
    }
    .check()
    .unwrap();
    Placed {
        id,
        placed_at: T0,
        order,
        slippage: dec!(0.05),
        fill: filled.then(|| Fill {
            at: T0,
            net: Net(dec!(1.10)),
            leg_prices: vec![dec!(4.35), dec!(3.25)],
        }),
    }
}

#[tokio::test]
async fn one_simulation_per_user_underlying_and_date() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let alice = user(&store, "alice@x.com").await;
    let bob = user(&store, "bob@x.com").await;
    let first = record(alice);
    assert_eq!(store.create_simulation(&first).await.unwrap(), Ok(()));
    assert_eq!(
        store.create_simulation(&record(alice)).await.unwrap(),
        Err(SimulationExists)
    );
    let spy = SimulationRecord {
        underlying: "SPY".into(),
        ..record(alice)
    };
    assert_eq!(store.create_simulation(&spy).await.unwrap(), Ok(()));
    assert_eq!(store.create_simulation(&record(bob)).await.unwrap(), Ok(()));
    assert_eq!(store.simulations(alice).await.unwrap().len(), 2);
    assert_eq!(
        store.simulation(alice, first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store.simulation(bob, first.id).await.unwrap(),
        None,
        "another user's simulation is not found"
    );
}

#[tokio::test]
async fn the_ledger_round_trips_orders_and_refuses_stale_appends() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let alice = user(&store, "alice@x.com").await;
    let simulation = record(alice);
    store.create_simulation(&simulation).await.unwrap().unwrap();
    let pending = vertical(Uuid::new_v4(), false);
    let filled = vertical(Uuid::new_v4(), true);
    assert_eq!(store.ledger(simulation.id).await.unwrap().next_seq, 1);
    assert_eq!(
        store
            .append_order(simulation.id, 1, &pending, T0)
            .await
            .unwrap(),
        Appended::Done
    );
    assert_eq!(
        store
            .append_order(simulation.id, 1, &filled, T0)
            .await
            .unwrap(),
        Appended::Conflict,
        "a writer that read the ledger before the last append does not land"
    );
    store
        .append_order(simulation.id, 2, &filled, T0)
        .await
        .unwrap();
    let ledger = store.ledger(simulation.id).await.unwrap();
    assert_eq!(ledger.orders, vec![pending.clone(), filled.clone()]);
    assert_eq!(ledger.next_seq, 3);
    store
        .append_cancel(simulation.id, 3, pending.id, T0)
        .await
        .unwrap();
    let ledger = store.ledger(simulation.id).await.unwrap();
    assert_eq!(ledger.orders, vec![filled]);
    assert_eq!(ledger.next_seq, 4);
}

#[tokio::test]
async fn concurrent_appends_at_one_number_land_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let alice = user(&store, "alice@x.com").await;
    let simulation = record(alice);
    store.create_simulation(&simulation).await.unwrap().unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            let placed = vertical(Uuid::new_v4(), false);
            tokio::spawn(async move {
                store
                    .append_order(simulation.id, 1, &placed, T0)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut landed = 0;
    for task in tasks {
        if task.await.unwrap() == Appended::Done {
            landed += 1;
        }
    }
    assert_eq!(landed, 1);
    assert_eq!(store.ledger(simulation.id).await.unwrap().orders.len(), 1);
}

#[tokio::test]
async fn clock_description_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let alice = user(&store, "alice@x.com").await;
    let bob = user(&store, "bob@x.com").await;
    let simulation = record(alice);
    store.create_simulation(&simulation).await.unwrap().unwrap();
    store
        .append_order(simulation.id, 1, &vertical(Uuid::new_v4(), true), T0)
        .await
        .unwrap();
    let change = SimulationChange {
        clock: Some(T0),
        description: Some(None),
    };
    assert!(
        !store
            .change_simulation(bob, simulation.id, &change)
            .await
            .unwrap()
    );
    assert!(
        store
            .change_simulation(alice, simulation.id, &change)
            .await
            .unwrap()
    );
    let changed = store
        .simulation(alice, simulation.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((changed.clock, changed.description), (Some(T0), None));
    assert!(!store.delete_simulation(bob, simulation.id).await.unwrap());
    assert!(store.delete_simulation(alice, simulation.id).await.unwrap());
    assert_eq!(store.simulation(alice, simulation.id).await.unwrap(), None);
    assert!(store.ledger(simulation.id).await.unwrap().orders.is_empty());
}
