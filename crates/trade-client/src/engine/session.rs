//! Sessions: signing in, resuming a remembered session (from the cache at once when
//! there is one), the access token renewed on the first call that needs it, signing out.
//! The refresh token lives in the keyring through [`CredentialStore`] (design §5).

use super::*;

fn key_for(profile: &ServerProfile, account: AccountId) -> Result<CredentialKey> {
    Ok(CredentialKey {
        server: profile.base_url()?,
        account: account.to_string(),
    })
}

impl Engine {
    /// Signs in with email and password and opens the account's cache.
    pub async fn sign_in(
        data_dir: &Path,
        profile: ServerProfile,
        email: &str,
        password: &str,
        creds: Arc<dyn CredentialStore>,
        options: Options,
    ) -> Result<Engine> {
        let api = Api::new(&profile)?;
        let session = api.login(email, password).await?;
        Engine::open(data_dir, profile, api, session, creds, options).await
    }

    /// Resumes a session from the refresh token in the keyring; `None` when there is none
    /// (the user must sign in).
    pub async fn resume(
        data_dir: &Path,
        profile: ServerProfile,
        account: AccountId,
        creds: Arc<dyn CredentialStore>,
        options: Options,
    ) -> Result<Option<Engine>> {
        let key = key_for(&profile, account)?;
        let token =
            match credentials::load_async(creds.clone(), key.clone(), CREDENTIAL_TIMEOUT).await {
                Ok(Some(t)) => t,
                Ok(None) | Err(CredentialError::Unavailable(_)) => return Ok(None),
                Err(e) => return Err(ClientError::Credentials(e.to_string())),
            };
        let api = Api::new(&profile)?;
        // With this account's cache on disk, the session resumes from it at once, whether
        // the server can be reached or not: the cache is on screen while the refresh
        // token is exchanged on the first call to the server (`authed`). A token the
        // server refuses then ends the session (`Connection::SignedOut`).
        let path = cache_path(data_dir, &profile, account)?;
        if path.is_file() {
            let store = LocalStore::open(&path)?;
            if let Some(cached) = cached_account(&store)?.filter(|a| a.id == account) {
                let tokens = Tokens {
                    access: String::new(),
                    refresh: token,
                };
                // The token came from the keyring: the keyring works.
                return Engine::assemble(api, store, cached, key, creds, tokens, false, options)
                    .map(Some);
            }
        }
        let session = match api.refresh(&token).await {
            Ok(s) => s,
            Err(ClientError::Api { status: 401, .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        Engine::open(data_dir, profile, api, session, creds, options)
            .await
            .map(Some)
    }

    async fn open(
        data_dir: &Path,
        profile: ServerProfile,
        api: Api,
        session: Session,
        creds: Arc<dyn CredentialStore>,
        options: Options,
    ) -> Result<Engine> {
        let account = session.account.clone();
        let store = LocalStore::open(&cache_path(data_dir, &profile, account.id)?)?;
        store.set_meta(
            "account",
            &serde_json::to_string(&account).map_err(|e| ClientError::Decode(e.to_string()))?,
        )?;
        store.set_meta(
            "designated_account",
            &serde_json::to_string(&session.designated_account)
                .map_err(|e| ClientError::Decode(e.to_string()))?,
        )?;
        let key = key_for(&profile, account.id)?;
        let session_only = !keep_refresh_token(&creds, &key, &session.refresh_token).await;
        let tokens = Tokens {
            access: session.access_token,
            refresh: session.refresh_token,
        };
        Engine::assemble(
            api,
            store,
            account,
            key,
            creds,
            tokens,
            session_only,
            options,
        )
    }

    /// The engine over an open cache, with the session's tokens (`access` empty: none
    /// yet, the first call to the server gets one).
    #[allow(clippy::too_many_arguments)]
    fn assemble(
        api: Api,
        store: LocalStore,
        account: Account,
        key: CredentialKey,
        creds: Arc<dyn CredentialStore>,
        tokens: Tokens,
        session_only: bool,
        options: Options,
    ) -> Result<Engine> {
        let (status, _) = watch::channel(Status {
            connection: Connection::Connecting,
            queued: 0,
            failed: 0,
            session_only,
            last_error: None,
            transfer: None,
        });
        let engine = Engine {
            inner: Arc::new(Inner {
                api,
                store,
                account,
                key,
                creds,
                tokens: Mutex::new(tokens),
                status,
                wake: Notify::new(),
                index_wake: Notify::new(),
                live_news: AtomicBool::new(false),
                live_wake: Notify::new(),
                options,
                sync_lock: Mutex::new(()),
                notifications: broadcast::channel(256).0,
                revision: watch::channel(0).0,
                paying: std::sync::Mutex::new(std::collections::HashSet::new()),
            }),
        };
        engine.refresh_counts()?;
        Ok(engine)
    }

    /// Runs `call` with the access token, refreshing it once if it expired.
    pub(super) async fn authed<T, F, Fut>(&self, call: F) -> Result<T>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let mut access = self.inner.tokens.lock().await.access.clone();
        if access.is_empty() {
            // Resumed from the cache: no access token yet.
            self.refresh_session(&access).await?;
            access = self.inner.tokens.lock().await.access.clone();
        }
        match call(access.clone()).await {
            Err(ClientError::Api { status: 401, .. }) => {
                self.refresh_session(&access).await?;
                let access = self.inner.tokens.lock().await.access.clone();
                call(access).await
            }
            other => other,
        }
    }

    /// Exchanges the refresh token for new tokens, unless the access token that failed
    /// (`failed`) was replaced meanwhile: calls that failed together refresh once.
    async fn refresh_session(&self, failed: &str) -> Result<()> {
        let mut tokens = self.inner.tokens.lock().await;
        if tokens.access != failed {
            return Ok(());
        }
        match self.inner.api.refresh(&tokens.refresh).await {
            Ok(session) => {
                tokens.access = session.access_token;
                tokens.refresh = session.refresh_token.clone();
                let kept =
                    keep_refresh_token(&self.inner.creds, &self.inner.key, &session.refresh_token)
                        .await;
                self.inner.status.send_modify(|s| s.session_only = !kept);
                Ok(())
            }
            Err(e @ ClientError::Api { status: 401, .. }) => {
                self.set_connection(Connection::SignedOut, Some(e.code()));
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Signs out: ends the session on the server (when reachable) and removes the
    /// refresh token from the keyring. The cache stays for the next sign-in.
    pub async fn sign_out(&self) -> Result<()> {
        let api = self.inner.api.clone();
        let ended = self
            .authed(|access| {
                let api = api.clone();
                async move { api.logout(&access).await }
            })
            .await;
        if let Err(e) = ended {
            tracing::info!(code = %e.code(), "could not end the session on the server");
        }
        credentials::delete_async(
            self.inner.creds.clone(),
            self.inner.key.clone(),
            CREDENTIAL_TIMEOUT,
        )
        .await
        .or_else(|e| match e {
            CredentialError::Unavailable(_) => Ok(()),
            other => Err(ClientError::Credentials(other.to_string())),
        })?;
        self.set_connection(Connection::SignedOut, None);
        Ok(())
    }
}

/// The account a cache was last opened for (`None` for a cache no session opened).
fn cached_account(store: &LocalStore) -> Result<Option<Account>> {
    store
        .meta("account")?
        .map(|text| serde_json::from_str(&text).map_err(|e| ClientError::Decode(e.to_string())))
        .transpose()
}

/// Saves the refresh token in the keyring; false (session only) when none is reachable.
async fn keep_refresh_token(
    creds: &Arc<dyn CredentialStore>,
    key: &CredentialKey,
    token: &str,
) -> bool {
    match credentials::store_async(
        creds.clone(),
        key.clone(),
        token.to_owned(),
        CREDENTIAL_TIMEOUT,
    )
    .await
    {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "no keyring: this session lasts until the app quits");
            false
        }
    }
}
