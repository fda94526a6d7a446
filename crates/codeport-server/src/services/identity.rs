//! Identity: users, AccessKeys and personal access tokens, and the first-start bootstrap.
//! Used by the admin CLI (directly on the database) and by the request authenticators.

use super::{store_err, Principal};
use crate::identity_cache::CachedKey;
use crate::state::AppState;
use codeport_core::entities::{AccessKey, OrgRole, Organization, PersonalAccessToken, User};
use codeport_core::error::AuthFailure;
use codeport_core::password::Password;
use codeport_core::secret::{token_hash, Secret};
use codeport_core::timefmt::{now_millis, Millis};
use codeport_core::values::{TokenScopes, UserName};
use codeport_core::{ids, Error, NotFoundKind, Result};
use codeport_store::StoreError;
use serde::Serialize;
use std::sync::Arc;

/// The name of the organization created on first start.
pub const DEFAULT_ORGANIZATION: &str = "default";
/// The name of the user created on first start.
pub const BOOTSTRAP_USER: &str = "admin";

/// What the first start created, written once to DIR/bootstrap.json (mode 0600).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BootstrapInfo {
    /// The default organization.
    pub organization_id: String,
    /// The admin user.
    pub user_id: String,
    /// "admin".
    pub user_name: String,
    /// The admin's AccessKey id.
    pub access_key_id: String,
    /// The admin's AccessKey secret (shown once, here).
    pub access_key_secret: String,
    /// The admin's personal access token (shown once, here).
    pub personal_access_token: String,
    /// The admin's console password (shown once, here; only its argon2id hash is stored).
    pub admin_password: String,
}

/// A freshly created AccessKey; the secret is shown once.
pub struct NewAccessKey {
    /// Id.
    pub id: String,
    /// Secret.
    pub secret: Secret,
}

/// A freshly created token; shown once.
pub struct NewToken {
    /// Public id.
    pub id: String,
    /// The token.
    pub token: Secret,
    /// Expiry.
    pub expires_at: Option<Millis>,
}

impl Identities<'_> {
    /// On an empty database, creates organization "default", user "admin" (its owner, with a
    /// random console password), an AccessKey and a token, in one transaction. Returns what was created, or None when the
    /// database was already initialized.
    pub async fn bootstrap_if_empty(&self) -> Result<Option<BootstrapInfo>> {
        if !self.store.is_empty().await.map_err(store_err)? {
            return Ok(None);
        }
        let now = now_millis();
        let org = Organization { id: ids::new_organization_id(), name: DEFAULT_ORGANIZATION.into(), created_at: now };
        let user = User {
            id: ids::new_user_id(),
            name: BOOTSTRAP_USER.into(),
            display_name: BOOTSTRAP_USER.into(),
            email: String::new(),
            default_organization_id: org.id.clone(),
            created_at: now,
        };
        let secret = ids::new_access_key_secret();
        let key = AccessKey {
            id: ids::new_access_key_id(),
            user_id: user.id.clone(),
            sealed_secret: self.master_key.seal(&secret),
            enabled: true,
            created_at: now,
        };
        let token = ids::new_personal_access_token();
        let tok = PersonalAccessToken {
            id: ids::new_token_id(),
            user_id: user.id.clone(),
            token_hash: token_hash(&token),
            scopes: String::new(),
            expires_at: None,
            revoked: false,
            created_at: now,
        };
        let password = Password::generate();
        let password_hash = super::console_auth::hash_off_the_runtime(password.clone()).await?;
        match self.store.bootstrap(&org, &user, Some(&password_hash), &key, &tok).await {
            Ok(()) => {}
            // Another process bootstrapped at the same moment: theirs stands.
            Err(StoreError::Unique(_)) => return Ok(None),
            Err(e) => return Err(store_err(e)),
        }
        Ok(Some(BootstrapInfo {
            organization_id: org.id,
            user_id: user.id,
            user_name: user.name,
            access_key_id: key.id,
            access_key_secret: secret,
            personal_access_token: token,
            admin_password: password.secret().expose().to_string(),
        }))
    }

    /// The default organization (created by bootstrap).
    pub async fn default_organization(&self) -> Result<Organization> {
        self.store
            .organization_by_name(DEFAULT_ORGANIZATION)
            .await
            .map_err(store_err)?
            .ok_or_else(|| Error::not_found(NotFoundKind::Organization, DEFAULT_ORGANIZATION))
    }

    /// Creates a user in the default organization as a member.
    pub async fn create_user(&self, name: &str, email: Option<&str>) -> Result<User> {
        self.create_user_with(&UserName::parse(name)?, email, None).await
    }

    /// Creates a user in the default organization as a member, with a console password hash
    /// if given (written in the same transaction as the user).
    pub(crate) async fn create_user_with(&self, name: &UserName, email: Option<&str>, password_hash: Option<&str>) -> Result<User> {
        let org = self.default_organization().await?;
        let user = User {
            id: ids::new_user_id(),
            name: name.as_str().to_string(),
            display_name: name.as_str().to_string(),
            email: email.unwrap_or_default().to_string(),
            default_organization_id: org.id,
            created_at: now_millis(),
        };
        self.invalidating(self.store.create_user(&user, OrgRole::Member, password_hash).await).map_err(store_err)?;
        Ok(user)
    }

    /// A user by login name, or a not-found error naming it.
    pub async fn user_named(&self, name: &str) -> Result<User> {
        self.store.user_by_name(name).await.map_err(store_err)?.ok_or_else(|| Error::not_found(NotFoundKind::User, name))
    }

    /// Creates an AccessKey for a user; the secret is returned once and stored sealed.
    pub async fn create_access_key(&self, user_name: &str) -> Result<NewAccessKey> {
        let user = self.user_named(user_name).await?;
        let secret = ids::new_access_key_secret();
        let key = AccessKey {
            id: ids::new_access_key_id(),
            user_id: user.id,
            sealed_secret: self.master_key.seal(&secret),
            enabled: true,
            created_at: now_millis(),
        };
        self.invalidating(self.store.create_access_key(&key).await).map_err(store_err)?;
        Ok(NewAccessKey { id: key.id, secret: Secret::new(secret) })
    }

    /// A user's AccessKeys (no secrets).
    pub async fn list_access_keys(&self, user_name: &str) -> Result<Vec<AccessKey>> {
        let user = self.user_named(user_name).await?;
        self.store.list_access_keys(&user.id).await.map_err(store_err)
    }

    /// Enables or disables an AccessKey.
    pub async fn set_access_key_enabled(&self, id: &str, enabled: bool) -> Result<()> {
        if !self.invalidating(self.store.set_access_key_enabled(id, enabled).await).map_err(store_err)? {
            return Err(Error::not_found(NotFoundKind::AccessKey, id));
        }
        Ok(())
    }

    /// Deletes an AccessKey.
    pub async fn delete_access_key(&self, id: &str) -> Result<()> {
        if !self.invalidating(self.store.delete_access_key(id).await).map_err(store_err)? {
            return Err(Error::not_found(NotFoundKind::AccessKey, id));
        }
        Ok(())
    }

    /// Creates a personal access token with the given scopes (empty: everything the user may
    /// do); only its hash is stored.
    pub async fn create_token(&self, user_name: &str, expires_in: Option<Millis>, scopes: &TokenScopes) -> Result<NewToken> {
        let user = self.user_named(user_name).await?;
        let token = ids::new_personal_access_token();
        let now = now_millis();
        let row = PersonalAccessToken {
            id: ids::new_token_id(),
            user_id: user.id,
            token_hash: token_hash(&token),
            scopes: scopes.to_stored(),
            expires_at: expires_in.map(|d| now + d),
            revoked: false,
            created_at: now,
        };
        self.invalidating(self.store.create_token(&row).await).map_err(store_err)?;
        Ok(NewToken { id: row.id, token: Secret::new(token), expires_at: row.expires_at })
    }

    /// A user's tokens (hashes only).
    pub async fn list_tokens(&self, user_name: &str) -> Result<Vec<PersonalAccessToken>> {
        let user = self.user_named(user_name).await?;
        self.store.list_tokens(&user.id).await.map_err(store_err)
    }

    /// Revokes a token by its id.
    pub async fn revoke_token(&self, id: &str) -> Result<()> {
        if !self.invalidating(self.store.revoke_token(id).await).map_err(store_err)? {
            return Err(Error::not_found(NotFoundKind::Token, id));
        }
        Ok(())
    }

    /// An enabled AccessKey with its opened secret and owner, for signature verification;
    /// served from the identity cache when possible.
    pub async fn signing_key(&self, id: &str) -> Result<Arc<CachedKey>> {
        self.refresh_identity();
        if let Some(hit) = self.identity.get(id) {
            return if hit.key.enabled { Ok(hit) } else { Err(Error::Auth(AuthFailure::AccessKeyDisabled)) };
        }
        let epoch = self.identity.epoch();
        let key = self.store.access_key(id).await.map_err(store_err)?.ok_or(Error::Auth(AuthFailure::AccessKeyNotFound))?;
        let secret = self.master_key.open(&key.sealed_secret).map_err(|e| Error::internal(format!("AccessKey {id}: {e}")))?;
        let principal = self.principal(&key.user_id, Some(key.id.clone())).await?;
        let entry = Arc::new(CachedKey { key, secret, principal: Arc::new(principal) });
        self.identity.insert(epoch, entry.clone());
        if entry.key.enabled {
            Ok(entry)
        } else {
            Err(Error::Auth(AuthFailure::AccessKeyDisabled))
        }
    }

    /// Where the store can read the identity generation inline (SQLite), checks it so a
    /// change committed by another process (the admin CLI) applies to this very request.
    /// Failing to read it fails closed: the cache is dropped and identities reload.
    pub fn refresh_identity(&self) {
        match self.store.identity_generation_inline() {
            Some(Ok(generation)) => self.identity.observe_generation(generation),
            Some(Err(e)) => {
                tracing::warn!(error = %e, "cannot read the identity generation");
                self.identity.invalidate();
            }
            None => {}
        }
    }

    /// Passes a write's result through, dropping cached identities first (this process saw the change).
    fn invalidating<T>(&self, r: T) -> T {
        self.identity.invalidate();
        r
    }

    /// Records a signature nonce; a replay within the window is refused.
    pub async fn check_nonce(&self, access_key_id: &str, nonce: &str, now: Millis, expires_at: Millis) -> Result<()> {
        if self.store.remember_nonce(access_key_id, nonce, now, expires_at).await.map_err(store_err)? {
            Ok(())
        } else {
            Err(Error::Auth(AuthFailure::NonceUsed))
        }
    }

    /// The principal of an authenticated user, acting in their default organization.
    pub async fn principal(&self, user_id: &str, access_key_id: Option<String>) -> Result<Principal> {
        let user = self.store.user(user_id).await.map_err(store_err)?.ok_or(Error::Auth(AuthFailure::AccessKeyNotFound))?;
        let org_role = self.store.org_role(&user.default_organization_id, &user.id).await.map_err(store_err)?.unwrap_or(OrgRole::Member);
        Ok(Principal { user, org_role, access_key_id })
    }
}

/// The use cases of users, AccessKeys, tokens and the principals they authenticate: a view of the shared state, so a handler reaches them by name
/// (`state.identities().…`).
#[derive(Clone, Copy)]
pub struct Identities<'a>(&'a AppState);

impl std::ops::Deref for Identities<'_> {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        self.0
    }
}

impl AppState {
    /// The use cases of users, AccessKeys, tokens and the principals they authenticate.
    pub fn identities(&self) -> Identities<'_> {
        Identities(self)
    }
}
