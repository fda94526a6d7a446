//! DEVELOPMENT SHIM, replaced by the real implementation (branch wt-auth) before it reaches
//! main: in-memory sessions; any existing user signs in with the password "dev-password-12".

use super::{Principal, RequestFacts};
use crate::state::AppState;
use codeport_core::entities::User;
use codeport_core::secret::Secret;
use codeport_core::timefmt::{now_millis, Millis};
use codeport_core::Result;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

pub struct NewSession {
    pub cookie_value: Secret,
    pub session: ConsoleSession,
}
#[derive(Clone, Debug)]
pub struct ConsoleSession {
    pub id: String,
    pub user_id: String,
    pub user_name: String,
    pub created_at: Millis,
    pub expires_at: Millis,
    pub source_ip: String,
    pub user_agent: String,
}
pub enum SignInRefusal {
    Invalid,
    Locked { retry_after: std::time::Duration },
}

fn sessions() -> &'static Mutex<HashMap<String, ConsoleSession>> {
    static S: OnceLock<Mutex<HashMap<String, ConsoleSession>>> = OnceLock::new();
    S.get_or_init(Default::default)
}

#[derive(Clone, Copy)]
pub struct ConsoleAuth<'a>(&'a AppState);

impl ConsoleAuth<'_> {
    pub async fn sign_in(&self, user_name: &str, password: &Secret, _facts: &RequestFacts) -> Result<std::result::Result<NewSession, SignInRefusal>> {
        let Ok(user) = self.0.identities().user_named(user_name).await else { return Ok(Err(SignInRefusal::Invalid)) };
        if password.expose() != "dev-password-12" {
            return Ok(Err(SignInRefusal::Invalid));
        }
        let cookie = hex::encode(rand::random::<[u8; 16]>());
        let now = now_millis();
        let session = ConsoleSession {
            id: format!("cs-{}", &cookie[..16]),
            user_id: user.id,
            user_name: user.name,
            created_at: now,
            expires_at: now + 3_600_000,
            source_ip: String::new(),
            user_agent: String::new(),
        };
        sessions().lock().unwrap().insert(cookie.clone(), session.clone());
        Ok(Ok(NewSession { cookie_value: Secret::new(cookie), session }))
    }
    pub async fn session(&self, cookie_value: &str) -> Result<Option<(ConsoleSession, Arc<Principal>)>> {
        let s = sessions().lock().unwrap().get(cookie_value).cloned();
        match s {
            Some(s) => {
                let p = self.0.identities().principal(&s.user_id, None).await?;
                Ok(Some((s, Arc::new(p))))
            }
            None => Ok(None),
        }
    }
    pub fn csrf_token(&self, cookie_value: &str) -> String {
        format!("csrf-{cookie_value}")
    }
    pub fn csrf_matches(&self, cookie_value: &str, submitted: &str) -> bool {
        self.csrf_token(cookie_value) == submitted
    }
    pub async fn sign_out(&self, cookie_value: &str) -> Result<()> {
        sessions().lock().unwrap().remove(cookie_value);
        Ok(())
    }
    pub async fn set_password(&self, _user_name: &str, _password: &Secret) -> Result<()> {
        Ok(())
    }
    pub async fn create_user_with_password(&self, name: &str, email: Option<&str>, _password: &Secret) -> Result<User> {
        self.0.identities().create_user(name, email).await
    }
}

impl AppState {
    pub fn console_auth(&self) -> ConsoleAuth<'_> {
        ConsoleAuth(self)
    }
}
