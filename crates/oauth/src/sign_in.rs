//! Accounts as the resource owners: sign-in on the consent page.
//!
//! - Credentials are checked against Argon2id hashes; an unknown or disabled account costs the same
//!   work and gets the same answer as a wrong password (no enumeration).
//! - Every attempt reserves a slot in the store before its password is checked (an atomic,
//!   conditional count), so the limits hold across Lambda instances and under any concurrency; over
//!   a limit, no password is checked at all. A success gives its slots back: only failures count.
//! - Three limits per window: per account *and* source address (5), per source address (30), and a
//!   ceiling per account across all sources (20). A stranger guessing from one address locks only
//!   that address out of the account; the owner, elsewhere, can still sign in. Locking the owner out
//!   takes the ceiling, spread over several addresses, and lasts one window.
//! - A successful sign-in starts a short session: a random cookie value (hashed at rest), `HttpOnly`,
//!   `SameSite=Lax`, host-only (`__Host-` and `Secure` on HTTPS), so a second client can be approved
//!   without typing the password again. Consent is still asked per client.

use crate::cookies::{Cookie, Cookies};
use crate::params::Params;
use crate::resource_owner::{ApprovalRequest, Approver, ResourceOwner, SignInError, SignedIn};
use async_trait::async_trait;
use axum::http::HeaderMap;
use remote_mcp_core::audit::Audit;
use remote_mcp_core::model::{Session, normalize_email};
use remote_mcp_core::secret::{Secret, SecretHash};
use remote_mcp_core::{AccountStore, StoreError, UnixTime, password};
use std::sync::Arc;
use std::time::Duration;

/// How failed sign-ins are limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Length of a counting window.
    pub window: Duration,
    /// Failures allowed per account from one source address, per window.
    pub per_account_and_source: u32,
    /// Failures allowed per account from all sources together, per window.
    pub per_account: u32,
    /// Failures allowed per source address (any accounts), per window.
    pub per_source: u32,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            per_account_and_source: 5,
            per_account: 20,
            per_source: 30,
        }
    }
}

/// Users in the store approve with their password or session.
pub struct Accounts {
    store: Arc<dyn AccountStore>,
    secure: bool,
    policy: ThrottlePolicy,
}

/// How long a sign-in lasts on a browser (long enough to approve a second client).
const SESSION_TTL: Duration = Duration::from_secs(10 * 60);

/// Starts a sign-in session for `user_id`: stored under the hash of a random value, which goes to
/// the browser in the returned `Set-Cookie` value. After a password or an identity provider.
pub(crate) async fn open_session(
    store: &dyn AccountStore,
    cookies: Cookies,
    user_id: &str,
    now: UnixTime,
) -> Result<String, remote_mcp_core::StoreError> {
    let secret = Secret::generate();
    let session = Session {
        user_id: user_id.to_owned(),
        expires_at: now + SESSION_TTL,
    };
    store.save_session(&secret.hash(), &session).await?;
    Ok(cookies.set(Cookie::Session, secret.expose(), SESSION_TTL))
}

impl Accounts {
    /// Accounts over `store`; `secure` (an HTTPS issuer) selects `__Host-`/`Secure` cookies.
    pub fn new(store: Arc<dyn AccountStore>, secure: bool) -> Self {
        Self {
            store,
            secure,
            policy: ThrottlePolicy::default(),
        }
    }

    /// Uses another throttle policy.
    pub fn with_policy(mut self, policy: ThrottlePolicy) -> Self {
        self.policy = policy;
        self
    }

    fn cookies(&self) -> Cookies {
        Cookies {
            secure: self.secure,
        }
    }

    async fn session_user(
        &self,
        headers: &HeaderMap,
        now: UnixTime,
    ) -> Result<Option<remote_mcp_core::model::User>, StoreError> {
        let Some(value) = self.cookies().get(headers, Cookie::Session) else {
            return Ok(None);
        };
        let Some(session) = self.store.session(&SecretHash::of(&value), now).await? else {
            return Ok(None);
        };
        let user = self.store.user(&session.user_id).await?;
        Ok(user.filter(|u| u.is_enabled()))
    }

    /// Gives back reserved sign-in slots.
    async fn release(
        &self,
        limits: &[(String, u32)],
        now: UnixTime,
    ) -> Result<(), remote_mcp_core::StoreError> {
        for (key, _) in limits {
            self.store
                .release_attempt(key, now, self.policy.window)
                .await?;
        }
        Ok(())
    }

    /// Reserves a slot under each of `limits` in turn; past any of them, releases what it took
    /// and refuses.
    async fn reserve(
        &self,
        limits: &[(String, u32)],
        window: std::time::Duration,
        source: &str,
        now: UnixTime,
    ) -> Result<(), SignInError> {
        let unavailable = |e: remote_mcp_core::StoreError| {
            tracing::error!(%e, "sign-in store failure");
            SignInError::Unavailable
        };
        for (reserved, (key, limit)) in limits.iter().enumerate() {
            if !self
                .store
                .reserve_attempt(key, now, window, *limit)
                .await
                .map_err(unavailable)?
            {
                self.release(&limits[..reserved], now)
                    .await
                    .map_err(unavailable)?;
                Audit::new("signin.throttled")
                    .source(source)
                    .detail(key.split(':').next().unwrap_or_default())
                    .log();
                return Err(SignInError::Throttled);
            }
        }
        Ok(())
    }

    async fn password_sign_in(
        &self,
        email: &str,
        form: &Params,
        source: &str,
        now: UnixTime,
    ) -> Result<Approver, SignInError> {
        let unavailable = |e: remote_mcp_core::StoreError| {
            tracing::error!(%e, "sign-in store failure");
            SignInError::Unavailable
        };
        let email = normalize_email(email).unwrap_or_default();
        let given = form.get("password").unwrap_or_default();
        // Slots are reserved, most specific first, before the password is checked. Over any limit
        // nothing is checked and nothing stays counted: a stranger hammering from one address
        // fills only that address's slots for this account, never the account's ceiling.
        let window = self.policy.window;
        let limits = [
            (
                format!("account-source:{email}|{source}"),
                self.policy.per_account_and_source,
            ),
            (format!("account:{email}"), self.policy.per_account),
            (format!("source:{source}"), self.policy.per_source),
        ];
        self.reserve(&limits, window, source, now).await?;
        let user = self
            .store
            .user_by_email(&email)
            .await
            .map_err(unavailable)?;
        // The same Argon2 work whether the account exists, is disabled, or the password is wrong.
        let verified = match &user {
            Some(user) => password::verify(&user.password_hash, given) && user.is_enabled(),
            None => {
                password::verify_decoy(given);
                false
            }
        };
        let user = match user {
            Some(user) if verified => user,
            _ => {
                Audit::new("signin.failed")
                    .source(source)
                    .detail(&email)
                    .log();
                return Err(SignInError::InvalidCredentials);
            }
        };
        // Only failures count against anyone.
        self.release(&limits, now).await.map_err(unavailable)?;
        let set_cookie = open_session(self.store.as_ref(), self.cookies(), &user.id, now)
            .await
            .map_err(unavailable)?;
        Audit::new("signin.succeeded")
            .user(&user.id)
            .source(source)
            .detail("password")
            .log();
        Ok(Approver {
            person: (&user).into(),
            subject: user.id,
            set_cookie: Some(set_cookie),
        })
    }
}

#[async_trait]
impl ResourceOwner for Accounts {
    async fn signed_in(
        &self,
        headers: &HeaderMap,
        now: UnixTime,
    ) -> Result<Option<SignedIn>, StoreError> {
        Ok(self.session_user(headers, now).await?.map(|u| SignedIn {
            subject: u.id,
            email: u.email,
        }))
    }

    async fn approve(&self, request: &ApprovalRequest<'_>) -> Result<Approver, SignInError> {
        if let Some(email) = request.form.get("email") {
            return self
                .password_sign_in(email, request.form, request.source, request.now)
                .await;
        }
        match self.session_user(request.headers, request.now).await {
            Ok(Some(user)) => Ok(Approver {
                person: (&user).into(),
                subject: user.id,
                set_cookie: None,
            }),
            Ok(None) => Err(SignInError::Required),
            Err(err) => {
                tracing::error!(%err, "sign-in store failure");
                Err(SignInError::Unavailable)
            }
        }
    }
}
