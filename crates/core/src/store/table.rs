//! The single-table layout shared by [`super::DynamoStore`], `template.yaml` and the tooling.
//!
//! | item | `pk` | `sk` | other attributes |
//! |---|---|---|---|
//! | client | `CLIENT#<client_id>` | `CLIENT` | `data`, `expires_at` |
//! | consent transaction | `CONSENT#<sha256(id)>` | `CONSENT` | `data`, `expires_at` |
//! | authorization code | `CODE#<sha256(code)>` | `CODE` | `data`, `expires_at`, `redeemed_by` |
//! | grant | `GRANT#<grant_id>` | `GRANT` | `data`, `expires_at`, `rev` |
//! | revoked access token | `REVOKED#<jti>` | `REVOKED` | `expires_at` |
//! | used one-time value (assertion `jti`) | `USED#<sha256(issuer, jti)>` | `USED` | `expires_at` |
//! | note | `USER#<subject>` | `NOTE#<note_id>` | `data` (no TTL) |
//! | task | `USER#<subject>` | `TASK#<task_id>` | `data`, `expires_at`, `rev` |
//! | connection to a provider (token vault) | `USER#<user_id>` | `UPSTREAM#<provider>` | `data` (sealed tokens; no TTL), `rev` |
//! | a user's grant | `USER#<subject>` | `GRANT#<grant_id>` | (no TTL; dropped with the grant) |
//! | user | `USER#<user_id>` | `PROFILE` | `data` (no TTL) |
//! | email → user | `EMAIL#<email>` | `EMAIL` | `data` = user id (no TTL) |
//! | sign-in session | `SESSION#<sha256(id)>` | `SESSION` | `data`, `expires_at` |
//! | linked identity → user | `IDENTITY#<sha256(issuer, subject)>` | `IDENTITY` | `data` = user id (no TTL) |
//! | sign-in at an identity provider | `FEDERATION#<sha256(state)>` | `FEDERATION` | `data`, `expires_at` |
//! | failed sign-ins | `THROTTLE#<key>#<window start>` | `THROTTLE` | `count`, `expires_at` |
//!
//! `data` is the record as JSON; `expires_at` (epoch seconds) is the TTL attribute; `rev` is the
//! optimistic-concurrency revision of a grant's refresh state. Every access is by full key, except
//! listing a user's notes (a `Query` on their partition) and the administration listings (a `Scan`,
//! run by an operator, never on a request path); the table needs no secondary index. The template's key schema is checked against these names by the
//! DynamoDB Local harness, which creates the table from the template itself.

/// Partition key attribute.
pub const PARTITION_KEY: &str = "pk";
/// Sort key attribute.
pub const SORT_KEY: &str = "sk";
/// Time-to-live attribute (epoch seconds).
pub const TTL_ATTRIBUTE: &str = "expires_at";
/// The record, serialised as JSON.
pub const DATA: &str = "data";
/// Grant revision for compare-and-swap.
pub const REVISION: &str = "rev";
/// On a throttle item: attempts counted in its window.
pub const COUNT: &str = "count";
/// On a code: the grant its redemption created.
pub const REDEEMED_BY: &str = "redeemed_by";

/// The primary key of an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    /// A client registration.
    pub fn client(id: &str) -> Self {
        Self {
            pk: format!("CLIENT#{id}"),
            sk: "CLIENT".into(),
        }
    }

    /// A pending consent, by the hash of its transaction id.
    pub fn consent(hash: &str) -> Self {
        Self {
            pk: format!("CONSENT#{hash}"),
            sk: "CONSENT".into(),
        }
    }

    /// A revoked access token, by `jti`.
    pub fn revoked_token(jti: &str) -> Self {
        Self {
            pk: format!("REVOKED#{jti}"),
            sk: "REVOKED".into(),
        }
    }

    /// A used one-time value, by the hash of its namespaced value.
    pub fn used(hash: &str) -> Self {
        Self {
            pk: format!("USED#{hash}"),
            sk: "USED".into(),
        }
    }

    /// An authorization code, by the hash of its value.
    pub fn code(hash: &str) -> Self {
        Self {
            pk: format!("CODE#{hash}"),
            sk: "CODE".into(),
        }
    }

    /// A grant.
    pub fn grant(id: &str) -> Self {
        Self {
            pk: format!("GRANT#{id}"),
            sk: "GRANT".into(),
        }
    }

    /// A note, in its owner's partition.
    pub fn note(owner: &str, id: &str) -> Self {
        Self {
            pk: Self::user(owner),
            sk: format!("{NOTE_PREFIX}{id}"),
        }
    }

    /// A task, in its owner's partition.
    pub fn task(owner: &str, id: &str) -> Self {
        Self {
            pk: Self::user(owner),
            sk: format!("{TASK_PREFIX}{id}"),
        }
    }

    /// A person's connection to a provider (the token vault), in their partition.
    pub fn connection(person: &str, provider: &str) -> Self {
        Self {
            pk: Self::user(person),
            sk: format!("{CONNECTION_PREFIX}{provider}"),
        }
    }

    /// The entry listing a grant in its user's partition.
    pub fn user_grant(subject: &str, grant: &str) -> Self {
        Self {
            pk: Self::user(subject),
            sk: format!("{USER_GRANT_PREFIX}{grant}"),
        }
    }

    /// A user's partition.
    pub fn user(owner: &str) -> String {
        format!("USER#{owner}")
    }

    /// A user's profile.
    pub fn user_profile(id: &str) -> Self {
        Self {
            pk: Self::user(id),
            sk: "PROFILE".into(),
        }
    }

    /// The unique-email record of a user.
    pub fn email(email: &str) -> Self {
        Self {
            pk: format!("EMAIL#{email}"),
            sk: "EMAIL".into(),
        }
    }

    /// A sign-in session, by the hash of its cookie value.
    pub fn session(hash: &str) -> Self {
        Self {
            pk: format!("SESSION#{hash}"),
            sk: "SESSION".into(),
        }
    }

    /// The record linking an identity provider's account to a user, by [`LinkedIdentity::key`].
    ///
    /// [`LinkedIdentity::key`]: crate::model::LinkedIdentity::key
    pub fn identity(key: &str) -> Self {
        Self {
            pk: format!("IDENTITY#{key}"),
            sk: "IDENTITY".into(),
        }
    }

    /// A sign-in at an identity provider, by the hash of its `state`.
    pub fn federation(hash: &str) -> Self {
        Self {
            pk: format!("FEDERATION#{hash}"),
            sk: "FEDERATION".into(),
        }
    }

    /// Failed sign-ins against `key` in the window starting at `window_start` (epoch seconds).
    pub fn throttle(key: &str, window_start: i64) -> Self {
        Self {
            pk: format!("THROTTLE#{key}#{window_start}"),
            sk: "THROTTLE".into(),
        }
    }
}

/// Sort-key prefix of notes within a user's partition.
pub const NOTE_PREFIX: &str = "NOTE#";
/// Sort-key prefix of a user's tasks.
pub const TASK_PREFIX: &str = "TASK#";
/// Sort-key prefix of a person's connections to providers.
pub const CONNECTION_PREFIX: &str = "UPSTREAM#";
/// Sort-key prefix of the grant entries within a user's partition.
pub const USER_GRANT_PREFIX: &str = "GRANT#";
