//! The desk's session: what a start resumes or offers (`launch`), signing in (the
//! profile, the keyring, the engine and its event tasks) and signing out.

use super::*;

impl Desk {
    /// At start: resume the remembered session from the keyring; else, for the demo,
    /// sign in with the given password; else show the sign-in form, prefilled.
    pub async fn launch(&self, start: StartOptions) -> LaunchState {
        let remembered = Remembered::load(&self.data_dir);
        let url = start
            .url
            .clone()
            .or(remembered.url.clone())
            .unwrap_or_else(|| DEFAULT_SERVER.to_owned());
        let same_server = remembered.url.as_deref() == Some(url.as_str());
        let email = start
            .email
            .clone()
            .or(remembered.email.clone())
            .unwrap_or_default();
        let (ca_pem, ca_file_name) = match &start.ca_file {
            Some(path) => match std::fs::read_to_string(path) {
                Ok(pem) => (Some(pem), file_name(path)),
                Err(_) => (None, None),
            },
            None if same_server => (remembered.ca_pem.clone(), remembered.ca_file_name.clone()),
            None => (None, None),
        };
        *self.offered.lock().unwrap_or_else(|e| e.into_inner()) = Some(Offered {
            url: url.clone(),
            ca_pem: ca_pem.clone(),
            ca_file_name: ca_file_name.clone(),
        });
        let form = FormDefaults {
            url: url.clone(),
            email: email.clone(),
            ca_file_name: ca_file_name.clone(),
        };
        let profile = ServerProfile {
            url: url.clone(),
            ca_pem: ca_pem.clone(),
        };
        let mut error = None;
        if same_server && let Some(account) = remembered.account {
            match Engine::resume(
                &self.data_dir,
                profile.clone(),
                account,
                self.creds.clone(),
                self.options.clone(),
            )
            .await
            {
                Ok(Some(engine)) => {
                    let signed_in = self.start(engine).await;
                    let first_screen = self.first_screen_with_launch().await;
                    return LaunchState::signed_in(signed_in, first_screen, form);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::info!(code = %e.code(), "could not resume the saved session");
                    error = Some(e.into());
                }
            }
        }
        if let Some(password) = &start.demo_password {
            let signed = self
                .sign_in_with(profile, ca_file_name, &email, password)
                .await;
            match signed {
                // No first screen: the cache is empty and the first sync only begun;
                // the page reads it once it listens, when the sync's first pages are in.
                Ok(signed_in) => return LaunchState::signed_in(signed_in, None, form),
                Err(e) => error = Some(e),
            }
        }
        LaunchState {
            signed_in: None,
            first_screen: None,
            form,
            error,
            font: None,
        }
    }

    /// A resumed session's first screen, read from the cache with the launch: the launch
    /// begins as the app starts and its answer waits for the page, so the page has its
    /// first screen with it instead of asking after (a start's time to the usable inbox:
    /// desktop bench). None when the read fails: the page reads it again.
    async fn first_screen_with_launch(&self) -> Option<FirstScreen> {
        self.first_screen()
            .await
            .inspect_err(|e| {
                tracing::warn!(code = %e.code, "the first screen could not be read with the launch");
            })
            .ok()
    }

    /// Signs in from the form. A chosen CA file must hold a PEM certificate.
    pub async fn sign_in(&self, form: SignInForm) -> CommandResult<SignedIn> {
        let url = form.url.trim().to_owned();
        let (ca_pem, ca_file_name) = match &form.ca_path {
            Some(path) => {
                let path = PathBuf::from(path);
                let pem = std::fs::read_to_string(&path).map_err(|e| {
                    CommandError::new(
                        ClientCode::BadCertificate,
                        format!("The certificate file cannot be read: {e}"),
                    )
                })?;
                (Some(pem), file_name(&path))
            }
            None => {
                let offered = self
                    .offered
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                let remembered = Remembered::load(&self.data_dir);
                match offered {
                    Some(o) if o.url == url => (o.ca_pem, o.ca_file_name),
                    _ if remembered.url.as_deref() == Some(url.as_str()) => {
                        (remembered.ca_pem, remembered.ca_file_name)
                    }
                    _ => (None, None),
                }
            }
        };
        let profile = ServerProfile { url, ca_pem };
        self.sign_in_with(profile, ca_file_name, form.email.trim(), &form.password)
            .await
    }

    async fn sign_in_with(
        &self,
        profile: ServerProfile,
        ca_file_name: Option<String>,
        email: &str,
        password: &str,
    ) -> CommandResult<SignedIn> {
        if email.is_empty() || password.is_empty() {
            return Err(CommandError::new(
                ClientCode::MissingCredentials,
                "Enter your email and password.",
            ));
        }
        let engine = Engine::sign_in(
            &self.data_dir,
            profile.clone(),
            email,
            password,
            self.creds.clone(),
            self.options.clone(),
        )
        .await?;
        let remembered = Remembered {
            url: Some(profile.url.clone()),
            ca_pem: profile.ca_pem.clone(),
            ca_file_name,
            email: Some(engine.account().email.clone()),
            account: Some(engine.account().id),
        };
        if let Err(e) = remembered.save(&self.data_dir) {
            tracing::warn!(error = %e, "could not remember the server for the next start");
        }
        Ok(self.start(engine).await)
    }

    /// Runs the engine's sync loop and forwards its events to the host.
    async fn start(&self, engine: Engine) -> SignedIn {
        let (stop, stopped) = watch::channel(false);
        let mut tasks = Vec::new();
        let runner = engine.clone();
        tasks.push(tokio::spawn(async move { runner.run(stopped).await }));

        let host = self.host.clone();
        tasks.push(tokio::spawn(pace::forward(
            engine.status(),
            pace::EVENT_INTERVAL,
            move |now| host.status(&now),
        )));

        let host = self.host.clone();
        let watcher = engine.clone();
        tasks.push(tokio::spawn(pace::forward(
            engine.revision(),
            pace::EVENT_INTERVAL,
            move |now| {
                if let Ok(unread) = watcher.store().unread() {
                    host.changed(now, &unread);
                }
            },
        )));

        let host = self.host.clone();
        let mut notes = engine.notifications();
        tasks.push(tokio::spawn(async move {
            loop {
                match notes.recv().await {
                    Ok(n) => host.notify(&n),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::info!(missed, "notifications were dropped: too many at once");
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        }));

        let signed_in = SignedIn {
            account: engine.account().clone(),
            session_only: engine.status().borrow().session_only,
        };
        let previous = self.current.lock().await.replace(Current {
            engine,
            stop,
            tasks,
        });
        if let Some(old) = previous {
            stop_engine(old);
        }
        signed_in
    }

    /// Signs out: the session ends on the server (when reachable), the keyring entry is
    /// deleted, the loop stops. The cache stays for the next sign-in.
    pub async fn sign_out(&self) -> CommandResult<()> {
        let Some(current) = self.current.lock().await.take() else {
            return Ok(());
        };
        let result = current.engine.sign_out().await;
        stop_engine(current);
        let mut remembered = Remembered::load(&self.data_dir);
        remembered.account = None;
        if let Err(e) = remembered.save(&self.data_dir) {
            tracing::warn!(error = %e, "could not update the remembered profile");
        }
        Ok(result?)
    }
}
