//! The DynamoDB adapter against the emulator's real DynamoDB API.

use portal_tests::{Stack, unique};
use serde::{Deserialize, Serialize};
use shared::http::Problem;
use shared::secrets::{AppSecret, Secrets};
use shared::store::{Entity, Failure, Index, Key, Query, Store, StoreError, keys};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Note {
    owner: String,
    id: String,
    state: String,
    created_at: String,
    version: u64,
    text: String,
}

impl Entity for Note {
    const KIND: &'static str = "test_note";

    fn key(&self) -> Key {
        Key::new(
            keys::partner_partition(&self.owner),
            format!("NOTE#{}", self.id),
        )
    }

    fn index_keys(&self) -> Vec<(Index, Key)> {
        vec![(
            Index::ByState,
            Key::new(
                format!("NOTES#{}#{}", self.owner, self.state),
                self.created_at.clone(),
            ),
        )]
    }
}

/// A guard item: its key is the unique value it reserves.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct EmailGuard {
    email: String,
    owner: String,
}

impl Entity for EmailGuard {
    const KIND: &'static str = "test_email_guard";

    fn key(&self) -> Key {
        Key::new(format!("TESTEMAIL#{}", self.email), "GUARD")
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct Counters {
    #[serde(default)]
    total: i64,
    #[serde(default)]
    open: i64,
}

impl Entity for Counters {
    const KIND: &'static str = "test_counters";

    fn key(&self) -> Key {
        unreachable!("counters are only read by key")
    }
}

async fn store(stack: &Stack) -> Store {
    let secrets = Secrets::new(stack.secrets_manager());
    let app = AppSecret::load(&secrets, &stack.app_secret)
        .await
        .expect("app secret provisioned from template.yaml");
    Store::new(stack.dynamodb(), &stack.table).with_cursors(app.cursor_codec().unwrap())
}

fn note(owner: &str, n: usize, state: &str) -> Note {
    Note {
        owner: owner.to_string(),
        id: format!("{n:04}"),
        state: state.to_string(),
        created_at: format!("2026-11-20T10:00:{:02}Z", n % 60),
        version: 1,
        text: format!("note {n}"),
    }
}

#[tokio::test]
async fn an_item_round_trips_and_a_second_create_is_a_conflict() {
    let stack = Stack::connect().await;
    let store = store(&stack).await;
    let owner = unique("P");
    let n = note(&owner, 1, "open");
    store
        .create(&n, Failure::conflict("note_exists", "exists"))
        .await
        .unwrap();
    assert_eq!(store.get::<Note>(&n.key()).await.unwrap(), Some(n.clone()));

    let err = store
        .create(&n, Failure::conflict("note_exists", "exists"))
        .await
        .unwrap_err();
    let problem = Problem::from(err);
    assert_eq!(
        (problem.status().as_u16(), problem.code()),
        (409, "note_exists")
    );
}

#[tokio::test]
async fn a_missing_item_reads_as_none() {
    let stack = Stack::connect().await;
    let store = store(&stack).await;
    let key = Key::new(keys::partner_partition(&unique("P")), "NOTE#none");
    assert_eq!(store.get::<Note>(&key).await.unwrap(), None);
}

#[tokio::test]
async fn concurrent_updates_of_one_version_let_exactly_one_win() {
    let stack = Stack::connect().await;
    let store = store(&stack).await;
    let original = note(&unique("P"), 1, "open");
    store
        .create(&original, Failure::conflict("note_exists", "exists"))
        .await
        .unwrap();

    let attempts = (0..8).map(|i| {
        let store = store.clone();
        let mut edited = original.clone();
        edited.version = 2;
        edited.text = format!("edit {i}");
        tokio::spawn(async move { store.commit(store.tx().replace(&edited, 1).build()).await })
    });
    let results: Vec<_> = futures_join(attempts).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    let stale = results
        .iter()
        .filter(|r| {
            matches!(
                r,
                Err(StoreError::Condition(Failure::Stale)) | Err(StoreError::Throttled(_))
            )
        })
        .count();
    assert_eq!((won, stale), (1, 7), "{results:?}");
    let stored: Note = store.get(&original.key()).await.unwrap().unwrap();
    assert_eq!(stored.version, 2);
    assert_eq!(
        Problem::from(StoreError::Condition(Failure::Stale)).status(),
        412
    );
}

async fn futures_join<T: Send + 'static>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut out = Vec::new();
    for h in handles.collect::<Vec<_>>() {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn a_failed_condition_cancels_the_whole_transaction() {
    let stack = Stack::connect().await;
    let store = store(&stack).await;
    let owner = unique("P");
    let email = format!("{}@example.com", unique("e").to_lowercase());
    let guard = EmailGuard {
        email: email.clone(),
        owner: owner.clone(),
    };
    store
        .create(&guard, Failure::conflict("email_taken", "taken"))
        .await
        .unwrap();

    let n = note(&owner, 1, "open");
    let counters = Key::new(keys::partner_partition(&owner), "COUNTERS");
    let tx = store
        .tx()
        .create(&n, Failure::conflict("note_exists", "exists"))
        .add(&counters, Counters::KIND, &[("total", 1), ("open", 1)])
        .create(
            &EmailGuard {
                email,
                owner: owner.clone(),
            },
            Failure::conflict("email_taken", "That email is registered."),
        )
        .build();
    let err = store.commit(tx).await.unwrap_err();
    assert_eq!(Problem::from(err).code(), "email_taken");

    // Nothing of the transaction landed: no partial write.
    assert_eq!(store.get::<Note>(&n.key()).await.unwrap(), None);
    assert!(store.get::<Counters>(&counters).await.unwrap().is_none());
}

#[tokio::test]
async fn counters_add_up_across_transactions() {
    let stack = Stack::connect().await;
    let store = store(&stack).await;
    let owner = unique("P");
    let counters = Key::new(keys::partner_partition(&owner), "COUNTERS");
    for i in 0..3 {
        let n = note(&owner, i, "open");
        let tx = store
            .tx()
            .create(&n, Failure::conflict("note_exists", "exists"))
            .add(&counters, Counters::KIND, &[("total", 1), ("open", 1)])
            .build();
        store.commit(tx).await.unwrap();
    }
    let tx = store
        .tx()
        .add(&counters, Counters::KIND, &[("open", -1)])
        .build();
    store.commit(tx).await.unwrap();
    let c: Counters = store.get(&counters).await.unwrap().unwrap();
    assert_eq!((c.total, c.open), (3, 2));
}

#[tokio::test]
async fn delete_and_require_report_missing_items_as_not_found() {
    let stack = Stack::connect().await;
    let store = store(&stack).await;
    let key = Key::new(keys::partner_partition(&unique("P")), "NOTE#gone");
    let err = store
        .commit(
            store
                .tx()
                .delete(&key, Failure::Missing { what: "note" })
                .build(),
        )
        .await
        .unwrap_err();
    assert_eq!(Problem::from(err).status(), 404);
    let err = store
        .commit(
            store
                .tx()
                .require(&key, Failure::Missing { what: "note" })
                .build(),
        )
        .await
        .unwrap_err();
    assert_eq!(Problem::from(err).status(), 404);
}

#[tokio::test]
async fn pages_follow_cursors_to_the_end_newest_first() {
    let stack = Stack::connect().await;
    let store = store(&stack).await;
    let owner = unique("P");
    for i in 0..7 {
        store
            .create(
                &note(&owner, i, "open"),
                Failure::conflict("note_exists", "exists"),
            )
            .await
            .unwrap();
    }
    let query = Query {
        index: None,
        partition: keys::partner_partition(&owner),
        sort_prefix: Some("NOTE#".into()),
        newest_first: true,
        limit: 3,
        filter: None,
        sort_below: None,
        sort_between: None,
        sort_above: None,
    };
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = store
            .query::<Note>(&query, cursor.as_deref())
            .await
            .unwrap();
        pages += 1;
        seen.extend(page.items.iter().map(|n| n.id.clone()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
        assert!(pages < 10, "pagination does not terminate");
    }
    assert_eq!(
        seen,
        vec!["0006", "0005", "0004", "0003", "0002", "0001", "0000"]
    );
    assert!(pages >= 3);
}

#[tokio::test]
async fn an_index_lists_one_state_only() {
    let stack = Stack::connect().await;
    let store = store(&stack).await;
    let owner = unique("P");
    for i in 0..4 {
        let state = if i % 2 == 0 { "open" } else { "closed" };
        store
            .create(
                &note(&owner, i, state),
                Failure::conflict("note_exists", "exists"),
            )
            .await
            .unwrap();
    }
    let query = Query {
        index: Some(Index::ByState),
        partition: format!("NOTES#{owner}#open"),
        sort_prefix: None,
        newest_first: false,
        limit: 25,
        filter: None,
        sort_below: None,
        sort_between: None,
        sort_above: None,
    };
    let page = store.query::<Note>(&query, None).await.unwrap();
    assert_eq!(
        page.items.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(),
        vec!["0000", "0002"]
    );
    assert!(page.next_cursor.is_none());
}

#[tokio::test]
async fn another_partners_cursor_or_a_forged_one_is_a_400_not_their_page() {
    let stack = Stack::connect().await;
    let store = store(&stack).await;
    let (a, b) = (unique("A"), unique("B"));
    for owner in [&a, &b] {
        for i in 0..3 {
            store
                .create(
                    &note(owner, i, "open"),
                    Failure::conflict("note_exists", "exists"),
                )
                .await
                .unwrap();
        }
    }
    let query_for = |owner: &str| Query {
        index: None,
        partition: keys::partner_partition(owner),
        sort_prefix: Some("NOTE#".into()),
        newest_first: false,
        limit: 1,
        filter: None,
        sort_below: None,
        sort_between: None,
        sort_above: None,
    };
    let a_cursor = store
        .query::<Note>(&query_for(&a), None)
        .await
        .unwrap()
        .next_cursor
        .unwrap();

    // B presents A's cursor on B's own list.
    let err = store
        .query::<Note>(&query_for(&b), Some(&a_cursor))
        .await
        .unwrap_err();
    let problem = Problem::from(err);
    assert_eq!(
        (problem.status().as_u16(), problem.code()),
        (400, "invalid_cursor")
    );

    // A cursor whose payload was swapped for B's partition.
    use base64::Engine;
    let (_, tag) = a_cursor.split_once('.').unwrap();
    let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!(r#"{{"PK":"PARTNER#{b}","SK":"NOTE#0000"}}"#));
    let err = store
        .query::<Note>(&query_for(&a), Some(&format!("{forged}.{tag}")))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidCursor));
}
