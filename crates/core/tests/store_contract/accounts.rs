//! [`AccountStore`]: users and sessions.
//!
//! [`AccountStore`]: remote_mcp_core::AccountStore

use super::*;
use remote_mcp_core::AccountStore;
use remote_mcp_core::model::{FederatedSignIn, LinkedIdentity};

// ------------------------------------------------------------------ users, sessions, throttle

fn user(email: &str) -> User {
    User::new(
        email.to_owned(),
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        T0,
    )
}

async fn users_are_unique_by_email(store: Arc<dyn AccountStore>) {
    let alice = user("alice@example.com");
    store.create_user(&alice).await.unwrap();
    assert!(matches!(
        store.create_user(&user("alice@example.com")).await,
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(store.user(&alice.id).await.unwrap(), Some(alice.clone()));
    assert_eq!(
        store.user_by_email("alice@example.com").await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(store.user_by_email("bob@example.com").await.unwrap(), None);

    let disabled = User {
        disabled_at: Some(T0 + secs(5)),
        ..alice.clone()
    };
    store.update_user(&disabled).await.unwrap();
    assert_eq!(store.user(&alice.id).await.unwrap(), Some(disabled));
    let renamed = User {
        email: "mallory@example.com".into(),
        ..alice.clone()
    };
    assert!(
        store.update_user(&renamed).await.is_err(),
        "emails do not change"
    );

    store.create_user(&user("bob@example.com")).await.unwrap();
    let emails: Vec<String> = store
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.email)
        .collect();
    assert_eq!(emails, ["alice@example.com", "bob@example.com"]);
}

async fn an_ended_session_is_gone(store: Arc<dyn AccountStore>) {
    let hash = Secret::generate().hash();
    let session = Session {
        user_id: "u1".into(),
        expires_at: T0 + secs(600),
    };
    store.save_session(&hash, &session).await.unwrap();
    store.end_session(&hash).await.unwrap();
    assert_eq!(store.session(&hash, T0).await.unwrap(), None);
    // Ending one that is gone is not an error.
    store.end_session(&hash).await.unwrap();
}

async fn sessions_expire(store: Arc<dyn AccountStore>) {
    let hash = Secret::generate().hash();
    let session = Session {
        user_id: "u1".into(),
        expires_at: T0 + secs(600),
    };
    store.save_session(&hash, &session).await.unwrap();
    assert_eq!(store.session(&hash, T0).await.unwrap(), Some(session));
    assert_eq!(store.session(&hash, T0 + secs(600)).await.unwrap(), None);
    assert_eq!(
        store.session(&Secret::generate().hash(), T0).await.unwrap(),
        None
    );
}

// ------------------------------------------------------------------ identity providers

fn identity(issuer: &str, subject: &str) -> LinkedIdentity {
    LinkedIdentity {
        issuer: issuer.into(),
        subject: subject.into(),
        linked_at: T0,
    }
}

async fn linked_identities_find_their_user_and_are_unique(store: Arc<dyn AccountStore>) {
    let carol = User::federated(
        "carol@corp.example".into(),
        identity("https://idp.example", "248289761001"),
        T0,
    );
    store.create_user(&carol).await.unwrap();
    assert_eq!(
        store
            .user_by_identity("https://idp.example", "248289761001")
            .await
            .unwrap(),
        Some(carol.clone())
    );
    // The same subject at another issuer, or issuer and subject run together, is someone else.
    for (issuer, subject) in [
        ("https://other.example", "248289761001"),
        ("https://idp.example248289761001", ""),
        ("https://idp.example", "24828976100"),
    ] {
        assert_eq!(
            store.user_by_identity(issuer, subject).await.unwrap(),
            None,
            "{issuer} {subject}"
        );
    }
    // One identity links to one user, whatever the e-mail.
    let impostor = User::federated(
        "someone-else@corp.example".into(),
        identity("https://idp.example", "248289761001"),
        T0,
    );
    assert!(matches!(
        store.create_user(&impostor).await,
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(
        store
            .user_by_email("someone-else@corp.example")
            .await
            .unwrap(),
        None,
        "nothing of a refused user is stored"
    );
}

async fn operators_link_and_unlink_identities(store: Arc<dyn AccountStore>) {
    let dana = user("dana@corp.example");
    store.create_user(&dana).await.unwrap();
    let link = identity("https://idp.example", "dana-1");
    store.link_identity(&dana.id, &link).await.unwrap();
    let found = store
        .user_by_identity("https://idp.example", "dana-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, dana.id);
    assert_eq!(found.identities, vec![link.clone()]);
    assert_eq!(
        found.password_hash, dana.password_hash,
        "the rest of the user stays"
    );

    let erin = user("erin@corp.example");
    store.create_user(&erin).await.unwrap();
    assert!(
        matches!(
            store.link_identity(&erin.id, &link).await,
            Err(StoreError::AlreadyExists)
        ),
        "an identity links to one user"
    );
    assert!(
        store
            .user(&erin.id)
            .await
            .unwrap()
            .unwrap()
            .identities
            .is_empty()
    );

    assert!(
        !store
            .unlink_identity(&erin.id, "https://idp.example", "dana-1")
            .await
            .unwrap(),
        "not erin's link"
    );
    assert!(
        store
            .unlink_identity(&dana.id, "https://idp.example", "dana-1")
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .user_by_identity("https://idp.example", "dana-1")
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .user(&dana.id)
            .await
            .unwrap()
            .unwrap()
            .identities
            .is_empty()
    );
    // Free again: erin may have it now.
    store.link_identity(&erin.id, &link).await.unwrap();
}

async fn federated_sign_ins_are_taken_once_before_they_expire(store: Arc<dyn AccountStore>) {
    let sign_in = FederatedSignIn {
        provider: "corp".into(),
        nonce: "n-0S6_WzA2Mj".into(),
        code_verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into(),
        return_to: "response_type=code&client_id=c1".into(),
        expires_at: T0 + secs(600),
        connect_for: Some("user-1".into()),
    };
    let hash = Secret::generate().hash();
    store.save_federated_sign_in(&hash, &sign_in).await.unwrap();
    assert_eq!(
        store.take_federated_sign_in(&hash, T0).await.unwrap(),
        Some(sign_in.clone())
    );
    assert_eq!(
        store.take_federated_sign_in(&hash, T0).await.unwrap(),
        None,
        "a state is used once"
    );
    let late = Secret::generate().hash();
    store.save_federated_sign_in(&late, &sign_in).await.unwrap();
    assert_eq!(
        store
            .take_federated_sign_in(&late, T0 + secs(600))
            .await
            .unwrap(),
        None,
        "an expired sign-in is gone"
    );
}

super::contract!(
    linked_identities_find_their_user_and_are_unique,
    operators_link_and_unlink_identities,
    federated_sign_ins_are_taken_once_before_they_expire,
    users_are_unique_by_email,
    sessions_expire,
    an_ended_session_is_gone,
);
