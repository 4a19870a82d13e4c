//! [`NoteStore`]: notes per owner.
//!
//! [`NoteStore`]: remote_mcp_core::NoteStore

use super::*;
use remote_mcp_core::NoteStore;

// ------------------------------------------------------------------ notes

async fn notes_are_per_owner_and_ordered(store: Arc<dyn NoteStore>) {
    let first = Note::new("alice", "Groceries", "milk", at(T0));
    let second = Note::new("alice", "Ideas", "a notes app", at(T0 + secs(5)));
    let bobs = Note::new("bob", "Secret", "bob's only", at(T0));
    for n in [&second, &first, &bobs] {
        store.save_note(n).await.unwrap();
    }
    assert_eq!(
        store.notes("alice").await.unwrap(),
        vec![first.clone(), second.clone()]
    );
    assert_eq!(store.notes("bob").await.unwrap(), vec![bobs.clone()]);
    assert_eq!(store.notes("carol").await.unwrap(), vec![]);
    assert_eq!(
        store.note("alice", &first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store.note("alice", &bobs.id).await.unwrap(),
        None,
        "ids do not cross owners"
    );
    assert!(!store.delete_note("alice", &bobs.id).await.unwrap());
    assert!(store.note("bob", &bobs.id).await.unwrap().is_some());
    assert!(store.delete_note("alice", &first.id).await.unwrap());
    assert_eq!(store.notes("alice").await.unwrap(), vec![second]);
}

async fn owner_prefixes_do_not_leak(store: Arc<dyn NoteStore>) {
    let short = Note::new("user-1", "mine", "x", at(T0));
    let long = Note::new("user-10", "theirs", "y", at(T0));
    store.save_note(&short).await.unwrap();
    store.save_note(&long).await.unwrap();
    assert_eq!(store.notes("user-1").await.unwrap(), vec![short]);
}

/// More notes than one DynamoDB page holds (a page stops at 1 MB): the listing reads every page.
async fn a_listing_longer_than_a_page_is_read_to_its_end(store: Arc<dyn NoteStore>) {
    let body = "x".repeat(200_000);
    let mut saved = Vec::new();
    for i in 0..8 {
        let note = Note::new("alice", &format!("note {i}"), &body, at(T0 + secs(i)));
        store.save_note(&note).await.unwrap();
        saved.push(note);
    }
    let listed = store.notes("alice").await.unwrap();
    let ids = |notes: &[Note]| notes.iter().map(|n| n.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&listed), ids(&saved), "every note, in order");
    assert!(listed == saved, "the notes as saved");
}

super::contract!(
    notes_are_per_owner_and_ordered,
    owner_prefixes_do_not_leak,
    a_listing_longer_than_a_page_is_read_to_its_end,
);
