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

super::contract!(notes_are_per_owner_and_ordered, owner_prefixes_do_not_leak,);
